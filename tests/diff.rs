//! `pol diff OLD NEW`: behaviour-preserving edits of every shipped policy show no
//! difference; deliberate changes are reported on the right output; every
//! reported counterexample, evaluated with both versions, really differs.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const POLICIES: [&str; 5] = [
    "activation_complaint",
    "callback",
    "dm_verification",
    "inbound_offers",
    "offline_customer",
];

fn shipped(name: &str) -> String {
    std::fs::read_to_string(format!("policies/{name}.pol")).unwrap()
}

/// A fresh folder for one test's files.
fn folder(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pol-diff-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// Runs `pol diff --format json`; the exit code and the report.
fn diff(old: &str, new: &str) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(["diff", old, new, "--format", "json"])
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let report = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

/// What a Decision answers for one output, as the report names it.
fn answer(d: &Value, output: &str) -> Value {
    let (list, rest) = output.split_once('.').unwrap();
    let (id, value) = match rest.strip_suffix(".value") {
        Some(id) => (id, true),
        None => (rest, false),
    };
    let list = if list == "outcomes" {
        "outcome_details"
    } else {
        list
    };
    let item = d[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .cloned();
    let Some(item) = item else {
        return Value::Null;
    };
    let keys: &[&str] = match (list, value) {
        ("ticket_fields", true) => &["value", "value_reason"],
        ("ticket_fields", false) => &["status"],
        ("actions", _) => &["verdict", "reason"],
        ("outcome_details", _) => &["value", "status", "reason"],
        ("deadlines", _) => &["due", "status"],
        _ => &["status", "text"],
    };
    let mut out: Vec<Value> = keys.iter().map(|k| item[*k].clone()).collect();
    if list == "outcome_details" && !item["value"].is_null() {
        // `set` and `default` to the same value answer the same.
        out.truncate(1);
    }
    Value::Array(out)
}

fn eval(policy: &str, case: &serde_json::Map<String, Value>, at: Option<&str>) -> Value {
    let mut args = vec!["eval", policy, "--case", "-", "--no-cache"];
    if let Some(at) = at {
        args.extend(["--at", at]);
    }
    let out = common::pol_stdin(&args, Value::Object(case.clone()).to_string());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Only the facts a version declares (it refuses the others).
fn only_known(
    case: &serde_json::Map<String, Value>,
    policy_text: &str,
) -> serde_json::Map<String, Value> {
    case.iter()
        .filter(|(k, _)| {
            policy_text
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{k}:")))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Every reported difference reproduces: both versions answer differently on it.
fn check_reproduces(old: &str, new: &str, report: &Value) {
    let (old_text, new_text) = (
        std::fs::read_to_string(old).unwrap(),
        std::fs::read_to_string(new).unwrap(),
    );
    for d in report["differences"].as_array().unwrap() {
        let c = &d["counterexample"];
        let at = c["at"].as_str();
        let pick = |k: &str, text: &str| match c[k].as_object() {
            Some(m) => m.clone(),
            None => only_known(c["case"].as_object().unwrap(), text),
        };
        let a = eval(old, &pick("old_case", &old_text), at);
        let b = eval(new, &pick("new_case", &new_text), at);
        let output = d["output"].as_str().unwrap();
        assert_ne!(
            answer(&a, output),
            answer(&b, output),
            "{output}: the counterexample does not reproduce: {d:#}"
        );
    }
}

/// The outputs a report lists as different.
fn outputs(report: &Value) -> Vec<String> {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["output"].as_str().unwrap().to_string())
        .collect()
}

fn assert_same(old: &str, new: &str) {
    let (code, report) = diff(old, new);
    assert_eq!(code, 0, "{old} → {new}: {report:#}");
    assert_eq!(report["status"], "same");
}

fn assert_differs(old: &str, new: &str, output: &str) -> Value {
    let (code, report) = diff(old, new);
    assert_eq!(code, 1, "{report:#}");
    assert!(
        outputs(&report).iter().any(|o| o == output),
        "{output} not reported: {report:#}"
    );
    check_reproduces(old, new, &report);
    report
}

// ------------------------------------------------------------------ edits that keep behaviour

/// The file's top-level items: each starts at a line that is not indented and
/// not a comment; comments and blank lines before it belong to it.
fn items(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for line in text.lines() {
        let starts = !line.is_empty() && !line.starts_with([' ', '\t', '#', '|']);
        if starts {
            out.push(std::mem::take(&mut pending));
        }
        pending.push_str(line);
        pending.push('\n');
    }
    out.push(pending);
    out
}

fn rule_name(item: &str) -> Option<String> {
    let head = item
        .lines()
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let rest = head.strip_prefix("rule ")?;
    Some(rest.split_whitespace().next()?.to_string())
}

/// The rules in reverse order (every other item where it was).
fn reorder(text: &str) -> String {
    let all = items(text);
    let rules: Vec<String> = all
        .iter()
        .filter(|i| rule_name(i).is_some())
        .cloned()
        .rev()
        .collect();
    let mut next = rules.into_iter();
    all.into_iter()
        .map(|i| {
            if rule_name(&i).is_some() {
                next.next().unwrap_or(i)
            } else {
                i
            }
        })
        .collect()
}

/// Replaces a whole word (identifier characters on neither side).
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let is_id = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let before = rest[..i].chars().next_back();
        let after = rest[i + from.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_some_and(is_id) || after.is_some_and(is_id) {
            out.push_str(from);
        } else {
            out.push_str(to);
        }
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Every rule renamed, wherever its name is written; a rule that shares its
/// name with another declaration (a fact, an output) keeps it.
fn rename(text: &str) -> String {
    let names: Vec<String> = items(text).iter().filter_map(|i| rule_name(i)).collect();
    let declared_otherwise = |n: &str| {
        text.lines().any(|l| {
            let mut words = l.split_whitespace().map(|w| w.trim_end_matches(':'));
            let (first, second) = (words.next(), words.next());
            first == Some(n)
                || second == Some(n)
                    && first.is_some_and(|k| {
                        [
                            "let", "action", "question", "script", "outcome", "field", "deadline",
                            "table", "enum",
                        ]
                        .contains(&k)
                    })
        })
    };
    let mut out = text.to_string();
    for n in names.iter().filter(|n| !declared_otherwise(n)) {
        out = replace_word(&out, n, &format!("{n}_renamed"));
    }
    out
}

/// The condition of a rule item, as written between `when` and `then`.
fn condition(item: &str) -> Option<(usize, usize)> {
    let w = item.find("\n  when ")? + "\n  when ".len();
    let t = w + item[w..].find("\n  then ")?;
    Some((w, t))
}

/// The condition split at its first `or` outside brackets, if it has one.
fn split_or(cond: &str) -> Option<(String, String)> {
    let mut depth = 0i32;
    let bytes = cond.as_bytes();
    let mut in_text = false;
    for (i, c) in cond.char_indices() {
        match c {
            '"' => in_text = !in_text,
            '(' | '[' if !in_text => depth += 1,
            ')' | ']' if !in_text => depth -= 1,
            _ => {}
        }
        if depth == 0
            && !in_text
            && cond[i..].starts_with("or")
            && i > 0
            && bytes.get(i - 1).is_some_and(|b| b.is_ascii_whitespace())
            && bytes.get(i + 2).is_some_and(|b| b.is_ascii_whitespace())
        {
            return Some((
                cond[..i].trim().to_string(),
                cond[i + 2..].trim().to_string(),
            ));
        }
    }
    None
}

/// Every rule whose condition is `A or B` becomes two rules, `A` and `B`; a
/// rule that overrode it overrides both. Returns the text and how many were split.
fn split_rules(text: &str) -> (String, usize) {
    let mut split = Vec::new();
    let mut out: Vec<String> = Vec::new();
    for item in items(text) {
        let (Some(name), Some((w, t))) = (rule_name(&item), condition(&item)) else {
            out.push(item);
            continue;
        };
        let Some((a, b)) = split_or(&item[w..t]) else {
            out.push(item);
            continue;
        };
        let first = format!("{}({a}){}", &item[..w], &item[t..]);
        let second = format!("{}({b}){}", &item[..w], &item[t..]).replacen(
            &format!("rule {name}"),
            &format!("rule {name}_or"),
            1,
        );
        out.push(first);
        out.push(second);
        split.push(name);
    }
    let mut text: String = out.concat();
    for name in &split {
        // `overrides x` names both halves (the `rule x` lines stay).
        let mut fixed = String::new();
        for line in text.lines() {
            let l = if line.contains("overrides") {
                let (head, tail) = line.split_once("overrides").unwrap_or((line, ""));
                format!(
                    "{head}overrides{}",
                    replace_word(tail, name, &format!("{name}, {name}_or"))
                )
            } else {
                line.to_string()
            };
            fixed.push_str(&l);
            fixed.push('\n');
        }
        text = fixed;
    }
    (text, split.len())
}

#[test]
fn a_policy_compared_with_itself_is_the_same() {
    for p in POLICIES {
        let f = format!("policies/{p}.pol");
        assert_same(&f, &f);
    }
}

#[test]
fn reordered_rules_are_the_same() {
    let dir = folder("reorder");
    for p in POLICIES {
        let text = shipped(p);
        let new = reorder(&text);
        assert_ne!(new, text, "{p}: nothing reordered");
        let old = write(&dir, &format!("{p}.pol"), &text);
        let new = write(&dir, &format!("{p}_reordered.pol"), &new);
        assert_same(&old, &new);
    }
}

#[test]
fn renamed_rules_are_the_same() {
    let dir = folder("rename");
    for p in POLICIES {
        let text = shipped(p);
        let old = write(&dir, &format!("{p}.pol"), &text);
        let new = write(&dir, &format!("{p}_renamed.pol"), &rename(&text));
        assert_same(&old, &new);
    }
}

#[test]
fn rules_split_at_or_are_the_same() {
    let dir = folder("split");
    let mut total = 0;
    for p in POLICIES {
        let text = shipped(p);
        let (new, n) = split_rules(&text);
        total += n;
        let old = write(&dir, &format!("{p}.pol"), &text);
        let new = write(&dir, &format!("{p}_split.pol"), &new);
        assert_same(&old, &new);
    }
    assert!(total >= 3, "only {total} rules split");
}

// ------------------------------------------------------------------ changes of behaviour

/// `text` with `from` replaced once (which must be there).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` is not in the policy");
    text.replacen(from, to, 1)
}

fn changed(test: &str, policy: &str, from: &str, to: &str) -> (String, String) {
    let dir = folder(test);
    let text = shipped(policy);
    let old = write(&dir, "old.pol", &text);
    let new = write(&dir, "new.pol", &edit(&text, from, to));
    (old, new)
}

#[test]
fn a_changed_threshold_is_reported() {
    let (old, new) = changed(
        "threshold",
        "dm_verification",
        "penerima_pelanggan and jumlah_konfirmasi > 2",
        "penerima_pelanggan and jumlah_konfirmasi > 3",
    );
    let report = assert_differs(&old, &new, "actions.penawaran");
    assert_eq!(outputs(&report), ["actions.penawaran"]);
}

#[test]
fn a_removed_rule_is_reported() {
    let text = shipped("inbound_offers");
    let dir = folder("removed");
    let old = write(&dir, "old.pol", &text);
    let without: String = items(&text)
        .into_iter()
        .filter(|i| rule_name(i).as_deref() != Some("excluded_tariff_send_ctn"))
        .collect();
    let new = write(&dir, "new.pol", &without);
    let report = assert_differs(&old, &new, "actions.send_ctn_example");
    assert_eq!(outputs(&report), ["actions.send_ctn_example"]);
}

#[test]
fn an_added_forbid_is_reported() {
    let text = shipped("inbound_offers");
    let dir = folder("forbid");
    let old = write(&dir, "old.pol", &text);
    let new = write(
        &dir,
        "new.pol",
        &format!(
            "{text}\nrule no_credit_on_second_line\n  when line == second_line\n  then forbid credit_fk\n"
        ),
    );
    assert_differs(&old, &new, "actions.credit_fk");
}

#[test]
fn a_changed_field_value_is_reported() {
    let (old, new) = changed(
        "field",
        "callback",
        "set irma_voc = \"A_Callback Mandiri\"",
        "set irma_voc = \"A_Callback Mandiri 2\"",
    );
    assert_differs(&old, &new, "ticket_fields.irma_voc.value");
}

#[test]
fn a_changed_deadline_is_reported() {
    let (old, new) = changed(
        "deadline",
        "callback",
        "due callback within 30 minutes after call_ended_at",
        "due callback within 45 minutes after call_ended_at",
    );
    assert_differs(&old, &new, "deadlines.callback");
}

const SMALL: &str = r#"policy offers {
  title "Offers"
}

enum Line { first, second }

case {
  line: Line
  confirmations: int
}

question who "Who am I speaking to?"
action offer "Make the offer"
outcome result: text "Result"

rule first_line
  when line == first
  then allow offer
       ask who

rule too_many overrides first_line
  when confirmations > 2
  then forbid offer
       set result = "no offer"
"#;

#[test]
fn a_retyped_or_renamed_fact_is_reported() {
    let dir = folder("retyped");
    let old = write(&dir, "old.pol", SMALL);
    let retyped = SMALL.replace("confirmations: int", "confirmations: decimal");
    let new = write(&dir, "new.pol", &retyped);
    let (code, report) = diff(&old, &new);
    assert_eq!(code, 1);
    assert_eq!(report["schema_changes"][0]["kind"], "fact_retyped");
    assert_eq!(report["schema_changes"][0]["name"], "confirmations");
    check_reproduces(&old, &new, &report);

    let renamed = SMALL.replace("confirmations", "tries");
    let new = write(&dir, "renamed.pol", &renamed);
    let (code, report) = diff(&old, &new);
    assert_eq!(code, 1);
    let kinds: Vec<&str> = report["schema_changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["fact_removed", "fact_added"]);
    check_reproduces(&old, &new, &report);
}

#[test]
fn rules_turned_into_a_table_are_the_same() {
    let dir = folder("table");
    let old = write(&dir, "old.pol", SMALL);
    let table = SMALL.split("rule first_line").next().unwrap().to_string()
        + r#"table offer_rules
  hit first
  | line   | confirmations => offer     |
  |--------|---------------|-----------|
  | -      | > 2           => forbidden |
  | first  | -             => allowed   |

rule first_line
  when line == first
  then ask who

rule too_many overrides first_line
  when confirmations > 2
  then set result = "no offer"
"#;
    let new = write(&dir, "new.pol", &table);
    assert_same(&old, &new);
}

#[test]
fn exit_2_and_the_diagnostics_for_a_policy_with_errors() {
    let dir = folder("errors");
    let old = write(&dir, "old.pol", SMALL);
    let new = write(
        &dir,
        "new.pol",
        &SMALL.replace("line == first", "line == frist"),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(["diff", &old, &new])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("frist"), "{err}");
}

#[test]
fn human_and_markdown_output() {
    let dir = folder("snap");
    let old = write(&dir, "old.pol", SMALL);
    let new = write(
        &dir,
        "new.pol",
        &SMALL.replace("confirmations > 2", "confirmations > 3"),
    );
    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_pol"))
            .current_dir(&dir)
            .args(["diff", "old.pol", "new.pol", "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        String::from_utf8(out.stdout).unwrap()
    };
    let _ = (old, new);
    insta::assert_snapshot!("diff_human", run("human"));
    insta::assert_snapshot!("diff_markdown", run("markdown"));
}
