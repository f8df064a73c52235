//! The decoder's answers on the shapes that are easy to get wrong: keys given twice,
//! errors in the order keys first appear, a text that is not JSON after a schema
//! error, paths into lists, numbers serde reads in several ways.

use super::{decode_case, decode_case_into, decode_fact, decode_value, CaseError};
use crate::check::ir::Policy;
use crate::eval::{Case, FactValue};

const POLICY: &str = r#"
policy p { title "P" }
calendar { zone "Asia/Jakarta" }
enum Who { owner, other }
case {
  who: Who ask "Who?"
  n: int ask "How many?"
  amount: decimal ask "How much?"
  ok: bool ask "OK?"
  name: text ask "Name?"
  at: datetime ask "When?"
  tags: list of text ask "Tags?"
  roles: set of Who ask "Roles?"
}
action a "A"
rule r when ok then require a
"#;
fn policy() -> Policy {
    match crate::compile(POLICY, "p.pol") {
        Ok(c) => c.policy,
        Err(d) => panic!("{d:?}"),
    }
}

fn shown(policy: &Policy, read: Result<Case, CaseError>) -> String {
    match read {
        Ok(case) => {
            let given: Vec<String> = case
                .slots
                .iter()
                .zip(&policy.facts)
                .filter(|(s, _)| !matches!(s, FactValue::Absent))
                .map(|(s, f)| format!("{}={s:?}", f.name))
                .collect();
            format!("ok {}", given.join(" "))
        }
        Err(e) => format!(
            "{} at {}: {} (expected {}, found {})",
            e.code, e.path, e.message, e.expected, e.found
        ),
    }
}

/// (case text, what it decodes to), as the decoder before this one (a JSON tree
/// first, then checked key by key) decoded them.
const TABLE: &[(&str, &str)] = &[
        ("{\"who\": \"owner\", \"n\": 3, \"amount\": \"12.50\", \"ok\": true, \"name\": \"Bu\\u0064i\", \"at\": \"2025-04-29T10:30\", \"tags\": [\"a\", \"a\"], \"roles\": [\"owner\", \"other\"]}", "ok who=Known(Enum(0, 0)) n=Known(Int(3)) amount=Known(Decimal(12.50)) ok=Known(Bool(true)) name=Known(Text(\"Budi\")) at=Known(DateTime(1745897400)) tags=Known(List([Text(\"a\"), Text(\"a\")])) roles=Known(List([Enum(0, 0), Enum(0, 1)]))"),
        ("{\"who\": null, \"amount\": 1.5, \"n\": 9223372036854775807, \"w\\u0068o\": \"other\"}", "ok who=Known(Enum(0, 1)) n=Known(Int(9223372036854775807)) amount=Known(Decimal(1.5))"),
        ("{\"amount\": -0, \"tags\": []}", "ok amount=Known(Decimal(0.0)) tags=Known(List([]))"),
        ("{\"n\": \"x\", \"n\": 1}", "ok n=Known(Int(1))"),
        ("{\"n\": 1, \"ok\": 2, \"n\": \"x\"}", "E0604 at $.n: expected a whole number, found the text \"x\" (expected a whole number, found the text \"x\")"),
        ("{\"ok\": true, \"n\": 1, \"zz\": 0, \"n\": \"x\", \"ok\": 3}", "E0604 at $.ok: expected true or false, found the number 3 (expected true or false, found the number 3)"),
        ("{\"n\": \"x\", \"zz\": 1, \"n\": 2}", "E0603 at $.zz: `zz` is not a fact of policy `p` (expected a fact of the policy, found `zz`)"),
        ("{\"nme\": 1, \"n\": \"x\"}", "E0603 at $.nme: `nme` is not a fact of policy `p`; did you mean `name`? (expected a fact of the policy, found `nme`)"),
        ("{\"n\": \"x\", \"ok\": true,}", "E0601 at line 1, column 23: the case is not valid JSON: trailing comma at line 1 column 23 (expected a JSON object, found text that is not valid JSON)"),
        ("{\"n\": \"x\"} x", "E0601 at line 1, column 12: the case is not valid JSON: trailing characters at line 1 column 12 (expected a JSON object, found text that is not valid JSON)"),
        ("{\"tags\": [\"a\", null, 1]}", "E0604 at $.tags[1]: a list cannot hold null (expected text, found null)"),
        ("{\"roles\": [\"owner\", \"owner\"]}", "E0607 at $.roles[1]: the text \"owner\" appears twice in a set (expected each value once, found the text \"owner\")"),
        ("{\"roles\": [\"owner\", \"nobdy\"]}", "E0606 at $.roles[1]: \"nobdy\" is not a value of `Who` (expected one of owner, other, found \"nobdy\")"),
        ("{\"tags\": [[\"a\"]]}", "E0604 at $.tags[0]: expected a text, found a list (expected a text, found a list)"),
        ("{\"tags\": {\"a\": [1, 2]}}", "E0604 at $.tags: expected a list of text, found an object (expected a list of text, found an object)"),
        ("{\"n\": 9223372036854775808}", "E0604 at $.n: expected a whole number, found the number 9223372036854775808 (expected a whole number, found the number 9223372036854775808)"),
        ("{\"n\": 1e400}", "E0601 at line 1, column 11: the case is not valid JSON: number out of range at line 1 column 11 (expected a JSON object, found text that is not valid JSON)"),
        ("{\"amount\": 1e-7}", "ok amount=Known(Decimal(0.0000001))"),
        ("{\"at\": \"9999-12-31T23:59:59-05:00\"}", "E0605 at $.at: expected a date and time such as \"2025-04-29T10:30:00+07:00\", from year 0001 to 9999, found \"9999-12-31T23:59:59-05:00\" (expected a date and time such as \"2025-04-29T10:30:00+07:00\", from year 0001 to 9999, found \"9999-12-31T23:59:59-05:00\")"),
        ("{\"name\": \"\\ud800\"}", "E0601 at line 1, column 17: the case is not valid JSON: unexpected end of hex escape at line 1 column 17 (expected a JSON object, found text that is not valid JSON)"),
        ("[1, 2]", "E0602 at $: a case must be a JSON object of facts, not a list (expected a JSON object of facts, found a list)"),
        ("\"text\"", "E0602 at $: a case must be a JSON object of facts, not the text \"text\" (expected a JSON object of facts, found the text \"text\")"),
        ("-1.5", "E0602 at $: a case must be a JSON object of facts, not the number -1.5 (expected a JSON object of facts, found the number -1.5)"),
        ("", "E0601 at line 1, column 0: the case is not valid JSON: EOF while parsing a value at line 1 column 0 (expected a JSON object, found text that is not valid JSON)"),
];

#[test]
fn each_text_decodes_as_before() {
    let policy = policy();
    for (text, want) in TABLE {
        assert_eq!(shown(&policy, decode_case(&policy, text)), *want, "{text}");
    }
}

#[test]
fn a_parsed_value_decodes_as_its_text() {
    let policy = policy();
    for (text, _) in TABLE {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
            assert_eq!(
                decode_value(&policy, &json),
                decode_case(&policy, text),
                "{text}"
            );
        }
    }
}

#[test]
fn a_reused_case_starts_empty() {
    let policy = policy();
    let mut case = Case::empty(&policy);
    for (text, _) in TABLE {
        let read = decode_case_into(&policy, text, &mut case).map(|()| case.clone());
        assert_eq!(read, decode_case(&policy, text), "{text}");
    }
}

#[test]
fn nesting_deeper_than_serde_allows_is_not_json() {
    let policy = policy();
    let text = format!("{{\"zz\": {}{}}}", "[".repeat(200), "]".repeat(200));
    let e = decode_case(&policy, &text).err();
    assert_eq!(e.as_ref().map(|e| e.code), Some("E0601"));
    assert!(
        e.is_some_and(|e| e.message.contains("recursion limit exceeded")),
        "{text}"
    );
}

#[test]
fn one_fact_reads_as_in_a_record() {
    let policy = policy();
    let fact = |name: &str| policy.facts.iter().find(|f| f.name == name);
    let Some(n) = fact("n") else {
        panic!("no fact n")
    };
    let read = |j: serde_json::Value| decode_fact(&policy, n, &j);
    assert_eq!(
        read(serde_json::json!(3)),
        Ok(FactValue::Known(crate::value::Value::Int(3)))
    );
    assert_eq!(read(serde_json::Value::Null), Ok(FactValue::Null));
    let e = read(serde_json::json!("x")).err();
    assert_eq!(
        e.map(|e| (e.code, e.path)),
        Some(("E0604", "$.n".to_string()))
    );
}
