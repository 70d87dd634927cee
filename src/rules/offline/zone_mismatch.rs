use crate::declare_rule;
use crate::finding::Finding;
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a blueprint whose `metadata.zone` differs from the zone the run targets
    /// (`--zone`, or `zone` in `bplint.toml`). Legacy `eu1.integromat.com` counts as
    /// `eu1.make.com`. Runs without a target zone skip this rule.
    ///
    /// ## Why is this bad?
    /// Connection, webhook and data store ids are per zone: id 123 in `us1` is another
    /// connection, or none, in `eu1`. Deploying across zones needs every id remapped.
    ///
    /// ## Example
    /// Checking with `--zone eu1`:
    /// ```json
    /// { "metadata": { "zone": "us2.make.com" } }
    /// ```
    ///
    /// ## Use instead
    /// Export the scenario from the target zone, or remap its ids (`bplint remap`).
    pub struct ZoneMismatch {
        code: "BP030",
        name: "zone-mismatch",
        severity: Warning,
        kind: Offline,
        summary: "the blueprint was exported from another zone than the run targets",
    }
}

/// `eu1` / `eu1.make.com` / `https://eu1.integromat.com` -> `eu1.make.com`;
/// `eu1.celonis` -> `eu1.make.celonis.com`.
pub fn normalize_zone(zone: &str) -> String {
    let z = zone
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    let z = z.split('/').next().unwrap_or(z).to_ascii_lowercase();
    if let Some(region) = z.strip_suffix(".integromat.com") {
        return format!("{region}.make.com");
    }
    if let Some(region) = z.strip_suffix(".celonis") {
        return format!("{region}.make.celonis.com");
    }
    if !z.contains('.') {
        return format!("{z}.make.com");
    }
    z
}

impl Rule for ZoneMismatch {
    fn check_scenario(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let (Some(target), Some((zone, span))) = (&cx.settings.target_zone, &cx.scenario.zone)
        else {
            return;
        };
        let (want, have) = (normalize_zone(target), normalize_zone(zone));
        if want != have {
            out.push(
                Finding::new(&Self::META, *span, format!("exported from zone {have}, but this run targets {want}; ids differ per zone"))
                    .label("exported here")
                    .help("export the scenario from the target zone, or remap its connection ids")
                    .pointer("/metadata/zone"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::OfflineSettings;
    use crate::rules::testing::*;

    fn zone(z: &str) -> String {
        format!(r#"{{"flow":[],"metadata":{{"zone":"{z}"}}}}"#)
    }

    #[test]
    fn fires_on_another_zone() {
        let settings = OfflineSettings {
            target_zone: Some("eu1".into()),
        };
        let src = zone("us2.make.com");
        let f = run_with(&super::ZoneMismatch, &src, &settings);
        assert_eq!(snippets(&src, &f), ["\"us2.make.com\""]);
    }

    #[test]
    fn quiet_on_the_same_zone_legacy_domain_or_no_target() {
        let settings = OfflineSettings {
            target_zone: Some("eu1.make.com".into()),
        };
        assert!(run_with(&super::ZoneMismatch, &zone("eu1.integromat.com"), &settings).is_empty());
        assert!(run(&super::ZoneMismatch, &zone("us2.make.com")).is_empty());
        let celonis = OfflineSettings {
            target_zone: Some("eu1.celonis".into()),
        };
        assert!(
            run_with(
                &super::ZoneMismatch,
                &zone("eu1.make.celonis.com"),
                &celonis
            )
            .is_empty()
        );
    }
}
