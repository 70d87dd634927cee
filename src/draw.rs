//! The one place a miette report handler is set up: config errors, rule-file errors and the
//! human report all draw their snippets the same way.

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

/// The handler for a terminal (`color`) or for plain text, `width` columns wide.
pub fn handler(color: bool, width: usize) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(width)
}

/// One diagnostic drawn with its snippet; `None` when miette could not draw it.
pub fn render(diagnostic: &dyn Diagnostic, color: bool, width: usize) -> Option<String> {
    let mut out = String::new();
    handler(color, width)
        .render_report(&mut out, diagnostic)
        .ok()?;
    Some(out)
}
