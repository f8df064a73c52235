//! A Decision as text for people (`--format human`).

use crate::eval::decision::{Because, Decision, ValidityStatus};
use std::fmt::Write;

fn why(b: &[Because]) -> String {
    if b.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = b.iter().map(|b| b.rule.as_str()).collect();
    format!("  ← {}", names.join(", "))
}

/// After a text that is the policy writer's wording, not the SOP's.
const OWN_WORDS: &str = " (own words, not the SOP's)";

pub fn decision(d: &Decision) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}",
        d.policy.id,
        d.policy.title.as_deref().unwrap_or("")
    );
    if matches!(
        d.validity.status,
        ValidityStatus::Expired | ValidityStatus::NotYetValid
    ) {
        let _ = writeln!(
            s,
            "!! this policy is {} at {}: do not follow it for a live call",
            d.validity.status.as_str().replace('_', " "),
            d.at.as_deref().unwrap_or("?")
        );
    }
    if !d.questions.is_empty() {
        let _ = writeln!(s, "\nAsk:");
        for q in &d.questions {
            let mark = if q.must_be_correct {
                " (must be answered correctly)"
            } else {
                ""
            };
            let own = if q.own_words { OWN_WORDS } else { "" };
            let _ = writeln!(
                s,
                "  [{}] {}{own}{mark}{}",
                q.status,
                q.text,
                why(&q.because)
            );
        }
    }
    let _ = writeln!(s, "\nActions:");
    for a in &d.actions {
        let extra = a.reason.map(|r| format!(" ({r})")).unwrap_or_default();
        let _ = writeln!(
            s,
            "  {:<10} {}{extra}{}",
            a.verdict,
            a.text,
            why(&a.because)
        );
    }
    if !d.ticket_fields.is_empty() {
        let _ = writeln!(s, "\nTicket fields:");
        for f in &d.ticket_fields {
            let v = match (&f.value, f.value_reason) {
                (Some(v), _) => format!(" = {v}"),
                (None, Some(r)) if f.value_waiting_on.is_empty() => format!(" = ? ({r})"),
                (None, Some(_)) => format!(" = ? (waits on {})", f.value_waiting_on.join(", ")),
                (None, None) => String::new(),
            };
            let _ = writeln!(s, "  [{}] {}{v}{}", f.status, f.label, why(&f.because));
        }
    }
    if !d.scripts.is_empty() {
        let _ = writeln!(s, "\nSay:");
        for sc in &d.scripts {
            let own = if sc.own_words { OWN_WORDS } else { "" };
            let _ = writeln!(
                s,
                "  [{}] \"{}\"{own}{}",
                sc.status,
                sc.text,
                why(&sc.because)
            );
            if let (Some(note), Some(max)) = (&sc.over_limit, sc.max_chars) {
                let _ = writeln!(
                    s,
                    "      ! {} characters, over the limit of {max}: {note}",
                    sc.length
                );
            }
        }
    }
    if !d.outcomes.is_empty() {
        let _ = writeln!(s, "\nOutcomes:");
        for o in &d.outcome_details {
            if let Some(v) = &o.value {
                let _ = writeln!(s, "  {} = {v}{}", o.label, why(&o.because));
            }
        }
    }
    for dl in &d.deadlines {
        let _ = writeln!(
            s,
            "\nDeadline: {} {}{}",
            dl.label,
            dl.due.as_deref().unwrap_or("(undecided)"),
            why(&dl.because)
        );
    }
    for o in &d.open {
        let _ = writeln!(s, "\nOpen point: {}{}", o.reason, why(&o.because));
    }
    for a in &d.assumptions {
        let _ = writeln!(
            s,
            "\nAssumed (not in the SOP): {}  ← {}",
            a.text,
            a.rules.join(", ")
        );
    }
    if !d.pending.is_empty() {
        let _ = writeln!(s, "\nStill to ask:");
        for p in &d.pending {
            let own = if p.question.is_some() && p.own_words {
                OWN_WORDS
            } else {
                ""
            };
            let _ = writeln!(
                s,
                "  {} — {}{own}",
                p.fact,
                p.question.as_deref().or(p.label.as_deref()).unwrap_or("")
            );
        }
    }
    for w in &d.warnings {
        let _ = writeln!(s, "\nwarning[{}]: {}", w.code, w.message);
    }
    s
}
