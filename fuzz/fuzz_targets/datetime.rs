//! Any bytes as the date, time, date-time and duration texts of case records,
//! `--at` and policy literals (`src/time.rs`). Nothing may panic, and a text that
//! reads gives a value whose formatted text reads back to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pol::time::{self, MAX_INSTANT, MIN_INSTANT};
use std::sync::OnceLock;

/// Zones the evaluation time is read in: UTC, a fixed offset, and named zones
/// (one with daylight saving time, so gaps and folds are exercised).
fn zones() -> &'static [time::Zone] {
    static ZONES: OnceLock<Vec<time::Zone>> = OnceLock::new();
    ZONES.get_or_init(|| {
        [
            "+07:00",
            "Asia/Jakarta",
            "Europe/Moscow",
            "America/New_York",
        ]
        .iter()
        .filter_map(|n| time::Zone::parse(n))
        .chain([time::Zone::utc()])
        .collect()
    })
}

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Some(days) = time::parse_date(text) {
        let shown = time::format_date(days);
        assert_eq!(shown, text, "a date is shown as it is written");
        assert_eq!(time::parse_date(&shown), Some(days));
        let (y, m, d) = time::civil_from_days(days);
        if (1..=9999).contains(&y) {
            assert_eq!(time::days_from_civil(y, m, d), Some(days), "{text:?}");
        }
        assert!((1..=7).contains(&time::weekday(days)));
    }

    if let Some(secs) = time::parse_time(text) {
        assert!(secs < 86_400, "{text:?} is past midnight: {secs}");
        let shown = time::format_time(secs);
        assert_eq!(
            time::parse_time(&shown),
            Some(secs),
            "{text:?} shown as {shown:?}"
        );
    }

    if let Some(off) = time::parse_offset(text) {
        assert!(off.abs() < 86_400);
        assert!(
            time::Zone::parse(text).is_some(),
            "offset {text:?} is not a zone"
        );
    }

    if let Some((local, off)) = time::parse_datetime(text) {
        let off_secs = off.unwrap_or(0);
        let shown = time::format_instant(local - i64::from(off_secs), off_secs);
        let again = time::parse_datetime(&shown);
        assert_eq!(
            again,
            Some((local, Some(off_secs))),
            "{text:?} shown as {shown:?}"
        );
    }

    // The `--at` reader: a date-time (with or without offset) or a date, in a zone.
    for zone in zones() {
        let instant = match time::parse_datetime(text) {
            Some(_) => time::read_instant(text, &zone),
            None => time::parse_date(text)
                .map(|d| zone.instant_of_local(i64::from(d) * time::SECONDS_PER_DAY))
                .filter(|i| (MIN_INSTANT..=MAX_INSTANT).contains(i)),
        };
        if let Some(instant) = instant {
            assert!((MIN_INSTANT..=MAX_INSTANT).contains(&instant));
            let off = zone.offset_at(instant);
            assert!(off.abs() < 86_400);
            let local = zone.local_seconds(instant);
            let shown = time::format_instant(instant, off);
            let back = time::read_instant(&shown, &time::Zone::utc());
            assert_eq!(back, Some(instant), "{text:?} in {} shown as {shown:?}", zone.name);
            assert_eq!(local - i64::from(off), instant);
        }
    }

    if let Some(secs) = time::parse_duration(text) {
        assert!(secs >= 0, "{text:?} is a negative duration");
        // `format_duration` writes what a policy author writes; a single part reads back.
        let shown = time::format_duration(secs);
        if let Some(again) = time::parse_duration(&shown) {
            assert_eq!(again, secs, "{text:?} shown as {shown:?}");
        } else {
            // Several parts, or one number past the 9 digits a duration text has.
            let parts = shown.split(' ').count();
            let digits = shown.split(' ').next().map_or(0, str::len);
            assert!(parts > 2 || digits > 9, "{text:?} shown as {shown:?}");
        }
        // And in ISO 8601 seconds, when the number fits the 9 digits read.
        if secs <= 999_999_999 {
            assert_eq!(time::parse_duration(&format!("PT{secs}S")), Some(secs));
        }
    }
});
