use crate::declare_rule;
use crate::finding::Finding;
use crate::model::RefKind;
use crate::rules::{Context, RefSite, Rule};

declare_rule! {
    /// ## What it does
    /// Reports a connection whose type chosen in the editor (`metadata.restore`
    /// `...data.connection`) is not among the types the module accepts (the echo's
    /// `account:<t1>,<t2>`).
    ///
    /// A chosen type of `"undefined"` (the editor's stringified JavaScript `undefined`, seen
    /// next to `"scoped": "undefined"`), `""` or `null` names no type and is not reported.
    /// The finding points at the chosen type in `metadata.restore` (its pointer too) and
    /// labels the connection parameter it belongs to.
    ///
    /// ## Why is this bad?
    /// The blueprint was edited by hand or stitched from two exports: the module will refuse
    /// the connection (e.g. a `google` connection on a Google Drive module that needs
    /// `google-restricted`).
    ///
    /// ## Example
    /// ```json
    /// { "module": "google-drive:uploadAFile",
    ///   "metadata": { "restore": { "parameters": { "__IMTCONN__": { "data": { "connection": "google" } } } },
    ///                 "parameters": [ { "name": "__IMTCONN__", "type": "account:google-restricted" } ] } }
    /// ```
    ///
    /// ## Use instead
    /// Choose a connection of an allowed type in Make and export the blueprint again.
    pub struct ConnectionTypeNotAllowed {
        code: "BP013",
        name: "connection-type-not-allowed",
        severity: Error,
        kind: Offline,
        summary: "the chosen connection type is not one the module accepts",
    }
}

impl Rule for ConnectionTypeNotAllowed {
    fn check_reference(&self, _cx: &Context<'_>, at: &RefSite<'_>, out: &mut Vec<Finding>) {
        let r = at.reference;
        if r.kind != RefKind::Connection || r.allowed_types.is_empty() {
            return;
        }
        let (Some(chosen), Some(span), Some(pointer)) =
            (&r.chosen_type, r.chosen_type_span, &r.chosen_type_pointer)
        else {
            return;
        };
        if r.allowed_types.iter().any(|t| t == chosen) {
            return;
        }
        out.push(
            Finding::new(
                &Self::META,
                span,
                format!(
                    "connection type `{chosen}` is not accepted by `{}`; it accepts {}",
                    r.key,
                    r.allowed_types.join(", ")
                ),
            )
            .label("chosen type")
            .related(r.span, format!("the connection parameter `{}`", r.key))
            .pointer(pointer.clone())
            .module(at.module),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    fn module(chosen: &str) -> String {
        blueprint(&format!(
            r#"{{"id":1,"module":"google-drive:x","parameters":{{"__IMTCONN__":5}},"metadata":{{"restore":{{"parameters":{{"__IMTCONN__":{{"label":"L","data":{{"connection":"{chosen}"}}}}}}}},"parameters":[{{"name":"__IMTCONN__","type":"account:google-restricted,google-custom","required":true}}]}}}}"#
        ))
    }

    #[test]
    fn fires_on_a_type_not_allowed() {
        let src = module("google");
        let f = run(&super::ConnectionTypeNotAllowed, &src);
        assert_eq!(snippets(&src, &f), ["\"google\""]);
    }

    #[test]
    fn quiet_on_an_allowed_type() {
        assert!(run(&super::ConnectionTypeNotAllowed, &module("google-custom")).is_empty());
    }

    #[test]
    fn an_unknown_chosen_type_is_no_choice() {
        for unknown in ["undefined", "", " "] {
            assert!(
                run(&super::ConnectionTypeNotAllowed, &module(unknown)).is_empty(),
                "{unknown:?}"
            );
        }
        let null = module("x").replace("\"x\"", "null");
        assert!(run(&super::ConnectionTypeNotAllowed, &null).is_empty());
    }

    #[test]
    fn pointer_and_span_agree_and_the_parameter_is_labelled() {
        let src = module("google");
        let f = run(&super::ConnectionTypeNotAllowed, &src);
        assert_eq!(
            f[0].pointer.as_deref(),
            Some("/flow/0/metadata/restore/parameters/__IMTCONN__/data/connection")
        );
        assert_eq!(&src[f[0].related[0].0.range()], "5");
    }
}
