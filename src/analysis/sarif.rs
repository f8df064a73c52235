//! Diagnostics as SARIF 2.1.0, for code-scanning tools.

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::{line_col, Span};
use serde_json::{json, Value};

/// One checked file: its name (as given on the command line), its text and its diagnostics.
pub struct FileDiagnostics<'a> {
    pub file: &'a str,
    pub source: &'a str,
    pub diagnostics: &'a [Diagnostic],
}

fn uri(file: &str) -> String {
    let f = file.replace('\\', "/");
    let f = f.strip_prefix("./").unwrap_or(&f).to_string();
    f.chars()
        .map(|c| match c {
            ' ' => "%20".to_string(),
            '#' => "%23".to_string(),
            '%' => "%25".to_string(),
            '?' => "%3F".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn region(source: &str, span: Span) -> Value {
    let (sl, sc) = line_col(source, span.start);
    let (el, ec) = line_col(source, span.end.max(span.start));
    json!({ "startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec })
}

fn location(file: &str, source: &str, span: Span) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(file), "uriBaseId": "%SRCROOT%" },
            "region": region(source, span),
        }
    })
}

/// A short title per code, for the tool's rule list.
fn title(code: &str) -> Option<&'static str> {
    super::codes::ALL
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, t)| *t)
}

/// The SARIF log of one `pol check` run.
pub fn render(files: &[FileDiagnostics]) -> Value {
    let mut rule_ids: Vec<&'static str> = Vec::new();
    let mut rules: Vec<Value> = Vec::new();
    let mut results: Vec<Value> = Vec::new();
    for f in files {
        for d in f.diagnostics {
            let index = match rule_ids.iter().position(|c| *c == d.code) {
                Some(i) => i,
                None => {
                    rule_ids.push(d.code);
                    let short = title(d.code)
                        .map(str::to_string)
                        .unwrap_or_else(|| d.code.to_string());
                    rules.push(json!({
                        "id": d.code,
                        "name": d.code,
                        "shortDescription": { "text": short },
                        "defaultConfiguration": { "level": level(d.severity) },
                    }));
                    rule_ids.len() - 1
                }
            };
            let mut text = d.message.clone();
            for n in &d.notes_for_people() {
                text.push_str("\nnote: ");
                text.push_str(n);
            }
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(h);
            }
            let primary = d.primary_span();
            let locations: Vec<Value> = match primary {
                Some(s) => vec![location(f.file, f.source, s)],
                None => vec![json!({
                    "physicalLocation": { "artifactLocation": { "uri": uri(f.file), "uriBaseId": "%SRCROOT%" } }
                })],
            };
            let related: Vec<Value> = d
                .labels
                .iter()
                .filter(|l| !l.primary)
                .enumerate()
                .map(|(i, l)| {
                    let mut loc = location(f.file, f.source, l.span);
                    if let Some(o) = loc.as_object_mut() {
                        o.insert("id".into(), json!(i + 1));
                        o.insert("message".into(), json!({ "text": l.message }));
                    }
                    loc
                })
                .collect();
            let mut result = json!({
                "ruleId": d.code,
                "ruleIndex": index,
                "level": level(d.severity),
                "message": { "text": text },
                "locations": locations,
            });
            if let Some(o) = result.as_object_mut() {
                if !related.is_empty() {
                    o.insert("relatedLocations".into(), json!(related));
                }
                if let Some(l) = d.labels.iter().find(|l| l.primary) {
                    if !l.message.is_empty() {
                        o.insert("properties".into(), json!({ "label": l.message }));
                    }
                }
            }
            results.push(result);
        }
    }
    let artifacts: Vec<Value> = files
        .iter()
        .map(|f| json!({ "location": { "uri": uri(f.file), "uriBaseId": "%SRCROOT%" }, "mimeType": "text/plain" }))
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "pol",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "artifacts": artifacts,
            "results": results,
        }]
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}
