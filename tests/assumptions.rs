//! `assume "…"`: what the shipped policies assume that their SOPs do not say is
//! shown in the Decisions it matters to, with the rules it concerns; and 003's
//! customer-service address is given as the SOP writes it.

use pol::{Decision, Engine};

fn engine(stem: &str) -> Engine {
    let name = format!("policies/{stem}.pol");
    let src = std::fs::read_to_string(&name).unwrap();
    Engine::new(pol::compile(&src, &name).unwrap().policy)
}

fn decide(stem: &str, case: &str, at: &str) -> Decision {
    let e = engine(stem);
    let at = e.policy().parse_at(at);
    e.evaluate_json(case, at).unwrap()
}

/// The rules an assumption whose text starts with `start` is listed with.
fn rules_of<'d>(d: &'d Decision, start: &str) -> Option<Vec<&'d str>> {
    d.assumptions
        .iter()
        .find(|a| a.text.starts_with(start))
        .map(|a| a.rules.iter().map(String::as_str).collect())
}

const EWALLET: &str = r#"{
  "transaction_at": "2025-05-03T16:25:00+07:00", "activation_result": "failed",
  "purchase_channel": "e_wallet", "card_type": "kartu_as", "complaint_channel": "voice_cc",
  "balance_deducted": true, "records_visible": false, "benefit_received": false
}"#;

#[test]
fn activation_complaint_shows_its_lists_as_assumptions() {
    let d = decide("activation_complaint", EWALLET, "2025-05-05T10:00:00+07:00");
    let digital = rules_of(&d, "SOP tidak merinci channel digital/ecare").unwrap();
    assert_eq!(
        digital,
        [
            "todo_proof",
            "mandatory_digital_proof",
            "educate_send_proof_rule"
        ]
    );
    let cards = rules_of(&d, "SOP menyebut empat kartu").unwrap();
    assert!(cards.contains(&"prepaid_call_detail"), "{cards:?}");
    assert!(cards.contains(&"create_ticket_when_charged"), "{cards:?}");
    let kip = rules_of(&d, "SOP tidak memetakan kasus ke kategori KIP").unwrap();
    assert_eq!(kip, ["kip_failed_deducted"]);
    let at = &d.assumptions[0].at;
    assert!(at.starts_with("policies/activation_complaint.pol:"), "{at}");
}

#[test]
fn an_assumption_is_listed_only_where_its_rules_are() {
    // Bought over UMB: no rule that reads the digital channels is behind an
    // output, so that assumption is not shown.
    let umb = EWALLET.replace("e_wallet", "umb");
    let d = decide("activation_complaint", &umb, "2025-05-05T10:00:00+07:00");
    assert_eq!(
        rules_of(&d, "SOP tidak merinci channel digital/ecare"),
        None
    );
    assert!(rules_of(&d, "SOP menyebut empat kartu").is_some());
}

#[test]
fn activation_complaint_gives_the_customer_service_address() {
    let d = decide("activation_complaint", EWALLET, "2025-05-05T10:00:00+07:00");
    let a = d
        .actions
        .iter()
        .find(|a| a.id == "educate_send_proof")
        .unwrap();
    assert_eq!(a.verdict, pol::eval::decision::Verdict::Required);
    assert!(a.text.contains("cs@telkomsel.com"), "{}", a.text);
    assert!(
        a.because[0]
            .quote
            .as_deref()
            .unwrap()
            .contains("kirim bukti pembelian ke cs@telkomsel.com"),
        "{:?}",
        a.because
    );
}

#[test]
fn offline_customer_shows_the_office_calendar_it_assumes() {
    let case = std::fs::read_to_string(
        "policies/cases/offline_customer/tanpa_feedback_2x24_jam_kerja.json",
    )
    .unwrap();
    let d = decide("offline_customer", &case, "2025-05-12T10:00:00+07:00");
    // Wherever working time is counted, the office hours and holidays it is
    // counted in are shown as assumptions.
    assert!(
        rules_of(&d, "Jam kerja tidak disebut di SOP").is_some(),
        "{:#?}",
        d.assumptions
    );
    assert!(rules_of(&d, "Hari libur tidak disebut di SOP").is_some());
}

#[test]
fn callback_shows_the_zone_it_reads_the_sops_hours_in() {
    let case =
        std::fs::read_to_string("policies/cases/callback/call_terputus_malam_rna.json").unwrap();
    let d = decide("callback", &case, "2025-05-02T10:00:00+07:00");
    assert!(
        rules_of(&d, "SOP tidak menyebut zona waktu").is_some(),
        "{:#?}",
        d.assumptions
    );
}

#[test]
fn a_decision_without_assumptions_has_an_empty_list() {
    let case =
        std::fs::read_to_string("policies/cases/dm_verification/penerima_lain_di_cp_verified.json")
            .unwrap();
    let d = decide("dm_verification", &case, "2025-05-02T10:00:00+07:00");
    assert!(d.assumptions.is_empty());
    assert!(d.to_json().contains("\"assumptions\": []"));
}
