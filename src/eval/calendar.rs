//! Counting time in a working calendar.

use crate::check::ir::{Calendar, Working};
use crate::time::SECONDS_PER_DAY;

/// Most days searched for opening hours before giving up (a calendar with no
/// opening hours at all, or years of closed dates).
pub const MAX_DAYS: i64 = 3660;

/// The instant `duration` of working time after `start`: only time inside the
/// opening hours of working days that are not closed counts. `None` when the
/// calendar has not enough opening hours within `MAX_DAYS` days.
pub fn add_working(cal: &Calendar, start: i64, duration: i64) -> Option<i64> {
    let mut remaining = duration.max(0);
    let mut local = cal.zone.local_seconds(start);
    for _ in 0..MAX_DAYS {
        let day = local.div_euclid(SECONDS_PER_DAY);
        let secs = local.rem_euclid(SECONDS_PER_DAY);
        if let Some((open, close)) = hours_of(cal, day) {
            let from = secs.max(open);
            if from < close {
                let available = close - from;
                if remaining <= available {
                    return Some(
                        cal.zone
                            .instant_of_local(day * SECONDS_PER_DAY + from + remaining),
                    );
                }
                remaining -= available;
            }
        }
        local = (day + 1) * SECONDS_PER_DAY;
    }
    None
}

/// `amount` after `start`, counted the way `working` says: clock seconds,
/// working seconds ([`add_working`]) or whole working days
/// ([`add_working_days`]). Deadlines and date-time arithmetic in conditions both
/// count through here. `None` when the calendar has not enough opening hours
/// within `MAX_DAYS` days.
pub fn add(cal: &Calendar, start: i64, amount: i64, working: Working) -> Option<i64> {
    match working {
        Working::No => Some(start.saturating_add(amount)),
        Working::Hours => add_working(cal, start, amount),
        Working::Days => add_working_days(cal, start, amount),
    }
}

fn hours_of(cal: &Calendar, day: i64) -> Option<(i64, i64)> {
    if cal.closed.binary_search(&(day as i32)).is_ok() {
        return None;
    }
    let weekday = crate::time::weekday(day as i32) as usize;
    cal.open
        .get(weekday.wrapping_sub(1))
        .copied()
        .flatten()
        .map(|(o, c)| (i64::from(o), i64::from(c)))
}

/// `days` working days after `start`: the same time of day on the `days`-th
/// next working day (within its opening hours). A start outside working time
/// counts from the next opening. `None` when the calendar has not enough working
/// days within `MAX_DAYS` days.
pub fn add_working_days(cal: &Calendar, start: i64, days: i64) -> Option<i64> {
    let local = cal.zone.local_seconds(start);
    let mut day = local.div_euclid(SECONDS_PER_DAY);
    let mut time = local.rem_euclid(SECONDS_PER_DAY);
    // Move a start outside working time to the next opening.
    let mut guard = 0;
    loop {
        match hours_of(cal, day) {
            Some((open, close)) if time < close => {
                time = time.max(open);
                break;
            }
            _ => {
                day += 1;
                time = 0;
            }
        }
        guard += 1;
        if guard > MAX_DAYS {
            return None;
        }
    }
    let mut left = days.max(0);
    while left > 0 {
        day += 1;
        if hours_of(cal, day).is_some() {
            left -= 1;
        }
        guard += 1;
        if guard > MAX_DAYS {
            return None;
        }
    }
    let (open, close) = hours_of(cal, day).unwrap_or((0, SECONDS_PER_DAY));
    Some(
        cal.zone
            .instant_of_local(day * SECONDS_PER_DAY + time.clamp(open, close)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{parse_datetime, Zone};

    fn cal() -> Calendar {
        let mut c = Calendar {
            zone: Zone::parse("+07:00").unwrap_or_else(Zone::utc),
            declared: true,
            ..Calendar::default()
        };
        for d in 0..5 {
            c.open[d] = Some((8 * 3600, 17 * 3600));
        }
        c
    }

    fn at(s: &str) -> i64 {
        let (local, off) = parse_datetime(s).unwrap_or((0, None));
        local - i64::from(off.unwrap_or(0))
    }

    #[test]
    fn working_hours_skip_nights_and_weekends() {
        let c = cal();
        // Friday 16:00 + 2 working hours = Monday 09:00.
        let due = add_working(&c, at("2025-05-02T16:00+07:00"), 2 * 3600).unwrap();
        assert_eq!(
            crate::time::format_instant(due, 7 * 3600),
            "2025-05-05T09:00:00+07:00"
        );
        // Saturday: counting starts Monday 08:00.
        let due = add_working(&c, at("2025-05-03T10:00+07:00"), 3600).unwrap();
        assert_eq!(
            crate::time::format_instant(due, 7 * 3600),
            "2025-05-05T09:00:00+07:00"
        );
    }

    #[test]
    fn working_days_keep_the_time_of_day() {
        let c = cal();
        // Thursday 10:00 + 2 working days = Monday 10:00.
        let due = add_working_days(&c, at("2025-05-01T10:00+07:00"), 2).unwrap();
        assert_eq!(
            crate::time::format_instant(due, 7 * 3600),
            "2025-05-05T10:00:00+07:00"
        );
        // Saturday counts from Monday 08:00.
        let due = add_working_days(&c, at("2025-05-03T10:00+07:00"), 1).unwrap();
        assert_eq!(
            crate::time::format_instant(due, 7 * 3600),
            "2025-05-06T08:00:00+07:00"
        );
    }

    #[test]
    fn closed_days_do_not_count() {
        let mut c = cal();
        c.closed = vec![crate::time::parse_date("2025-05-05").unwrap_or(0)];
        let due = add_working(&c, at("2025-05-02T16:00+07:00"), 2 * 3600).unwrap();
        assert_eq!(
            crate::time::format_instant(due, 7 * 3600),
            "2025-05-06T09:00:00+07:00"
        );
    }

    fn shown(t: Option<i64>) -> String {
        t.map(|t| crate::time::format_instant(t, 7 * 3600))
            .unwrap_or_default()
    }

    #[test]
    fn two_working_days_from_friday_afternoon_is_tuesday_afternoon() {
        let c = cal();
        let friday = at("2025-05-16T16:00+07:00");
        assert_eq!(
            shown(add(&c, friday, 2, Working::Days)),
            "2025-05-20T16:00:00+07:00"
        );
        // Clock time and working hours count differently from the same start.
        assert_eq!(
            shown(add(&c, friday, 2 * 86_400, Working::No)),
            "2025-05-18T16:00:00+07:00"
        );
        assert_eq!(
            shown(add(&c, friday, 2 * 3600, Working::Hours)),
            "2025-05-19T09:00:00+07:00"
        );
    }

    #[test]
    fn working_days_skip_weekends_and_closed_days() {
        let mut c = cal();
        // Monday 19 May closed: Friday 16:00 + 2 working days = Wednesday 16:00.
        c.closed = vec![crate::time::parse_date("2025-05-19").unwrap_or(0)];
        let friday = at("2025-05-16T16:00+07:00");
        assert_eq!(
            shown(add(&c, friday, 2, Working::Days)),
            "2025-05-21T16:00:00+07:00"
        );
        // Starting on the closed day itself counts from the next opening.
        let closed_day = at("2025-05-19T10:00+07:00");
        assert_eq!(
            shown(add(&c, closed_day, 2, Working::Days)),
            "2025-05-22T08:00:00+07:00"
        );
    }

    #[test]
    fn a_start_outside_opening_hours_counts_from_the_next_opening() {
        let c = cal();
        // Tuesday 19:30 (after closing): from Wednesday 08:00.
        assert_eq!(
            shown(add(&c, at("2025-05-20T19:30+07:00"), 2, Working::Days)),
            "2025-05-23T08:00:00+07:00"
        );
        // Tuesday 06:00 (before opening): from Tuesday 08:00.
        assert_eq!(
            shown(add(&c, at("2025-05-20T06:00+07:00"), 2, Working::Days)),
            "2025-05-22T08:00:00+07:00"
        );
        // Sunday: from Monday 08:00.
        assert_eq!(
            shown(add(&c, at("2025-05-18T11:00+07:00"), 1, Working::Days)),
            "2025-05-20T08:00:00+07:00"
        );
    }

    #[test]
    fn a_calendar_without_opening_hours_gives_no_deadline() {
        let c = Calendar {
            zone: Zone::utc(),
            declared: true,
            ..Calendar::default()
        };
        let start = at("2025-05-02T16:00Z");
        assert_eq!(add_working(&c, start, 3600), None);
        assert_eq!(add_working_days(&c, start, 1), None);
        assert_eq!(add(&c, start, 1, Working::Days), None);
    }
}
