//! Finding messages: text with `{placeholder}`s filled per finding; `{{` and `}}` stand for
//! literal braces (Make's own `{{1.id}}` expressions need them).

/// What a message can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// The checked value (strings unquoted, long values shortened).
    Value,
    /// The module's id.
    ModuleId,
    /// The module's `app:action`.
    Module,
    /// The scenario's name.
    Scenario,
    /// The normalized path of the checked value, from the rule's evaluation root.
    Path,
    /// The JSON pointer of the checked value, from the document root.
    Pointer,
    /// What the function found wrong.
    Error,
}

impl Var {
    pub const NAMES: &'static str = "value, module_id, module, scenario, path, pointer, error";

    fn parse(s: &str) -> Option<Var> {
        Some(match s {
            "value" => Var::Value,
            "module_id" => Var::ModuleId,
            "module" => Var::Module,
            "scenario" => Var::Scenario,
            "path" => Var::Path,
            "pointer" => Var::Pointer,
            "error" => Var::Error,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(Var),
}

#[derive(Debug, Clone)]
pub struct Template(Vec<Piece>);

impl Template {
    /// Parses a template; the error gives the byte range (in `text`) of the bad part.
    pub fn parse(text: &str) -> Result<Template, (std::ops::Range<usize>, String)> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let mut rest = text.char_indices().peekable();
        while let Some((i, c)) = rest.next() {
            match c {
                '{' if rest.peek().map(|p| p.1) == Some('{') => {
                    rest.next();
                    lit.push('{');
                }
                '}' if rest.peek().map(|p| p.1) == Some('}') => {
                    rest.next();
                    lit.push('}');
                }
                '{' => {
                    let close = text[i..].find('}').ok_or((
                        i..text.len(),
                        "unclosed `{` (write `{{` for a literal brace)".to_string(),
                    ))?;
                    let name = &text[i + 1..i + close];
                    let var = Var::parse(name.trim()).ok_or((
                        i..i + close + 1,
                        format!("unknown placeholder `{{{name}}}` (known: {})", Var::NAMES),
                    ))?;
                    if !lit.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut lit)));
                    }
                    pieces.push(Piece::Var(var));
                    while rest.peek().is_some_and(|(j, _)| *j <= i + close) {
                        rest.next();
                    }
                }
                '}' => {
                    return Err((
                        i..i + 1,
                        "stray `}` (write `}}` for a literal brace)".into(),
                    ));
                }
                c => lit.push(c),
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Text(lit));
        }
        Ok(Template(pieces))
    }

    pub fn render(&self, fill: &dyn Fn(Var) -> String) -> String {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) => out.push_str(&fill(*v)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_placeholders_and_keeps_escaped_braces() {
        let t = Template::parse("{module} maps {{{{1.id}}}} to { value }").unwrap();
        let s = t.render(&|v| match v {
            Var::Module => "http:ActionSendData".into(),
            _ => "x".into(),
        });
        assert_eq!(s, "http:ActionSendData maps {{1.id}} to x");
    }

    #[test]
    fn bad_templates_point_at_the_bad_part() {
        assert_eq!(Template::parse("a {nope} b").unwrap_err().0, 2..8);
        assert_eq!(Template::parse("a {value").unwrap_err().0, 2..8);
        assert_eq!(Template::parse("a } b").unwrap_err().0, 2..3);
    }
}
