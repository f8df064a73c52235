//! Civil dates, times of day and instants as plain integers, and their text forms.
//!
//! Dates are days since 1970-01-01, times of day are seconds since midnight,
//! instants are seconds since the Unix epoch (UTC), durations are seconds.
//! Time zones are resolved with `jiff` and its bundled time-zone database, so
//! results never depend on the machine they run on.

pub const SECONDS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 of a proleptic Gregorian date, or `None` if the date does not exist.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> Option<i32> {
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) || !(1..=9999).contains(&y) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i32::try_from(era * 146_097 + doe - 719_468).ok()
}

/// `(year, month, day)` of a day number.
pub fn civil_from_days(days: i32) -> (i64, u32, u32) {
    let z = i64::from(days) + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// ISO weekday: 1 = Monday … 7 = Sunday.
pub fn weekday(days: i32) -> u32 {
    // 1970-01-01 was a Thursday (4).
    ((i64::from(days) + 3).rem_euclid(7) + 1) as u32
}

pub fn format_date(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

pub fn format_time(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// RFC 3339 text of an instant shown at a fixed UTC offset.
pub fn format_instant(instant: i64, offset: i32) -> String {
    let mut s = String::with_capacity(25);
    let _ = write_instant(&mut s, instant, offset);
    s
}

/// Writes `YYYY-MM-DD` (what [`format_date`] gives) without allocating.
pub fn write_date(w: &mut impl std::fmt::Write, days: i32) -> std::fmt::Result {
    let (y, m, d) = civil_from_days(days);
    write!(w, "{y:04}-{m:02}-{d:02}")
}

/// Writes the RFC 3339 text of an instant at a fixed UTC offset (what
/// [`format_instant`] gives) without allocating.
pub fn write_instant(w: &mut impl std::fmt::Write, instant: i64, offset: i32) -> std::fmt::Result {
    // An offset with seconds (local mean time before about 1924, e.g. +07:07:12) is
    // written to the minute, and the clock with the same offset, so that the text
    // names exactly the instant.
    let offset = offset - offset % 60;
    let local = instant.saturating_add(i64::from(offset));
    let days = local.div_euclid(SECONDS_PER_DAY);
    let secs = local.rem_euclid(SECONDS_PER_DAY) as u32;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    write_date(w, days as i32)?;
    write!(w, "T{h:02}:{m:02}:{s:02}")?;
    if offset == 0 {
        w.write_char('Z')
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let a = offset.unsigned_abs();
        write!(w, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60)
    }
}

/// A duration as people write it in a policy: `30 minutes`, `2 days 3 hours`.
pub fn format_duration(secs: i64) -> String {
    if secs == 0 {
        return "0 minutes".into();
    }
    let sign = if secs < 0 { "-" } else { "" };
    let mut rest = secs.unsigned_abs();
    let mut parts = Vec::new();
    for (unit, size) in [
        ("day", 86_400u64),
        ("hour", 3600),
        ("minute", 60),
        ("second", 1),
    ] {
        let n = rest / size;
        rest %= size;
        if n > 0 {
            parts.push(format!("{n} {unit}{}", if n == 1 { "" } else { "s" }));
        }
    }
    format!("{sign}{}", parts.join(" "))
}

// The text forms below are the whole set that case records, `--at` and policy
// literals accept; the case schema (src/schema.rs) states the same set as
// patterns, and tests/case_dates.rs holds the two to agreement. The shape (which
// characters where) is checked here first, so that `jiff`, which reads more forms
// than these, only ever sees text of the accepted shape and checks the values.

/// Whether `text` has the shape of `form`: `9` stands for an ASCII digit, any
/// other character for itself.
fn shaped(text: &str, form: &str) -> bool {
    text.len() == form.len()
        && text.bytes().zip(form.bytes()).all(|(c, f)| match f {
            b'9' => c.is_ascii_digit(),
            _ => c == f,
        })
}

/// `HH:MM`, `HH:MM:SS`, or `HH:MM:SS.f` with 1 to 9 digits of fraction; the
/// fraction is dropped (truncation toward the past).
fn parse_clock(text: &str) -> Option<u32> {
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let with_seconds = shaped(whole, "99:99:99");
    let shape_ok = match fraction {
        None => with_seconds || shaped(whole, "99:99"),
        Some(f) => {
            with_seconds && (1..=9).contains(&f.len()) && f.bytes().all(|c| c.is_ascii_digit())
        }
    };
    // `jiff` reads a leap second (`:60`) as `:59`; it is not a time of day here.
    if !shape_ok || whole.get(6..) == Some("60") {
        return None;
    }
    let t: jiff::civil::Time = text.parse().ok()?;
    let secs = i32::from(t.hour()) * 3600 + i32::from(t.minute()) * 60 + i32::from(t.second());
    u32::try_from(secs).ok()
}

/// A time of day: `HH:MM` or `HH:MM:SS` (the hour may have one digit: `7:30`),
/// with an optional fraction of a second (1 to 9 digits) that is dropped.
pub fn parse_time(text: &str) -> Option<u32> {
    if text.as_bytes().get(1) == Some(&b':') {
        return parse_clock(&format!("0{text}"));
    }
    parse_clock(text)
}

/// A date: `YYYY-MM-DD`, a day that exists in the proleptic Gregorian calendar.
pub fn parse_date(text: &str) -> Option<i32> {
    if !shaped(text, "9999-99-99") {
        return None;
    }
    let date: jiff::civil::Date = text.parse().ok()?;
    let days = date.since(jiff::civil::date(1970, 1, 1)).ok()?.get_days();
    Some(days)
}

/// A UTC offset `+HH:MM` or `-HH:MM`, hours 00 to 23, minutes 00 to 59.
pub fn parse_offset(text: &str) -> Option<i32> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = text.get(1..)?;
    if !shaped(rest, "99:99") {
        return None;
    }
    let h: i32 = rest.get(..2)?.parse().ok()?;
    let m: i32 = rest.get(3..)?.parse().ok()?;
    (h <= 23 && m <= 59).then_some(sign * (h * 3600 + m * 60))
}

/// A date and time: `YYYY-MM-DDTHH:MM[:SS[.f]]` followed by `Z`, by an offset
/// `±HH:MM`, or by nothing (local time, read in the policy's calendar zone by the
/// caller). Gives the local seconds since the epoch and the offset, if any; a
/// fraction of a second is dropped.
pub fn parse_datetime(text: &str) -> Option<(i64, Option<i32>)> {
    let (date, rest) = text.split_at_checked(10)?;
    let clock_and_zone = rest.strip_prefix('T')?;
    let (clock, offset) = if let Some(clock) = clock_and_zone.strip_suffix('Z') {
        (clock, Some(0))
    } else {
        let cut = clock_and_zone.len().saturating_sub(6);
        match clock_and_zone.split_at_checked(cut) {
            Some((clock, off)) if off.starts_with(['+', '-']) => (clock, Some(parse_offset(off)?)),
            _ => (clock_and_zone, None),
        }
    };
    let days = parse_date(date)?;
    let secs = parse_clock(clock)?;
    Some((i64::from(days) * SECONDS_PER_DAY + i64::from(secs), offset))
}

/// The first and the last instant pol handles: 0001-01-01T00:00:00Z and
/// 9999-12-31T23:59:59Z (the range of the zone database and of four-digit years).
pub const MIN_INSTANT: i64 = -62_135_596_800;
pub const MAX_INSTANT: i64 = 253_402_300_799;

/// The instant of a date-time text (`parse_datetime`): its own offset, or else the
/// wall-clock time in `zone`. `None` when the text does not read, or names an instant
/// outside `MIN_INSTANT..=MAX_INSTANT` (`9999-12-31T23:59:59-05:00` is in year 10000).
pub fn read_instant(text: &str, zone: &Zone) -> Option<i64> {
    let (local, off) = parse_datetime(text)?;
    let instant = match off {
        Some(o) => local - i64::from(o),
        None => zone.instant_of_local(local),
    };
    (MIN_INSTANT..=MAX_INSTANT)
        .contains(&instant)
        .then_some(instant)
}

/// A duration: `N UNIT` (`30 minutes`, `1 hour`; units `second`, `minute`,
/// `hour`, `day`, `week`, singular or plural), or ISO 8601 `PnWnDTnHnMnS` with
/// at least one part, in that order (`PT30M`, `P1DT2H`). Numbers have 1 to 9
/// ASCII digits; a day is 24 hours.
pub fn parse_duration(text: &str) -> Option<i64> {
    fn number(n: &str) -> Option<i64> {
        if !(1..=9).contains(&n.len()) || !n.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        n.parse().ok()
    }
    if let Some(iso) = text.strip_prefix('P') {
        let (date, time) = match iso.split_once('T') {
            Some((d, t)) if !t.is_empty() => (d, Some(t)),
            Some(_) => return None,
            None => (iso, None),
        };
        let mut total = 0;
        let mut parts = 0;
        for (part, units) in [
            (date, &[('W', 604_800), ('D', 86_400)][..]),
            (time.unwrap_or(""), &[('H', 3600), ('M', 60), ('S', 1)][..]),
        ] {
            let mut rest = part;
            for (unit, size) in units {
                if let Some((n, after)) = rest.split_once(*unit) {
                    total += number(n)? * size;
                    parts += 1;
                    rest = after;
                }
            }
            if !rest.is_empty() {
                return None;
            }
        }
        return (parts > 0).then_some(total);
    }
    let (n, unit) = text.split_once(' ')?;
    let size = match unit.strip_suffix('s').unwrap_or(unit) {
        "second" => 1,
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        "week" => 604_800,
        _ => return None,
    };
    Some(number(n)? * size)
}

/// A named IANA time zone or a fixed offset such as `+07:00`.
#[derive(Debug, Clone)]
pub struct Zone {
    pub name: String,
    tz: jiff::tz::TimeZone,
}

fn bundled_zones() -> &'static jiff::tz::TimeZoneDatabase {
    static DB: std::sync::OnceLock<jiff::tz::TimeZoneDatabase> = std::sync::OnceLock::new();
    DB.get_or_init(jiff::tz::TimeZoneDatabase::bundled)
}

/// A zone is stored (in the compiled-policy cache) as its name, and read back
/// through [`Zone::parse`] from the bundled database: the same zone on every host.
impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> serde::Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Zone, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        // The default zone of a policy without a calendar needs no database.
        if name == "UTC" {
            return Ok(Zone::utc());
        }
        Zone::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown time zone `{name}`")))
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            tz: jiff::tz::TimeZone::UTC,
        }
    }

    pub fn parse(name: &str) -> Option<Zone> {
        if let Some(off) = parse_offset(name) {
            let offset = jiff::tz::Offset::from_seconds(off).ok()?;
            return Some(Zone {
                name: name.to_string(),
                tz: jiff::tz::TimeZone::fixed(offset),
            });
        }
        let alias = match name {
            "WIB" => "Asia/Jakarta",
            "WITA" => "Asia/Makassar",
            "WIT" => "Asia/Jayapura",
            "MSK" => "Europe/Moscow",
            other => other,
        };
        // The database compiled into the binary: the same answers on every host,
        // and no walk of the system's zoneinfo directory at start-up.
        let tz = bundled_zones().get(alias).ok()?;
        Some(Zone {
            name: name.to_string(),
            tz,
        })
    }

    /// The UTC offset in force at an instant.
    pub fn offset_at(&self, instant: i64) -> i32 {
        match jiff::Timestamp::from_second(instant) {
            Ok(ts) => self.tz.to_offset(ts).seconds(),
            Err(_) => 0,
        }
    }

    /// The instant of a local wall-clock time (earlier one on a fold, later on a gap).
    pub fn instant_of_local(&self, local_seconds: i64) -> i64 {
        let guess = local_seconds.saturating_sub(i64::from(self.offset_at(local_seconds)));
        let off = self.offset_at(guess);
        local_seconds.saturating_sub(i64::from(off))
    }

    pub fn local_seconds(&self, instant: i64) -> i64 {
        instant.saturating_add(i64::from(self.offset_at(instant)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_with_seconds_is_written_to_the_minute_and_names_the_same_instant() {
        let jakarta = Zone::parse("Asia/Jakarta").unwrap();
        let instant = read_instant("1900-01-02T00:00Z", &Zone::utc()).unwrap();
        let off = jakarta.offset_at(instant);
        assert_eq!(off, 7 * 3600 + 7 * 60 + 12, "local mean time of Batavia");
        let shown = format_instant(instant, off);
        assert_eq!(shown, "1900-01-02T07:07:00+07:07");
        assert_eq!(read_instant(&shown, &jakarta), Some(instant));
    }

    #[test]
    fn instants_outside_years_0001_to_9999_are_refused() {
        let utc = Zone::utc();
        assert_eq!(
            read_instant("9999-12-31T23:59:59Z", &utc),
            Some(MAX_INSTANT)
        );
        assert_eq!(read_instant("9999-12-31T23:59:59-23:59", &utc), None);
        assert_eq!(
            read_instant("0001-01-01T00:00:00Z", &utc),
            Some(MIN_INSTANT)
        );
        assert_eq!(read_instant("0001-01-01T00:00:00+00:01", &utc), None);
        let jakarta = Zone::parse("Asia/Jakarta").unwrap();
        assert_eq!(read_instant("0001-01-01T00:00:00", &jakarta), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 19_000, 20_268, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            if (1..=9999).contains(&y) {
                assert_eq!(days_from_civil(y, m, d), Some(days));
            }
        }
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(
            format_date(days_from_civil(2025, 6, 30).unwrap_or(0)),
            "2025-06-30"
        );
        assert_eq!(days_from_civil(2025, 2, 29), None);
        assert_eq!(
            days_from_civil(2024, 2, 29).map(format_date).as_deref(),
            Some("2024-02-29")
        );
    }

    #[test]
    fn weekdays() {
        // 2025-04-29 was a Tuesday.
        assert_eq!(weekday(parse_date("2025-04-29").unwrap_or(0)), 2);
        assert_eq!(weekday(0), 4);
    }

    #[test]
    fn datetimes_parse_with_and_without_offset() {
        let (local, off) = parse_datetime("2025-04-29T10:30:00+07:00").unwrap_or((0, None));
        assert_eq!(off, Some(7 * 3600));
        assert_eq!(
            format_instant(local - 7 * 3600, 7 * 3600),
            "2025-04-29T10:30:00+07:00"
        );
        assert_eq!(
            parse_datetime("2025-04-29T10:30").map(|(_, o)| o),
            Some(None)
        );
        assert_eq!(parse_datetime("2025-04-29T25:30"), None);
    }

    #[test]
    fn zones_resolve_without_the_host_database() {
        let jakarta = Zone::parse("Asia/Jakarta").map(|z| z.offset_at(0));
        assert_eq!(jakarta, Some(7 * 3600));
        assert_eq!(
            Zone::parse("WITA").map(|z| z.offset_at(1_700_000_000)),
            Some(8 * 3600)
        );
        assert_eq!(
            Zone::parse("+03:00").map(|z| z.offset_at(0)),
            Some(3 * 3600)
        );
        assert!(Zone::parse("Mars/Olympus").is_none());
    }

    #[test]
    fn durations_read_like_policy_text() {
        assert_eq!(format_duration(1800), "30 minutes");
        assert_eq!(format_duration(90_000), "1 day 1 hour");
    }
}
