//! What a module accepts and needs where it references a stored object: the one place `bind`
//! asks. For connections it is what BP104 and BP105 read ([`demand_for`]: the echo, then
//! Make's module requirements, then the catalog), so bind never picks a connection a check
//! would then call a type mismatch or short of scopes.

use super::Site;
use crate::live::Catalog;
use crate::live::catalog::ScopeNeed;
use crate::live::requirements::{Requirements, Wanted, demand_for, want};
use crate::model::{Module, RefKind, Reference};
use crate::remap::BlueprintFile;

/// What one reference's module accepts and needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// The types accepted (connection types such as `slack2`, hook or keychain types such as
    /// `gateway-webhook`), with where that comes from; `None` when nothing says, and then an
    /// object of any type fits.
    pub accepted: Option<(Vec<String>, String)>,
    /// OAuth scopes the module's action needs (connections only); each need is met by any one
    /// of its alternatives.
    pub scopes: Vec<ScopeNeed>,
}

/// The app versions whose module requirements bind needs: those of the modules of the
/// connection references it is to bind (placeholders included, which a check never asks for).
pub fn wanted(files: &[BlueprintFile], sites: &[Site]) -> Wanted {
    let mut wanted = Wanted::new();
    for site in sites.iter().filter(|s| s.kind == RefKind::Connection) {
        if let Some((m, _)) = module_and_reference(files, site) {
            want(&mut wanted, m);
        }
    }
    wanted
}

/// What each site needs, asked again now that `requirements` are known (the sites were found
/// before: which references are to be bound does not depend on requirements).
pub fn learn_requirements(
    sites: &mut [Site],
    files: &[BlueprintFile],
    requirements: &Requirements,
    catalog: &Catalog,
) {
    for site in sites.iter_mut() {
        if let Some((m, r)) = module_and_reference(files, site) {
            site.needs = module_needs(requirements, catalog, m, r);
        }
    }
}

fn module_and_reference<'f>(
    files: &'f [BlueprintFile],
    site: &Site,
) -> Option<(&'f Module, &'f Reference)> {
    let scenario = &files.get(site.file)?.scenario;
    let r = scenario.references.get(site.reference)?;
    Some((scenario.module(r.module), r))
}

/// What module `m` accepts and needs for reference `r`: for a connection what the live rules
/// read (echo, Make's requirements, catalog); for other kinds the parameter echo.
pub fn module_needs(
    requirements: &Requirements,
    catalog: &Catalog,
    m: &Module,
    r: &Reference,
) -> Needs {
    match r.kind {
        RefKind::Connection => {
            let req = demand_for(m, r, requirements, catalog);
            Needs {
                accepted: req.accepted_types.map(|types| {
                    let from = req.types_from.map(|o| o.cite()).unwrap_or_default();
                    (types, from)
                }),
                scopes: req.scopes,
            }
        }
        // `hook:gateway-webhook`, `keychain:apikey`; data stores and data structures have no
        // type to match.
        _ if !r.allowed_types.is_empty() => Needs {
            accepted: Some((
                r.allowed_types.clone(),
                "the module's parameter declaration".to_string(),
            )),
            scopes: Vec::new(),
        },
        _ => Needs::default(),
    }
}

/// Whether an object of type `actual` (`None`: not recorded) is one `needs` accepts: `Some`
/// of the answer when known, `None` when the type is not recorded but the module names types.
pub fn accepts(needs: &Needs, actual: Option<&str>) -> Option<bool> {
    match (&needs.accepted, actual) {
        (None, _) => Some(true),
        (Some((types, _)), Some(t)) => Some(types.iter().any(|x| x == t)),
        (Some(_), None) => None,
    }
}

/// Whether a connection holding `scopes` (`None`: unknown), with the API's `scoped` answer
/// for exactly these needs, holds every scope `needs` asks for: `None` when it cannot be told.
pub fn holds_scopes(
    needs: &Needs,
    scopes: Option<&[String]>,
    scoped: Option<bool>,
) -> Option<bool> {
    if needs.scopes.is_empty() {
        return Some(true);
    }
    match (scopes, scoped) {
        (Some(granted), _) => Some(needs.scopes.iter().all(|n| n.is_met_by(granted))),
        (None, answer) => answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(types: Option<&[&str]>, scopes: &[&str]) -> Needs {
        Needs {
            accepted: types.map(|t| (t.iter().map(|s| s.to_string()).collect(), "x".into())),
            scopes: scopes
                .iter()
                .map(|s| ScopeNeed {
                    any_of: s.split('|').map(str::to_string).collect(),
                })
                .collect(),
        }
    }

    #[test]
    fn types_and_scopes_are_yes_no_or_unknown() {
        let n = needs(
            Some(&["slack2", "slack3"]),
            &["chat:write|chat:write.public"],
        );
        assert_eq!(accepts(&n, Some("slack3")), Some(true));
        assert_eq!(accepts(&n, Some("google")), Some(false));
        assert_eq!(accepts(&n, None), None);
        assert_eq!(accepts(&needs(None, &[]), Some("google")), Some(true));
        let granted = ["chat:write.public".to_string()];
        assert_eq!(holds_scopes(&n, Some(&granted), None), Some(true));
        assert_eq!(holds_scopes(&n, Some(&[]), Some(true)), Some(false));
        assert_eq!(holds_scopes(&n, None, Some(false)), Some(false));
        assert_eq!(holds_scopes(&n, None, None), None);
        assert_eq!(holds_scopes(&needs(None, &[]), None, None), Some(true));
    }
}
