//! Whether a ticket field is mandatory and which value it must hold are two
//! answers of the Decision: each is decided, or undecided with the facts it waits
//! on, independently of the other.

use pol::eval::decision::{Decision, FieldOut, FieldStatus, UndecidedReason};

const POLICY: &str = r#"
policy ticket_fields {
  title "Mandatory fields and their values"
}

case {
  wita_case: bool   "The case goes into WITA"
  has_email: bool   "The customer has an e-mail address"
  silent: bool      "The call was silent"
  asked_note: bool  "The customer asked for a note"
  note_text: text   "What the customer wants noted"
}

field email: text "EMAIL PELANGGAN"
field note: text  "CATATAN"

rule mandatory_columns
  quote "Isi kolom mandatory: EMAIL PELANGGAN"
  when wita_case
  then require email

rule no_email_dash
  quote "Jika pelanggan tidak punya email maka isi tanda (-)"
  when not has_email
  then set email = "-"

rule silent_call_email
  quote "Call hening: EMAIL PELANGGAN diisi tanda (*)"
  when silent
  then set email = "*"

rule note_on_request
  quote "Catat permintaan pelanggan"
  when asked_note
  then set note = note_text
"#;

fn decide(case: &str) -> Decision {
    let policy = pol::compile(POLICY, "ticket_fields.pol").unwrap().policy;
    pol::Engine::new(policy).evaluate_json(case, None).unwrap()
}

fn field<'d>(d: &'d Decision, id: &str) -> Option<&'d FieldOut> {
    d.ticket_fields.iter().find(|f| f.id == id)
}

fn decides(d: &Decision, fact: &str) -> Vec<String> {
    d.pending
        .iter()
        .find(|p| p.fact == fact)
        .map(|p| p.decides.clone())
        .unwrap_or_default()
}

#[test]
fn certainly_mandatory_while_the_value_waits() {
    let d = decide(r#"{"wita_case": true, "silent": false}"#);
    let email = field(&d, "email").unwrap();
    assert_eq!(email.status, FieldStatus::Required);
    assert!(email.waiting_on.is_empty());
    assert_eq!(email.value, None);
    assert_eq!(email.value_reason, Some(UndecidedReason::Pending));
    assert_eq!(email.value_waiting_on, ["has_email"]);
    // The rule that could still give the value explains the field too.
    let rules: Vec<_> = email.because.iter().map(|b| b.rule.as_str()).collect();
    assert_eq!(rules, ["mandatory_columns", "no_email_dash"]);
    assert_eq!(decides(&d, "has_email"), ["ticket_fields.email.value"]);
    assert!(!d.complete);
}

#[test]
fn a_rule_that_fired_makes_the_field_mandatory_while_its_value_waits_on_a_fact() {
    let d = decide(r#"{"asked_note": true}"#);
    let note = field(&d, "note").unwrap();
    assert_eq!(note.status, FieldStatus::Required);
    assert_eq!(note.value_reason, Some(UndecidedReason::Pending));
    assert_eq!(note.value_waiting_on, ["note_text"]);
    assert_eq!(decides(&d, "note_text"), ["ticket_fields.note.value"]);
}

#[test]
fn mandatory_pending_while_no_value_can_be_prescribed() {
    let d = decide(r#"{"has_email": true, "silent": false}"#);
    let email = field(&d, "email").unwrap();
    assert_eq!(email.status, FieldStatus::Undecided);
    assert_eq!(email.waiting_on, ["wita_case"]);
    // Every rule that could give a value has not fired: no value, decided.
    assert_eq!(email.value, None);
    assert_eq!(email.value_reason, None);
    assert!(email.value_waiting_on.is_empty());
    assert_eq!(decides(&d, "wita_case"), ["ticket_fields.email"]);
}

#[test]
fn mandatory_and_value_both_pending_are_listed_apart() {
    let d = decide(r#"{"silent": false}"#);
    let email = field(&d, "email").unwrap();
    assert_eq!(email.status, FieldStatus::Undecided);
    assert_eq!(email.waiting_on, ["wita_case", "has_email"]);
    assert_eq!(email.value_reason, Some(UndecidedReason::Pending));
    assert_eq!(email.value_waiting_on, ["has_email"]);
    assert_eq!(decides(&d, "wita_case"), ["ticket_fields.email"]);
    assert_eq!(
        decides(&d, "has_email"),
        ["ticket_fields.email", "ticket_fields.email.value"]
    );
    // A field counts once when ranking the facts to ask.
    assert_eq!(
        d.pending.first().map(|p| p.fact.as_str()),
        Some("wita_case")
    );
}

#[test]
fn mandatory_and_value_both_decided() {
    let d = decide(r#"{"wita_case": true, "has_email": false, "silent": false}"#);
    let email = field(&d, "email").unwrap();
    assert_eq!(email.status, FieldStatus::Required);
    assert_eq!(email.value, Some(serde_json::json!("-")));
    assert_eq!(email.value_reason, None);
    assert!(email.waiting_on.is_empty() && email.value_waiting_on.is_empty());
    assert!(d
        .pending
        .iter()
        .all(|p| p.decides.iter().all(|x| !x.contains("email"))));
}

#[test]
fn conflicting_values_leave_the_value_undecided_and_warn() {
    let d =
        decide(r#"{"wita_case": true, "has_email": false, "silent": true, "asked_note": false}"#);
    let email = field(&d, "email").unwrap();
    assert_eq!(email.status, FieldStatus::Required);
    assert_eq!(email.value, None);
    assert_eq!(email.value_reason, Some(UndecidedReason::Conflict));
    assert!(email.value_waiting_on.is_empty());
    assert!(d
        .warnings
        .iter()
        .any(|w| w.code == "W0103" && w.message.contains("`email`")));
    assert!(d.complete);
}

#[test]
fn the_old_wita_flow_requires_the_email_column_before_the_email_is_asked() {
    let src = std::fs::read_to_string("policies/callback.pol").unwrap();
    let policy = pol::compile(&src, "policies/callback.pol").unwrap().policy;
    let engine = pol::Engine::new(policy);
    let at = engine.policy().parse_at("2024-03-12T10:05:00+07:00");
    let case = r#"{"tier": "tier1", "criterion": "pelurusan_informasi",
        "call_ended_at": "2024-03-12T10:00:00+07:00", "lapul": "tidak_lapul"}"#;
    let d = engine.evaluate_json(case, at).unwrap();
    let email = field(&d, "wita_email").unwrap();
    insta::assert_snapshot!(
        "callback_wita_lama_email_field",
        serde_json::to_string_pretty(email).unwrap()
    );
    insta::assert_snapshot!("callback_wita_lama_email", d.to_json());
}
