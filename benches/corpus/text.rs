//! What the generated modules are made of: the apps, words, zones and inputs they draw on,
//! and the prose, HTML and identifiers built from them.

use std::fmt::Write as _;

use super::Rng;

/// An app module: name, version, and the connection it takes (parameter key, echo type,
/// chosen type).
pub(super) struct App {
    pub(super) module: &'static str,
    pub(super) version: i64,
    pub(super) conn: Option<(&'static str, &'static str, &'static str)>,
}

pub(super) const APPS: &[App] = &[
    App {
        module: "slack:CreateMessage",
        version: 4,
        conn: Some(("__IMTCONN__", "account:slack2,slack3", "slack3")),
    },
    App {
        module: "google-sheets:addRow",
        version: 2,
        conn: Some(("__IMTCONN__", "account:google", "google")),
    },
    App {
        module: "google-sheets:filterRows",
        version: 2,
        conn: Some(("__IMTCONN__", "account:google", "google")),
    },
    App {
        module: "openai-gpt-3:CreateCompletion",
        version: 1,
        conn: Some(("__IMTCONN__", "account:openai-gpt-3", "openai-gpt-3")),
    },
    App {
        module: "airtable:ActionUpdateRecords",
        version: 3,
        conn: Some(("__IMTCONN__", "account:airtable3,airtable2", "airtable3")),
    },
    App {
        module: "hubspotcrm:createContact",
        version: 2,
        conn: Some(("__IMTCONN__", "account:hubspotcrm", "hubspotcrm")),
    },
    App {
        module: "email:ActionSendEmail",
        version: 7,
        conn: Some(("account", "account:smtp,google-restricted", "smtp")),
    },
    App {
        module: "notion:searchObjects",
        version: 2,
        conn: Some(("connection", "account:notion2,notion3", "notion3")),
    },
    App {
        module: "app#acme-crm-x7k2:createLead",
        version: 1,
        conn: Some((
            "__IMTCONN__",
            "account:app#acme-crm-x7k2",
            "app#acme-crm-x7k2",
        )),
    },
    App {
        module: "http:ActionSendData",
        version: 3,
        conn: None,
    },
    App {
        module: "util:SetVariables",
        version: 1,
        conn: None,
    },
    App {
        module: "json:ParseJSON",
        version: 1,
        conn: None,
    },
    App {
        module: "util:TextAggregator",
        version: 1,
        conn: None,
    },
    App {
        module: "gateway:WebhookRespond",
        version: 1,
        conn: None,
    },
    App {
        module: "datastore:AddRecord",
        version: 1,
        conn: None,
    },
];

#[rustfmt::skip]
pub(super) const WORDS: &[&str] = &[
    "the", "lead", "customer", "follow-up", "draft", "message", "review", "reviewer", "notes",
    "priority", "category", "contact", "email", "WhatsApp", "phone", "request", "project",
    "business", "confirm", "details", "escalate", "uncertainty", "confidence", "tone",
    "professional", "specific", "safe", "human", "response", "invoice", "certificate", "match",
    "score", "fixture", "team", "schedule", "channel", "thread", "update", "record", "status",
    "café", "naïve", "Zürich", "résumé", "façade", "São", "Paulo", "Ærøskøbing", "Kraków", "日本語",
    "テスト", "données", "straße", "Ελληνικά", "русский", "→", "—", "…", "✓", "🚀", "“quoted”", "it’s",
    "{{1.name}}", "{{2.data.email}}", "{{formatDate(now; \"YYYY-MM-DD\")}}",
    "{{ifempty(3.`Linked Lead`; \"n/a\")}}", "{{var.scenario.executionId}}",
];

pub(super) const ZONES: &[&str] = &[
    "eu1.make.com",
    "eu2.make.com",
    "us1.make.com",
    "us2.make.com",
];

/// Text of `words` words: sentences, line breaks (`\n`, sometimes `\r\n`), quotes and tabs.
pub(super) fn prose(rng: &mut Rng, words: usize) -> String {
    let mut s = String::with_capacity(words * 8);
    let crlf = rng.chance(30);
    for i in 0..words {
        if i > 0 {
            match rng.below(40) {
                0..=2 => s.push_str(if crlf { ".\r\n\r\n" } else { ".\n\n" }),
                3..=5 => s.push_str(if crlf { "\r\n* " } else { "\n* " }),
                6 => s.push_str(". \""),
                7 => s.push_str("\" "),
                8 => s.push('\t'),
                9 | 10 => s.push_str(", "),
                _ => s.push(' '),
            }
        }
        let word = *rng.pick(WORDS);
        s.push_str(word);
    }
    s
}

pub(super) fn html(rng: &mut Rng, paragraphs: usize) -> String {
    let mut s = String::from("<html><body style=\"font-family: Arial, sans-serif;\">\n");
    for _ in 0..paragraphs {
        let n = rng.range(10, 60);
        let text = prose(rng, n);
        write!(
            s,
            "<p class=\"para\">{text}</p>\n<a href=\"https://example.com/track?id={{{{1.id}}}}&amp;ref=mail\">link</a>\n"
        )
        .unwrap();
    }
    s.push_str("</body></html>");
    s
}

pub(super) fn ident(rng: &mut Rng, len: usize) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len).map(|_| *rng.pick(ALNUM) as char).collect()
}

/// Names of scenario inputs that hold a default connection id (`io.input_spec`).
pub(super) const INPUTS: &[(&str, &str)] = &[
    ("SlackConnection", "account:slack2,slack3"),
    ("GoogleConnection", "account:google"),
    ("OpenAIConnection", "account:openai-gpt-3"),
];
