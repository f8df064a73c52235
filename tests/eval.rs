//! Semantics of evaluation, through the public library API.

use pol::eval::decision::{
    OutcomeStatus, QuestionStatus, UndecidedReason, ValidityStatus, Verdict,
};
use pol::{compile, Decision, Engine};

fn policy(src: &str) -> Engine {
    match compile(src, "test.pol") {
        Ok(c) => Engine::new(c.policy),
        Err(d) => panic!("{}", pol::render::human(&d, "test.pol", src, false)),
    }
}

fn eval(p: &Engine, case: &str, at: Option<&str>) -> Decision {
    let at = at.map(|a| p.policy().parse_at(a).unwrap());
    p.evaluate_json(case, at).unwrap()
}

fn verdict(d: &Decision, action: &str) -> Verdict {
    d.actions
        .iter()
        .find(|a| a.id == action)
        .map(|a| a.verdict)
        .unwrap()
}

const OFFER: &str = r#"
policy offers { title "Offers" }
enum Recipient { owner, payer, other }
case {
  recipient: Recipient ask "Siapa yang menerima telepon?"
  confirm_count: int   ask "Berapa kali perlu konfirmasi?"
  declared_not_pj: bool ask "Menyatakan bukan PJ?"
  vip: bool            ask "VIP?"
}
question pj "Apakah bapak/ibu penanggung jawab?" must be correct
action offer "Lanjutkan penawaran"
action escalate "Eskalasi" default forbidden
rule general
  quote "q1"
  when recipient == other or vip
  then ask pj
       allow offer
rule too_many overrides general
  quote "q2"
  when confirm_count > 2
  then forbid offer
rule declared
  quote "q3"
  when declared_not_pj and recipient != owner
  then forbid offer
example "e" { given { recipient: owner } expect { } }
"#;

#[test]
fn false_and_unknown_is_decided_false() {
    let p = policy(OFFER);
    // `declared_not_pj and recipient != owner`: recipient == owner makes it false whatever declared_not_pj is.
    let d = eval(
        &p,
        r#"{"recipient": "owner", "vip": false, "confirm_count": 0}"#,
        None,
    );
    assert_eq!(verdict(&d, "offer"), Verdict::Undecided);
    assert_eq!(d.actions[0].reason, Some(UndecidedReason::NoRule));
    assert!(d.complete, "nothing left to ask: {:?}", d.pending);
}

#[test]
fn true_or_unknown_is_decided_true() {
    let p = policy(OFFER);
    let d = eval(
        &p,
        r#"{"recipient": "other", "confirm_count": 0, "declared_not_pj": false}"#,
        None,
    );
    // `recipient == other or vip`: true without knowing vip.
    assert_eq!(verdict(&d, "offer"), Verdict::Allowed);
    assert!(d
        .questions
        .iter()
        .any(|q| q.id == "pj" && q.status == QuestionStatus::Ask));
    assert!(
        d.pending.iter().all(|p| p.fact != "vip"),
        "vip decides nothing here"
    );
}

#[test]
fn unknown_facts_keep_outputs_undecided_and_pending() {
    let p = policy(OFFER);
    let d = eval(&p, r#"{"recipient": "other"}"#, None);
    assert_eq!(verdict(&d, "offer"), Verdict::Undecided);
    assert_eq!(d.actions[0].reason, Some(UndecidedReason::Pending));
    assert!(!d.complete);
    let pending: Vec<&str> = d.pending.iter().map(|p| p.fact.as_str()).collect();
    assert!(
        pending.contains(&"confirm_count") && pending.contains(&"declared_not_pj"),
        "{pending:?}"
    );
    assert!(d.pending[0].question.is_some());
}

#[test]
fn unanswered_is_not_pending() {
    let p = policy(OFFER);
    let d = eval(
        &p,
        r#"{"recipient": "other", "confirm_count": null, "declared_not_pj": false}"#,
        None,
    );
    assert_eq!(verdict(&d, "offer"), Verdict::Undecided);
    assert_eq!(d.actions[0].reason, Some(UndecidedReason::Unanswered));
    assert!(d.pending.iter().all(|p| p.fact != "confirm_count"));
    assert!(d.complete);
}

#[test]
fn override_and_forbid_beats_allow() {
    let p = policy(OFFER);
    let d = eval(
        &p,
        r#"{"recipient": "other", "confirm_count": 3, "declared_not_pj": false}"#,
        None,
    );
    assert_eq!(verdict(&d, "offer"), Verdict::Forbidden);
    assert_eq!(d.actions[0].because[0].rule, "too_many");
    // The overridden rule's question is gone too.
    assert!(d.questions.is_empty());
    let d = eval(
        &p,
        r#"{"recipient": "payer", "vip": true, "confirm_count": 0, "declared_not_pj": true}"#,
        None,
    );
    assert_eq!(
        verdict(&d, "offer"),
        Verdict::Forbidden,
        "forbid beats allow without overrides"
    );
}

#[test]
fn action_default_applies_when_no_rule_speaks() {
    let p = policy(OFFER);
    let d = eval(&p, r#"{}"#, None);
    assert_eq!(verdict(&d, "escalate"), Verdict::Forbidden);
}

const CONFLICT: &str = r#"
policy c { title "C" }
case { a: bool ask "a?"  b: bool ask "b?" }
action x "X"
outcome status: text "Status"
rule r1 quote "1" when a then require x  set status = "A"
rule r2 quote "2" when b then forbid x   set status = "B"
example "e" { given { a: true } expect { } }
"#;

#[test]
fn runtime_conflicts_are_undecided_never_guessed() {
    let p = policy(CONFLICT);
    let d = eval(&p, r#"{"a": true, "b": true}"#, None);
    assert_eq!(verdict(&d, "x"), Verdict::Undecided);
    assert_eq!(d.actions[0].reason, Some(UndecidedReason::Conflict));
    assert_eq!(d.outcome_details[0].status, OutcomeStatus::Undecided);
    assert!(d.outcomes.is_empty());
    assert!(
        d.warnings.iter().any(|w| w.code == "W0103"),
        "{:?}",
        d.warnings
    );
}

const NIGHT: &str = r#"
policy night {
  title "Night"
}
calendar { zone "Asia/Jakarta" }
case { ended_at: datetime ask "Kapan call terputus?" }
let night = time_of(ended_at) in 19:01 .. 07:29
let day = time_of(ended_at) in 07:30 .. 19:00
action callback "Callback"
deadline due_callback "Callback ke pelanggan"
rule day_flow quote "d" when day then require callback  due due_callback within 30 minutes after ended_at
rule night_flow quote "n" when night then require callback  due due_callback by end_of_day(ended_at)
example "e" { given { ended_at: 2025-05-01T10:00 } expect { callback required } }
"#;

#[test]
fn time_ranges_wrap_midnight_and_end_inclusive_to_the_minute() {
    let p = policy(NIGHT);
    let cases = [
        (
            "2025-05-01T19:00:30+07:00",
            Some("2025-05-01T19:30:30+07:00"),
        ),
        (
            "2025-05-01T19:00:59+07:00",
            Some("2025-05-01T19:30:59+07:00"),
        ),
        (
            "2025-05-01T19:01:00+07:00",
            Some("2025-05-01T23:59:59+07:00"),
        ),
        (
            "2025-05-01T23:00:00+07:00",
            Some("2025-05-01T23:59:59+07:00"),
        ),
        (
            "2025-05-02T07:29:59+07:00",
            Some("2025-05-02T23:59:59+07:00"),
        ),
        (
            "2025-05-02T07:30:00+07:00",
            Some("2025-05-02T08:00:00+07:00"),
        ),
    ];
    for (t, due) in cases {
        let d = eval(&p, &format!(r#"{{"ended_at": "{t}"}}"#), None);
        assert_eq!(verdict(&d, "callback"), Verdict::Required, "{t}");
        assert_eq!(
            d.deadlines.first().and_then(|x| x.due.as_deref()),
            due,
            "{t}"
        );
    }
}

#[test]
fn same_input_gives_byte_identical_output() {
    let p = policy(OFFER);
    let a = eval(
        &p,
        r#"{"recipient": "other"}"#,
        Some("2025-05-01T10:00+07:00"),
    )
    .to_json();
    let b = eval(
        &p,
        r#"{"recipient": "other"}"#,
        Some("2025-05-01T10:00+07:00"),
    )
    .to_json();
    assert_eq!(a, b);
}

const DATED: &str = r#"
policy dated {
  title "Dated"
  valid from 2024-01-01 until 2025-06-30
}
calendar { zone "Asia/Jakarta" }
case { dropped: bool ask "Call terputus?" }
action input_wita "Input WITA"
action callback_self "Callback mandiri"
rule old_flow
  quote "Input Callback di aplikasi WITA"
  valid until 2024-04-14
  when dropped
  then require input_wita
rule new_flow
  quote "dihandle mandiri oleh agent"
  valid from 2024-04-15
  when dropped
  then require callback_self  forbid input_wita
example "e" { at 2025-01-01T10:00 given { dropped: true } expect { callback_self required } }
"#;

#[test]
fn validity_windows_of_policy_and_rules() {
    let p = policy(DATED);
    let old = eval(&p, r#"{"dropped": true}"#, Some("2024-03-01T10:00+07:00"));
    assert_eq!(verdict(&old, "input_wita"), Verdict::Required);
    assert_eq!(verdict(&old, "callback_self"), Verdict::Undecided);
    let new = eval(&p, r#"{"dropped": true}"#, Some("2025-05-01T10:00+07:00"));
    assert_eq!(verdict(&new, "input_wita"), Verdict::Forbidden);
    assert_eq!(new.validity.status, ValidityStatus::Valid);
    let expired = eval(&p, r#"{"dropped": true}"#, Some("2026-11-23T10:00+07:00"));
    assert_eq!(expired.validity.status, ValidityStatus::Expired);
    assert_eq!(verdict(&expired, "callback_self"), Verdict::Undecided);
    assert!(expired.warnings.iter().any(|w| w.code == "W0105"));
    let no_time = eval(&p, r#"{"dropped": true}"#, None);
    assert_eq!(no_time.validity.status, ValidityStatus::Unknown);
    assert!(!no_time.complete);
    assert!(no_time.warnings.iter().any(|w| w.code == "W0104"));
}

const SCRIPTS: &str = r#"
policy s { title "S" }
case { name: text ask "Nama?"  total: int ask "Total?"  parts: int ask "Bagian?" }
let share = total / parts
script hello "Halo {name}, terima kasih." max 20 characters
outcome each: decimal "Per bagian"
rule r quote "q" when total > 0 then say hello  set each = share
example "e" { given { name: "A", total: 1, parts: 1 } expect { say hello } }
"#;

#[test]
fn scripts_fill_placeholders_and_warn_when_too_long() {
    let p = policy(SCRIPTS);
    let d = eval(&p, r#"{"total": 4, "parts": 2}"#, None);
    assert_eq!(d.scripts[0].text, "Halo {name}, terima kasih.");
    assert_eq!(d.scripts[0].missing, vec!["name".to_string()]);
    let d = eval(&p, r#"{"name": "Budi", "total": 4, "parts": 2}"#, None);
    assert_eq!(d.scripts[0].text, "Halo Budi, terima kasih.");
    assert!(
        d.warnings.iter().any(|w| w.code == "W0101"),
        "24 characters > 20"
    );
    assert_eq!(d.outcomes.get("each"), Some(&serde_json::json!("2")));
}

#[test]
fn runtime_errors_are_reported_not_crashed() {
    let p = policy(SCRIPTS);
    let d = eval(&p, r#"{"name": "Budi", "total": 4, "parts": 0}"#, None);
    assert!(
        d.warnings.iter().any(|w| w.code == "W0102"),
        "division by zero: {:?}",
        d.warnings
    );
    assert_eq!(d.outcome_details[0].status, OutcomeStatus::Undecided);
}

const PENDING: &str = r#"
policy p { title "P" }
case { a: bool ask "A?"  b: bool ask "B?"  c: bool ask "C?" }
action x "X"
action y "Y"
action z "Z"
rule rx quote "x" when a and c then require x
rule ry quote "y" when b and c then require y
rule rz quote "z" when c then require z
example "e" { given { a: true } expect { } }
"#;

#[test]
fn pending_is_ordered_by_what_it_settles() {
    let p = policy(PENDING);
    let d = eval(&p, "{}", None);
    let order: Vec<&str> = d.pending.iter().map(|p| p.fact.as_str()).collect();
    assert_eq!(order, ["c", "a", "b"]);
    assert_eq!(
        d.pending[0].decides,
        ["actions.x", "actions.y", "actions.z"]
    );
}

#[test]
fn bad_case_records_get_a_path_and_a_suggestion() {
    let p = policy(OFFER);
    let e = p
        .evaluate_json(r#"{"recipient": "payr"}"#, None)
        .unwrap_err();
    assert_eq!((e.code, e.path.as_str()), ("E0606", "$.recipient"));
    assert!(e.message.contains("did you mean `payer`"), "{}", e.message);
    let e = p.evaluate_json(r#"{"confirm_cont": 2}"#, None).unwrap_err();
    assert_eq!(e.code, "E0603");
    assert!(e.message.contains("confirm_count"));
    let e = p
        .evaluate_json(r#"{"confirm_count": "two"}"#, None)
        .unwrap_err();
    assert_eq!(e.code, "E0604");
    assert_eq!(e.expected, "a whole number");
    assert!(p.evaluate_json("[1, 2", None).is_err());
}

const TABLE: &str = r#"
policy t { title "T" }
enum Result { data_incomplete, contacted, rna, called_147 }
enum Step { return_wo, escalate, fcr_yes, send_sms }
enum Status { NOT_APPROVED, CONTACTED, RNA, JUNK }
enum Target { AGENT, WITEL }
case { result: Result ask "Hasil?"  step: Step ask "Langkah?" }
outcome status: Status "Status tiket"
outcome target: Target "Tujuan eskalasi"
table tier2
  quote "Tabel Tier 2"
  hit first
  | result          | step     => status       | target |
  |-----------------|----------|--------------|--------|
  | data_incomplete | -        => NOT_APPROVED | AGENT  |
  | contacted       | escalate => CONTACTED    | WITEL  |
  | contacted       | fcr_yes  => CONTACTED    | AGENT  |
  | rna             | -        => RNA          | AGENT  |
  | called_147      | -        => JUNK         | AGENT  |
  | -               | -        => -            | AGENT  |
example "e" { given { result: rna } expect { status = RNA } }
"#;

#[test]
fn tables_become_rules_with_first_hit() {
    let p = policy(TABLE);
    let d = eval(&p, r#"{"result": "contacted", "step": "escalate"}"#, None);
    assert_eq!(
        d.outcomes.get("status"),
        Some(&serde_json::json!("CONTACTED"))
    );
    assert_eq!(d.outcomes.get("target"), Some(&serde_json::json!("WITEL")));
    assert_eq!(d.outcome_details[0].because[0].rule, "tier2[2]");
    let d = eval(&p, r#"{"result": "rna"}"#, None);
    assert_eq!(d.outcomes.get("status"), Some(&serde_json::json!("RNA")));
    assert!(
        d.complete,
        "the step does not matter for RNA: {:?}",
        d.pending
    );
    let d = eval(&p, r#"{"result": "contacted", "step": "send_sms"}"#, None);
    assert_eq!(d.outcomes.get("status"), None);
    assert_eq!(d.outcomes.get("target"), Some(&serde_json::json!("AGENT")));
}

#[test]
fn working_days_use_the_calendar() {
    let src = r#"
policy w { title "W" }
calendar {
  zone "Asia/Jakarta"
  open monday .. friday 08:00 .. 17:00
  closed 2025-05-05
}
case { answered_at: datetime ask "Kapan dijawab?" }
deadline chase "Tanyakan kepuasan pelanggan"
rule r quote "2x24 jam kerja" when answered_at is answered then due chase within 18 working hours after answered_at
example "e" { given { answered_at: 2025-05-02T16:00 } expect { due chase 2025-05-07T16:00 } }
"#;
    let p = policy(src);
    let results = pol::testing::run_examples(&p);
    assert!(results[0].passed(), "{:?}", results[0].failures);
}

/// "selama 2x24 jam kerja tidak ada feedback": two working days after the answer,
/// compared with the evaluation time, counted as the deadline counts them.
const CHASE: &str = r#"
policy chase { title "Chase" }
calendar {
  zone "Asia/Jakarta"
  open monday .. friday 08:00 .. 17:00
  closed 2025-05-19
}
case { answer_sent_at: datetime ask "Kapan jawaban dikirim?" }
action follow_up "Tanyakan kepuasan"
deadline follow_up_due "Tanyakan kepuasan"
let chase_from "Batas 2x24 jam kerja" = answer_sent_at + 2 working days
rule window quote "2x24 jam kerja" when answer_sent_at is answered
  then due follow_up_due within 2 working days after answer_sent_at
rule chase quote "2x24 jam kerja" when now >= chase_from then require follow_up
"#;

#[test]
fn working_days_in_a_condition_compare_with_the_evaluation_time() {
    let p = policy(CHASE);
    // Friday 16:00; Monday 19 May is closed: due Wednesday 16:00.
    let case = r#"{"answer_sent_at": "2025-05-16T16:00+07:00"}"#;
    let before = eval(&p, case, Some("2025-05-21T15:59+07:00"));
    assert_eq!(verdict(&before, "follow_up"), Verdict::Undecided);
    assert_eq!(
        before.deadlines[0].due.as_deref(),
        Some("2025-05-21T16:00:00+07:00")
    );
    let after = eval(&p, case, Some("2025-05-21T16:00+07:00"));
    assert_eq!(verdict(&after, "follow_up"), Verdict::Required);
    assert!(after.complete, "{:?}", after.pending);
    // Over the weekend by the clock it is already three days: still no chase.
    let weekend = eval(&p, case, Some("2025-05-19T16:00+07:00"));
    assert_eq!(verdict(&weekend, "follow_up"), Verdict::Undecided);
}

#[test]
fn working_days_in_a_condition_wait_on_what_they_read() {
    let p = policy(CHASE);
    let case = r#"{"answer_sent_at": "2025-05-16T16:00+07:00"}"#;
    let no_time = eval(&p, case, None);
    let chase = no_time
        .actions
        .iter()
        .find(|a| a.id == "follow_up")
        .unwrap();
    assert_eq!(chase.verdict, Verdict::Undecided);
    assert_eq!(chase.waiting_on, vec!["@at".to_string()]);
    let no_answer = eval(&p, "{}", Some("2025-05-21T16:00+07:00"));
    let chase = no_answer
        .actions
        .iter()
        .find(|a| a.id == "follow_up")
        .unwrap();
    assert_eq!(chase.waiting_on, vec!["answer_sent_at".to_string()]);
}

#[test]
fn working_days_in_a_condition_need_opening_hours_and_a_date_and_time() {
    let no_hours = CHASE.replace("  open monday .. friday 08:00 .. 17:00\n", "");
    let codes = |src: &str| match compile(src, "test.pol") {
        Ok(_) => Vec::new(),
        Err(d) => d
            .iter()
            .map(|d| d.code.to_string())
            .filter(|c| c.starts_with('E'))
            .collect::<Vec<_>>(),
    };
    assert!(codes(&no_hours).contains(&"E0211".to_string()));
    let subtracted = CHASE.replace(
        "when now >= chase_from",
        "when now - 2 working days >= answer_sent_at",
    );
    assert_eq!(codes(&subtracted), vec!["E0210".to_string()]);
    let on_a_date = CHASE.replace("answer_sent_at + 2 working days", "today + 2 working days");
    assert!(codes(&on_a_date).contains(&"E0210".to_string()));
}

/// A calendar with no opening hours for ten years: the deadline is undecided and the
/// Decision says why (W0102), never a guessed time.
#[test]
fn working_time_that_the_calendar_never_has_leaves_the_deadline_undecided() {
    let mut closed = Vec::new();
    let mut day = pol::time::parse_date("2025-05-05").unwrap(); // a Monday
    for _ in 0..560 {
        closed.push(pol::time::format_date(day));
        day += 7;
    }
    let src = format!(
        r#"
policy p {{ title "P" }}
calendar {{
  zone "UTC"
  open monday .. monday 08:00 .. 17:00
  closed {}
}}
case {{ sent_at: datetime ask "Sent?" }}
deadline reply "Reply"
rule r quote "q" when sent_at < 2030-01-01T00:00Z then due reply within 1 working days after sent_at
"#,
        closed.join(", ")
    );
    let p = policy(&src);
    let d = eval(&p, r#"{"sent_at": "2025-05-02T10:00Z"}"#, None);
    assert_eq!(d.deadlines[0].due, None, "{:?}", d.deadlines);
    assert!(
        d.warnings
            .iter()
            .any(|w| w.code == "W0102" && w.message.contains("reply")),
        "{:?}",
        d.warnings
    );
    let in_condition = src.replace(
        "when sent_at < 2030-01-01T00:00Z",
        "when now >= sent_at + 1 working days",
    );
    let p = policy(&in_condition);
    let d3 = eval(
        &p,
        r#"{"sent_at": "2025-05-02T10:00Z"}"#,
        Some("2025-06-01T10:00Z"),
    );
    assert!(
        d3.warnings
            .iter()
            .any(|w| w.code == "W0102" && w.message.contains("1 working days")),
        "{:?}",
        d3.warnings
    );
    let hours = src.replace("1 working days", "2 working hours");
    let p = policy(&hours);
    let d2 = eval(&p, r#"{"sent_at": "2025-05-02T10:00Z"}"#, None);
    assert_eq!(d2.deadlines[0].due, None);
    assert_eq!(d.deadlines[0].status, d2.deadlines[0].status);
}

/// A `Case` made by hand, or decoded for another policy, with too few or too many
/// slots: the facts it lacks are not given, the extra slots are ignored, nothing is
/// read out of range.
#[test]
fn a_case_that_does_not_fit_the_policy_is_evaluated_as_given_not_out_of_range() {
    let p = policy(OFFER);
    let empty = pol::Case::empty(p.policy());
    let expected = serde_json::to_string(&p.evaluate(&empty, None)).unwrap();
    let none = pol::Case::default();
    assert_eq!(
        serde_json::to_string(&p.evaluate(&none, None)).unwrap(),
        expected
    );

    let other = policy("policy s { title \"S\" }\ncase {\n  a: bool\n}\naction x \"X\"\nrule r\n  quote \"q\"\n  when a\n  then require x\n");
    let small = pol::decode_case(other.policy(), r#"{"a": true}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&p.evaluate(&small, None)).unwrap(),
        serde_json::to_string(&p.evaluate(&small.fitted(p.policy()), None)).unwrap()
    );
    assert!(!small.fits(p.policy()) && small.fitted(p.policy()).fits(p.policy()));

    let full = pol::decode_case(
        p.policy(),
        r#"{"recipient":"owner","confirm_count":1,"declared_not_pj":false,"vip":true}"#,
    )
    .unwrap();
    let mut longer = full.clone();
    longer.slots.push(pol::eval::FactValue::Absent);
    assert_eq!(
        serde_json::to_string(&p.evaluate(&longer, None)).unwrap(),
        serde_json::to_string(&p.evaluate(&full, None)).unwrap()
    );
    let d = p.evaluate(&none, None);
    assert!(
        !d.pending.is_empty(),
        "the facts a hand-made empty case lacks are pending"
    );
}
