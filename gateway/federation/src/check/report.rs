//! A schema check's outcome and its three renderings: for people, as JSON, and as GitHub
//! Actions annotations (`::error file=...,line=...::message`).
use super::diff::{SchemaChange, Severity};
use super::operations::OperationFailure;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckReport {
    pub changes: Vec<SchemaChange>,
    pub operations_checked: usize,
    pub operation_failures: Vec<OperationFailure>,
}

impl CheckReport {
    pub fn count(&self, severity: Severity) -> usize {
        self.changes
            .iter()
            .filter(|c| c.severity == severity)
            .count()
    }

    /// The check fails on a breaking change or an operation that no longer validates.
    pub fn passed(&self) -> bool {
        self.count(Severity::Breaking) == 0 && self.operation_failures.is_empty()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }

    /// A plain-text report, one line per finding.
    pub fn to_human(&self) -> String {
        let mut out = format!(
            "Schema changes: {} breaking, {} dangerous, {} safe\n",
            self.count(Severity::Breaking),
            self.count(Severity::Dangerous),
            self.count(Severity::Safe)
        );
        for c in &self.changes {
            out.push_str(&format!(
                "  {:<9} {}: {}\n",
                c.severity.to_string(),
                c.kind,
                c.message
            ));
        }
        out.push_str(&format!(
            "Operations: {} of {} fail against the new schema\n",
            self.operation_failures.len(),
            self.operations_checked
        ));
        for f in &self.operation_failures {
            for e in &f.errors {
                match e.locations.first() {
                    Some(l) => out.push_str(&format!(
                        "  {}:{}:{}: {}\n",
                        f.path, l.line, l.column, e.message
                    )),
                    None => out.push_str(&format!("  {}: {}\n", f.path, e.message)),
                }
            }
        }
        out.push_str(if self.passed() {
            "Check passed\n"
        } else {
            "Check failed\n"
        });
        out
    }

    /// GitHub Actions workflow commands: breaking changes as errors and dangerous ones as
    /// warnings on `schema_file`, failing operations as errors on their own files.
    pub fn to_github_annotations(&self, schema_file: &str) -> String {
        let mut out = String::new();
        for c in &self.changes {
            let level = match c.severity {
                Severity::Breaking => "error",
                Severity::Dangerous => "warning",
                Severity::Safe => continue,
            };
            let line = c.line.map(|l| format!(",line={l}")).unwrap_or_default();
            out.push_str(&format!(
                "::{level} file={}{line},title={}::{}\n",
                property(schema_file),
                property(&format!("{} {}", c.severity, c.kind)),
                data(&c.message)
            ));
        }
        for f in &self.operation_failures {
            for e in &f.errors {
                let position = e
                    .locations
                    .first()
                    .map(|l| format!(",line={},col={}", l.line, l.column))
                    .unwrap_or_default();
                out.push_str(&format!(
                    "::error file={}{position},title={}::{}\n",
                    property(&f.path),
                    property(f.code),
                    data(&e.message)
                ));
            }
        }
        out
    }
}

/// Escaping for a workflow command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for a workflow command's property values.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_workflow_commands() {
        assert_eq!(data("a%b\nc"), "a%25b%0Ac");
        assert_eq!(property("x:y,z"), "x%3Ay%2Cz");
    }
}
