use crate::declare_rule;
use crate::finding::Finding;
use crate::model::Module;
use crate::rules::offline::hardcoded_secret::{Verdict, field};
use crate::rules::{Context, Rule};

declare_rule! {
    /// ## What it does
    /// Reports placeholders standing where a credential goes, in the positions BP020 checks
    /// for literal credentials: an `Authorization` header (`Bearer YOUR_TOKEN`), a field,
    /// header or query item named like a credential (`x-api-key: YOUR_ANTHROPIC_API_KEY`,
    /// `"password": "<PASSWORD>"`), a URL's query string or password
    /// (`?token={{YOUR_APIFY_TOKEN}}`), a credential field of JSON written as a string.
    ///
    /// `{{YOUR_APIFY_TOKEN}}` is not IML (no module, no function): Make sends it as it is.
    /// IML such as `{{1.token}}` or `{{var.input.token}}` is not reported.
    ///
    /// ## Why is this bad?
    /// The blueprint is a template, not a deployable scenario: the call fails with an
    /// authentication error until someone fills the credential in by hand, as with a
    /// connection placeholder (BP011).
    ///
    /// ## Example
    /// ```json
    /// { "module": "http:ActionSendData",
    ///   "mapper": { "url": "https://api.apify.com/v2/acts/x/runs?token={{YOUR_APIFY_TOKEN}}",
    ///               "headers": [ { "name": "x-api-key", "value": "YOUR_ANTHROPIC_API_KEY" } ] } }
    /// ```
    ///
    /// ## Use instead
    /// Use an app connection, or `http:ActionSendDataAPIKeyAuth` with a keychain, or map the
    /// credential from a scenario input:
    /// ```json
    /// { "mapper": { "headers": [ { "name": "x-api-key", "value": "{{var.input.anthropicKey}}" } ] } }
    /// ```
    pub struct CredentialPlaceholder {
        code: "BP021",
        name: "credential-placeholder",
        severity: Warning,
        kind: Offline,
        summary: "a placeholder stands where a credential goes",
    }
}

impl Rule for CredentialPlaceholder {
    fn check_module(&self, cx: &Context<'_>, m: &Module, out: &mut Vec<Finding>) {
        for hit in cx.credentials.hits(cx, m).iter() {
            let Verdict::Placeholder { position, shown } = &hit.verdict else {
                continue;
            };
            let what = match shown {
                Some(text) => format!("the placeholder `{text}`"),
                None => "a placeholder".to_string(),
            };
            let mut finding = Finding::new(
                &Self::META,
                hit.span,
                format!(
                    "{} holds {what} where {} goes",
                    field(hit.section, &hit.key),
                    position.slot()
                ),
            )
            .label("placeholder")
            .help("connect the service with a Make connection or keychain, or map the credential from a scenario input, before deploying")
            .pointer(format!("{}/{}{}", m.pointer, hit.section, hit.pointer))
            .module(m);
            // What is not safe to quote is not shown in the snippet either: a "placeholder"
            // that is a real credential after all must not leak through the excerpt.
            if shown.is_none() {
                finding = finding.secret(hit.span);
            }
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::*;

    #[test]
    fn fires_on_placeholders_in_credential_positions() {
        let src = blueprint(
            r#"{"id":1,"module":"http:ActionSendData","mapper":{"url":"https://api.apify.com/v2/acts/x/runs?token={{YOUR_APIFY_TOKEN}}","headers":[{"name":"x-api-key","value":"YOUR_ANTHROPIC_API_KEY"},{"name":"Authorization","value":"Bearer <TOKEN>"}],"password":"changeme-4711"}}"#,
        );
        let f = run(&super::CredentialPlaceholder, &src);
        assert_eq!(
            messages(&f),
            [
                "mapper field `url` holds the placeholder `{{YOUR_APIFY_TOKEN}}` where a URL query credential goes",
                "mapper field `x-api-key` holds the placeholder `YOUR_ANTHROPIC_API_KEY` where a credential goes",
                "mapper field `Authorization` holds the placeholder `<TOKEN>` where an Authorization header goes",
                "mapper field `password` holds a placeholder where a credential goes",
            ]
        );
        assert_eq!(f[0].secret, None);
        assert_eq!(f[3].secret, Some(f[3].span), "not quoted, so masked");
    }

    #[test]
    fn quiet_on_iml_literals_and_other_fields() {
        let src = blueprint(
            r#"{"id":1,"module":"http:ActionSendData","mapper":{"url":"https://x.io/?token={{1.token}}","headers":[{"name":"x-api-key","value":"{{var.input.key}}"}],"token":"abcdef0123456789","text":"YOUR_NAME here","title":"{{YOUR_TITLE}}"}}"#,
        );
        let f = run(&super::CredentialPlaceholder, &src);
        assert!(
            f.is_empty(),
            "{:?}",
            f.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
    }
}
