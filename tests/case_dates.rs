//! The case schema (`pol schema`) and the case decoder accept the same texts for
//! dates, date-times, times of day and durations, and the decoder reads the
//! accepted ones as documented in docs/language.md.

use pol::eval::{decode_value, FactValue};
use pol::value::Value;
use serde_json::{json, Value as J};
use std::process::Command;

const POLICY: &str = "tests/fixtures/case_dates.pol";

/// `(fact, text, what it decodes to)`: `None` when it must be rejected; dates as
/// `YYYY-MM-DD`, date-times as the instant in UTC, times of day and durations in
/// seconds. The policy's zone is Asia/Jakarta (UTC+7 all year).
const TABLE: &[(&str, &str, Option<&str>)] = &[
    // Date-times with an offset, with `Z`, and without (local time in the zone).
    (
        "at",
        "2025-04-29T10:30:00+07:00",
        Some("2025-04-29T03:30:00Z"),
    ),
    ("at", "2025-04-29T03:30:00Z", Some("2025-04-29T03:30:00Z")),
    ("at", "2025-04-29T10:30+07:00", Some("2025-04-29T03:30:00Z")),
    ("at", "2025-04-29T03:30Z", Some("2025-04-29T03:30:00Z")),
    ("at", "2025-04-29T10:30:00", Some("2025-04-29T03:30:00Z")),
    ("at", "2025-04-29T10:30", Some("2025-04-29T03:30:00Z")),
    ("at", "2025-04-29T00:00", Some("2025-04-28T17:00:00Z")),
    // Fractions of a second: 1 to 9 digits, dropped (toward the past).
    ("at", "2025-04-29T03:30:00.5Z", Some("2025-04-29T03:30:00Z")),
    (
        "at",
        "2025-04-29T03:30:07.12Z",
        Some("2025-04-29T03:30:07Z"),
    ),
    (
        "at",
        "2025-04-29T03:30:07.123Z",
        Some("2025-04-29T03:30:07Z"),
    ),
    (
        "at",
        "2025-04-29T03:30:07.1234Z",
        Some("2025-04-29T03:30:07Z"),
    ),
    (
        "at",
        "2025-04-29T03:30:07.12345Z",
        Some("2025-04-29T03:30:07Z"),
    ),
    (
        "at",
        "2025-04-29T03:30:07.123456Z",
        Some("2025-04-29T03:30:07Z"),
    ),
    (
        "at",
        "2025-04-29T03:30:07.1234567Z",
        Some("2025-04-29T03:30:07Z"),
    ),
    (
        "at",
        "2025-04-29T03:30:07.12345678Z",
        Some("2025-04-29T03:30:07Z"),
    ),
    (
        "at",
        "2025-04-29T03:30:59.999999999Z",
        Some("2025-04-29T03:30:59Z"),
    ),
    (
        "at",
        "2025-04-29T10:30:07.999+07:00",
        Some("2025-04-29T03:30:07Z"),
    ),
    (
        "at",
        "2025-04-29T10:30:07.999",
        Some("2025-04-29T03:30:07Z"),
    ),
    ("at", "1969-12-31T23:59:59.5Z", Some("1969-12-31T23:59:59Z")),
    ("at", "2025-04-29T03:30:07.1234567890Z", None),
    ("at", "2025-04-29T03:30:07.Z", None),
    ("at", "2025-04-29T03:30.5Z", None),
    ("at", "2025-04-29T03:30:07,5Z", None),
    // Leap days, and days that do not exist.
    ("at", "2024-02-29T12:00:00Z", Some("2024-02-29T12:00:00Z")),
    ("at", "2000-02-29T12:00Z", Some("2000-02-29T12:00:00Z")),
    ("at", "2025-02-29T12:00:00Z", None),
    ("at", "1900-02-29T12:00:00Z", None),
    ("at", "2025-04-31T12:00:00Z", None),
    ("at", "2025-13-01T12:00:00Z", None),
    // The end of the day, leap seconds.
    ("at", "2025-04-29T23:59:59Z", Some("2025-04-29T23:59:59Z")),
    ("at", "2025-04-29T24:00:00Z", None),
    ("at", "2025-04-29T24:00Z", None),
    ("at", "2025-04-29T23:59:60Z", None),
    ("at", "2025-04-29T23:60Z", None),
    // Offsets: the real extremes, and hours up to 23.
    (
        "at",
        "2025-04-29T10:30:00+14:00",
        Some("2025-04-28T20:30:00Z"),
    ),
    (
        "at",
        "2025-04-29T10:30:00-12:00",
        Some("2025-04-29T22:30:00Z"),
    ),
    (
        "at",
        "2025-04-29T10:30:00+23:59",
        Some("2025-04-28T10:31:00Z"),
    ),
    (
        "at",
        "2025-04-29T10:30:00-00:00",
        Some("2025-04-29T10:30:00Z"),
    ),
    ("at", "2025-04-29T10:30:00+24:00", None),
    ("at", "2025-04-29T10:30:00+07:60", None),
    ("at", "2025-04-29T10:30:00+0700", None),
    ("at", "2025-04-29T10:30:00+07", None),
    ("at", "2025-04-29T10:30:00+7:00", None),
    // Other spellings: lower-case `t` and `z`, a space, no separator.
    ("at", "2025-04-29t10:30:00Z", None),
    ("at", "2025-04-29T10:30:00z", None),
    ("at", "2025-04-29 10:30:00Z", None),
    ("at", "2025-04-29 10:30", None),
    ("at", "20250429T103000Z", None),
    ("at", "2025-04-29T1030Z", None),
    ("at", "2025-04-29T10:30:00UTC", None),
    ("at", "2025-04-29T10:30:00[Asia/Jakarta]", None),
    ("at", "2025-04-29T10:30:00+07:00[Asia/Jakarta]", None),
    ("at", "+002025-04-29T10:30:00Z", None),
    ("at", "2025-4-29T10:30:00Z", None),
    ("at", "2025-04-29T1:30Z", None),
    // Missing parts, trailing and leading garbage, other digits, empty.
    ("at", "2025-04-29", None),
    ("at", "2025-04-29T", None),
    ("at", "2025-04-29T10", None),
    ("at", "T10:30Z", None),
    ("at", "2025-04-29T10:30:00Zjunk", None),
    ("at", "2025-04-29T10:30:00+07:00 ", None),
    ("at", " 2025-04-29T10:30:00Z", None),
    ("at", "2025-04-29T10:30:00Z\n", None),
    ("at", "\u{662}\u{660}\u{662}\u{665}-04-29T10:30:00Z", None),
    ("at", "2025-04-29T1\u{ff10}:30:00Z", None),
    ("at", "2025-04-29T10:30:00+\u{0967}7:00", None),
    ("at", "", None),
    // Dates.
    ("day", "2025-04-29", Some("2025-04-29")),
    ("day", "2024-02-29", Some("2024-02-29")),
    ("day", "2000-02-29", Some("2000-02-29")),
    ("day", "0000-02-29", Some("0000-02-29")),
    ("day", "0001-01-01", Some("0001-01-01")),
    ("day", "9999-12-31", Some("9999-12-31")),
    ("day", "2025-02-29", None),
    ("day", "1900-02-29", None),
    ("day", "2100-02-29", None),
    ("day", "2025-04-31", None),
    ("day", "2025-00-10", None),
    ("day", "2025-04-00", None),
    ("day", "2025-4-29", None),
    ("day", "29/04/2025", None),
    ("day", "20250429", None),
    ("day", "2025-04-29T00:00Z", None),
    ("day", "2025-04-29 ", None),
    ("day", "+2025-04-29", None),
    ("day", "-2025-04-29", None),
    ("day", "\u{ff12}025-04-29", None),
    ("day", "", None),
    // Times of day, in seconds since midnight.
    ("clock", "19:05", Some("68700")),
    ("clock", "07:30", Some("27000")),
    ("clock", "7:30", Some("27000")),
    ("clock", "00:00", Some("0")),
    ("clock", "23:59:59", Some("86399")),
    ("clock", "19:05:30", Some("68730")),
    ("clock", "19:05:30.5", Some("68730")),
    ("clock", "19:05:30.123456789", Some("68730")),
    ("clock", "19:05:30.1234567890", None),
    ("clock", "19:05:30.", None),
    ("clock", "19:05.5", None),
    ("clock", "24:00", None),
    ("clock", "23:59:60", None),
    ("clock", "23:60", None),
    ("clock", "7:5", None),
    ("clock", "007:30", None),
    ("clock", "+7:30", None),
    ("clock", "19:05Z", None),
    ("clock", "19:05:30+07:00", None),
    ("clock", "19h05", None),
    ("clock", "1905", None),
    ("clock", " 19:05", None),
    ("clock", "\u{661}\u{669}:05", None),
    ("clock", "", None),
    // Durations, in seconds.
    ("waited", "30 minutes", Some("1800")),
    ("waited", "1 minute", Some("60")),
    ("waited", "1 minutes", Some("60")),
    ("waited", "2 hours", Some("7200")),
    ("waited", "1 day", Some("86400")),
    ("waited", "2 weeks", Some("1209600")),
    ("waited", "45 seconds", Some("45")),
    ("waited", "0 minutes", Some("0")),
    ("waited", "999999999 weeks", Some("604799999395200")),
    ("waited", "PT30M", Some("1800")),
    ("waited", "P1DT2H", Some("93600")),
    ("waited", "P2W", Some("1209600")),
    ("waited", "PT1H30M15S", Some("5415")),
    ("waited", "P1W2DT3H4M5S", Some("788645")),
    ("waited", "PT0S", Some("0")),
    ("waited", "P", None),
    ("waited", "PT", None),
    ("waited", "P1DT", None),
    ("waited", "PT30m", None),
    ("waited", "pt30m", None),
    ("waited", "P1M", None),
    ("waited", "P1Y", None),
    ("waited", "PT1.5H", None),
    ("waited", "PT30M1H", None),
    ("waited", "P1D1W", None),
    ("waited", "-PT30M", None),
    ("waited", "-30 minutes", None),
    ("waited", "+30 minutes", None),
    ("waited", "30 minutess", None),
    ("waited", "30  minutes", None),
    ("waited", "30minutes", None),
    ("waited", " 30 minutes", None),
    ("waited", "30 minutes ", None),
    ("waited", "30 Minutes", None),
    ("waited", "30 mins", None),
    ("waited", "1 hour 30 minutes", None),
    ("waited", "1000000000 seconds", None),
    ("waited", "\u{663}\u{660} minutes", None),
    ("waited", "", None),
];

fn schema() -> J {
    let out = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(["schema", POLICY])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The decoded value, written as in [`TABLE`].
fn shown(v: &Value) -> String {
    match v {
        Value::Date(d) => pol::time::format_date(*d),
        Value::DateTime(t) => pol::time::format_instant(*t, 0),
        Value::Time(s) => s.to_string(),
        Value::Duration(s) => s.to_string(),
        other => panic!("not a date or time: {other:?}"),
    }
}

#[test]
fn schema_and_decoder_agree_on_every_text() {
    let source = std::fs::read_to_string(POLICY).unwrap();
    let policy = pol::compile(&source, POLICY).unwrap().policy;
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema())
        .unwrap();
    let mut wrong = Vec::new();
    for &(fact, text, want) in TABLE {
        let case = json!({ fact: text });
        let index = policy
            .facts
            .iter_enumerated()
            .find(|(_, f)| f.name == fact)
            .unwrap()
            .0;
        // Both ways into the decoder: from the JSON text and from a parsed value.
        let from_text = pol::decode_case(&policy, &case.to_string());
        let from_value = decode_value(&policy, &case);
        let got = match (&from_text, &from_value) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "{fact}: {text:?}");
                match &a.slots[index] {
                    FactValue::Known(v) => Some(shown(v)),
                    other => panic!("{fact}: {text:?} decoded to {other:?}"),
                }
            }
            (Err(a), Err(b)) => {
                assert_eq!(a, b, "{fact}: {text:?}");
                assert_eq!(a.code, "E0605", "{fact}: {text:?}: {a}");
                None
            }
            _ => panic!("{fact}: {text:?}: text and parsed value decode differently"),
        };
        let valid = validator.is_valid(&case);
        if got.as_deref() != want || valid != want.is_some() {
            wrong.push(format!(
                "{fact}: {text:?}: decoder {got:?}, schema {}, expected {want:?}",
                if valid { "accepts" } else { "rejects" }
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// `--at` reads the same forms, and a date alone as its start in the zone.
#[test]
fn evaluation_time_reads_the_same_forms() {
    let source = std::fs::read_to_string(POLICY).unwrap();
    let policy = pol::compile(&source, POLICY).unwrap().policy;
    let at = |t: &str| policy.parse_at(t).map(|s| pol::time::format_instant(s, 0));
    assert_eq!(
        at("2025-04-29T10:30:00.9"),
        Some("2025-04-29T03:30:00Z".into())
    );
    assert_eq!(
        at("2025-04-29T10:30+07:00"),
        Some("2025-04-29T03:30:00Z".into())
    );
    assert_eq!(at("2025-04-29"), Some("2025-04-28T17:00:00Z".into()));
    for bad in [
        "2025-04-29 10:30",
        "2025-04-29t10:30Z",
        "2025-02-29",
        "29/04/2025",
        "",
    ] {
        assert_eq!(at(bad), None, "{bad:?}");
    }
}
