//! The `sensitive` mark on a case fact: accepted in every position among the
//! fact's attributes, carried to the checked policy and the case schema, and of
//! no effect on evaluation.

use pol::syntax::ast::Item;

const LABEL: &str = r#""Nomor CP yang dihubungi""#;
const ASK: &str = r#"ask "Nomor berapa yang bisa dihubungi?""#;

fn policy_with(attributes: &str) -> String {
    format!(
        r#"policy p {{ title "P" }}
case {{
  nomor_cp: text {attributes}
  count: int ask "Berapa kali?"
}}
action a "A"
rule r quote "Lebih dari sekali" when count > 1 and nomor_cp != "" then require a
example "twice" {{
  given {{ count: 2, nomor_cp: "0812" }}
  expect {{ a required }}
}}
"#
    )
}

#[test]
fn the_mark_is_accepted_in_every_position() {
    // A label right after the `ask` text would be joined to the question (two
    // texts side by side are one), so the question comes before the label only
    // with the mark between them.
    let orders = [
        format!("sensitive {LABEL} {ASK}"),
        format!("{LABEL} sensitive {ASK}"),
        format!("{LABEL} {ASK} sensitive"),
        format!("{ASK} sensitive {LABEL}"),
        format!("{ASK}\n      sensitive\n      {LABEL}"),
    ];
    for attributes in &orders {
        let source = policy_with(attributes);
        // The syntax tree holds the mark with the span of the word.
        let file = pol::syntax::parse(&source).unwrap_or_else(|e| panic!("{attributes}: {e:?}"));
        let fact = file
            .items
            .iter()
            .find_map(|i| match i {
                Item::Case(c) => c.facts.first(),
                _ => None,
            })
            .unwrap();
        assert_eq!(fact.sensitive.len(), 1, "{attributes}");
        let span = fact.sensitive[0];
        assert_eq!(&source[span.start as usize..span.end as usize], "sensitive");
        // The checked fact keeps the mark, the label and the question.
        let compiled = pol::compile(&source, "p.pol").unwrap_or_else(|d| panic!("{d:?}"));
        let nomor = &compiled.policy.facts.as_slice()[0];
        assert!(nomor.sensitive, "{attributes}");
        assert_eq!(nomor.label.as_deref(), Some("Nomor CP yang dihubungi"));
        assert_eq!(
            nomor.ask.as_deref(),
            Some("Nomor berapa yang bisa dihubungi?")
        );
        assert!(!compiled.policy.facts.as_slice()[1].sensitive);
    }
}

#[test]
fn the_mark_goes_with_a_label_alone_a_question_alone_or_nothing() {
    for (attributes, label, ask) in [
        ("sensitive".to_string(), false, false),
        (format!("sensitive {LABEL}"), true, false),
        (format!("{LABEL} sensitive"), true, false),
        (format!("sensitive {ASK}"), false, true),
        (format!("{ASK} sensitive"), false, true),
    ] {
        let policy = pol::compile(&policy_with(&attributes), "p.pol")
            .unwrap_or_else(|d| panic!("{attributes}: {d:?}"))
            .policy;
        let fact = &policy.facts.as_slice()[0];
        assert!(fact.sensitive, "{attributes}");
        assert_eq!(fact.label.is_some(), label, "{attributes}");
        assert_eq!(fact.ask.is_some(), ask, "{attributes}");
    }
}

#[test]
fn the_schema_marks_sensitive_facts() {
    let source = policy_with(&format!("sensitive {LABEL}"));
    let policy = pol::compile(&source, "p.pol").unwrap().policy;
    let schema = pol::schema::case_schema(&policy);
    assert_eq!(schema["properties"]["nomor_cp"]["x-sensitive"], true);
    assert!(schema["properties"]["count"].get("x-sensitive").is_none());
}

#[test]
fn the_mark_changes_no_decision() {
    let marked = pol::Engine::new(
        pol::compile(&policy_with(&format!("sensitive {LABEL}")), "p.pol")
            .unwrap()
            .policy,
    );
    let plain = pol::Engine::new(pol::compile(&policy_with(LABEL), "p.pol").unwrap().policy);
    for case in [
        r#"{"count": 2, "nomor_cp": "0812"}"#,
        r#"{"count": 2}"#,
        "{}",
    ] {
        let a = serde_json::to_value(marked.evaluate_json(case, None).unwrap()).unwrap();
        let b = serde_json::to_value(plain.evaluate_json(case, None).unwrap()).unwrap();
        assert_eq!(a, b, "{case}");
    }
}

#[test]
fn sensitive_is_a_reserved_word() {
    let source = policy_with(LABEL).replace("nomor_cp", "sensitive");
    let errors = pol::compile(&source, "p.pol").unwrap_err();
    assert!(errors.iter().any(|d| d.code == "E0010"), "{errors:?}");
}
