//! Working days for the service levels (DOMAIN.md §4): weekends and the Italian national holidays
//! (1/1, 6/1, Easter Monday, 25/4, 1/5, 2/6, 15/8, 1/11, 8/12, 25/12, 26/12) are not working
//! days, and the clock stops while a request is on hold.
//!
//! Counting convention: a period "within N working days of D" ends on the N-th working day
//! after D (D itself is never counted, whatever the hour). A day on which the request is on hold
//! does not count either: a hold that starts on day S and ends on day E (`[S, E)`) stops the
//! clock on S..E-1; the day of the resumption counts again.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Easter Sunday of a Gregorian year (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher").
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    // month is 3 or 4 and day 1..=31 by construction.
    #[allow(clippy::cast_sign_loss)]
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

/// Whether `d` is an Italian national holiday.
pub fn is_holiday(d: NaiveDate) -> bool {
    const FIXED: [(u32, u32); 10] = [
        (1, 1),
        (1, 6),
        (4, 25),
        (5, 1),
        (6, 2),
        (8, 15),
        (11, 1),
        (12, 8),
        (12, 25),
        (12, 26),
    ];
    FIXED.contains(&(d.month(), d.day()))
        || easter_sunday(d.year()).checked_add_days(Days::new(1)) == Some(d)
}

/// Whether `d` is a working day: Monday to Friday and not a holiday.
pub fn is_working_day(d: NaiveDate) -> bool {
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !is_holiday(d)
}

/// A period on hold: from the day of the suspension to the day of the resumption (exclusive);
/// `until: None` while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Hold {
    fn covers(&self, d: NaiveDate) -> bool {
        d >= self.from && self.until.is_none_or(|u| d < u)
    }
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt()
        .expect("dates of interest are far from the end of time")
}

/// The day by which `n` working days have passed since `start`, not counting days on hold; `None`
/// while an open hold stops the clock before the count is reached.
pub fn due_date(start: NaiveDate, n: u32, holds: &[Hold]) -> Option<NaiveDate> {
    let mut d = start;
    let mut counted = 0;
    while counted < n {
        d = next_day(d);
        // Jump over a hold at once (holds can last months).
        if let Some(h) = holds.iter().find(|h| h.covers(d)) {
            let until = h.until?;
            d = until.pred_opt().expect("after start");
            continue;
        }
        if is_working_day(d) {
            counted += 1;
        }
    }
    Some(d)
}

/// The working days that passed after `start` up to and including `end`, not counting days on
/// hold (0 when `end <= start`).
pub fn working_days_between(start: NaiveDate, end: NaiveDate, holds: &[Hold]) -> u32 {
    let mut d = start;
    let mut counted = 0;
    while d < end {
        d = next_day(d);
        if let Some(h) = holds.iter().find(|h| h.covers(d)) {
            match h.until {
                Some(u) if u <= end => {
                    d = u.pred_opt().expect("after start");
                    continue;
                }
                _ => break,
            }
        }
        if is_working_day(d) {
            counted += 1;
        }
    }
    counted
}

/// The calendar day in Italy of an instant (Europe/Rome: UTC+1, and UTC+2 from 01:00 UTC of the
/// last Sunday of March to 01:00 UTC of the last Sunday of October, the EU rule).
pub fn rome_date(t: chrono::DateTime<chrono::Utc>) -> NaiveDate {
    let year = t.year();
    let last_sunday = |month: u32| {
        let last =
            NaiveDate::from_ymd_opt(year, month, 31).expect("March and October have 31 days");
        last - Days::new(u64::from(last.weekday().num_days_from_sunday()))
    };
    let at_one = |d: NaiveDate| d.and_hms_opt(1, 0, 0).expect("01:00").and_utc();
    let summer = t >= at_one(last_sunday(3)) && t < at_one(last_sunday(10));
    (t + chrono::Duration::hours(if summer { 2 } else { 1 })).date_naive()
}

/// The first day of the programme's calendar: activities, meetings and phases before it are
/// typing errors (0001-01-01), as are those more than [`HORIZON_YEARS`] ahead.
pub const PROGRAMME_START: NaiveDate = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
pub const HORIZON_YEARS: u32 = 2;

/// The latest day one may plan for on `today` (Rome): [`HORIZON_YEARS`] ahead.
pub fn horizon(today: NaiveDate) -> NaiveDate {
    today
        .checked_add_months(chrono::Months::new(12 * HORIZON_YEARS))
        .unwrap_or(today)
}

/// Adds a field error when `date` is outside `earliest..=latest`.
pub fn check_date_window(
    field: &str,
    date: NaiveDate,
    earliest: NaiveDate,
    latest: NaiveDate,
    errors: &mut Vec<crate::dto::FieldError>,
) {
    if date < earliest || date > latest {
        errors.push(crate::dto::FieldError {
            field: field.into(),
            message: format!(
                "deve essere tra il {} e il {}",
                earliest.format("%d/%m/%Y"),
                latest.format("%d/%m/%Y")
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn days_are_counted_in_rome() {
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        // Winter: UTC+1.
        assert_eq!(rome_date(at("2026-12-31T22:59:59Z")), day("2026-12-31"));
        assert_eq!(rome_date(at("2026-12-31T23:00:00Z")), day("2027-01-01"));
        // Summer: UTC+2.
        assert_eq!(rome_date(at("2026-07-01T21:59:00Z")), day("2026-07-01"));
        assert_eq!(rome_date(at("2026-07-01T22:00:00Z")), day("2026-07-02"));
        // The change: last Sunday of March 2026 is the 29th, of October the 25th.
        assert_eq!(rome_date(at("2026-03-28T23:30:00Z")), day("2026-03-29"));
        assert_eq!(rome_date(at("2026-03-29T22:30:00Z")), day("2026-03-30"));
        assert_eq!(rome_date(at("2026-10-25T22:30:00Z")), day("2026-10-25"));
        assert_eq!(rome_date(at("2026-10-24T22:30:00Z")), day("2026-10-25"));
    }

    #[test]
    fn easter_is_computed_for_known_years() {
        for (year, easter) in [
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2011, "2011-04-24"),
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
        ] {
            assert_eq!(easter_sunday(year), day(easter), "{year}");
        }
    }

    #[test]
    fn holidays_are_the_national_ones() {
        for h in [
            "2026-01-01",
            "2026-01-06",
            "2026-04-06", // Easter Monday
            "2026-04-25",
            "2026-05-01",
            "2026-06-02",
            "2026-08-15",
            "2026-11-01",
            "2026-12-08",
            "2026-12-25",
            "2026-12-26",
            "2025-04-21", // Easter Monday
        ] {
            assert!(is_holiday(day(h)), "{h}");
        }
        for d in ["2026-04-05", "2026-04-07", "2026-12-24", "2026-03-19"] {
            assert!(!is_holiday(day(d)), "{d}");
        }
        assert!(!is_working_day(day("2026-11-28"))); // Saturday
        assert!(!is_working_day(day("2026-11-29"))); // Sunday
        assert!(is_working_day(day("2026-11-27"))); // Friday
    }

    #[test]
    fn five_working_days_skip_weekends() {
        // Thursday 26 Nov 2026 + 5 working days: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3 Dec.
        assert_eq!(due_date(day("2026-11-26"), 5, &[]), Some(day("2026-12-03")));
        // Filed on a Saturday: Mon..Fri of the next week.
        assert_eq!(due_date(day("2026-11-28"), 5, &[]), Some(day("2026-12-04")));
        assert_eq!(due_date(day("2026-11-26"), 0, &[]), Some(day("2026-11-26")));
    }

    #[test]
    fn the_year_end_skips_christmas_and_new_year() {
        // Wed 23 Dec 2026: Thu 24, (25, 26 holidays; 27 Sun), Mon 28, Tue 29, Wed 30, Thu 31.
        assert_eq!(due_date(day("2026-12-23"), 5, &[]), Some(day("2026-12-31")));
        // Tue 29 Dec 2026, 10 days: Wed 30, Thu 31, (Fri 1 Jan holiday, weekend), Mon 4, Tue 5,
        // (Wed 6 Epiphany), Thu 7, Fri 8, Mon 11, Tue 12, Wed 13, Thu 14.
        assert_eq!(
            due_date(day("2026-12-29"), 10, &[]),
            Some(day("2027-01-14"))
        );
    }

    #[test]
    fn easter_monday_is_skipped() {
        // Thu 2 Apr 2026: Fri 3, (Sat, Sun, Easter Monday 6), Tue 7, Wed 8, Thu 9, Fri 10.
        assert_eq!(due_date(day("2026-04-02"), 5, &[]), Some(day("2026-04-10")));
        // 2027: Easter 28 March, Monday 29 March.
        assert_eq!(due_date(day("2027-03-26"), 1, &[]), Some(day("2027-03-30")));
    }

    #[test]
    fn holds_stop_the_clock() {
        let start = day("2026-11-02"); // Monday
        // On hold Wed 4 .. resumed Mon 9: Tue 3 counts, 4-6 do not, 9.. count again.
        let holds = [Hold {
            from: day("2026-11-04"),
            until: Some(day("2026-11-09")),
        }];
        // 3, 9, 10, 11, 12.
        assert_eq!(due_date(start, 5, &holds), Some(day("2026-11-12")));
        assert_eq!(working_days_between(start, day("2026-11-12"), &holds), 5);
        // An open hold: no due date while it lasts.
        let open = [Hold {
            from: day("2026-11-04"),
            until: None,
        }];
        assert_eq!(due_date(start, 5, &open), None);
        assert_eq!(working_days_between(start, day("2027-06-30"), &open), 1);
    }

    #[test]
    fn a_long_hold_across_the_year_end() {
        let start = day("2026-11-02");
        let holds = [
            Hold {
                from: day("2026-11-03"),
                until: Some(day("2027-09-01")),
            },
            Hold {
                from: day("2027-09-03"),
                until: Some(day("2027-09-07")),
            },
        ];
        // Counted: Wed 1 Sep 2027, Thu 2, (3..6 on hold), Tue 7, Wed 8, Thu 9.
        assert_eq!(due_date(start, 5, &holds), Some(day("2027-09-09")));
        assert_eq!(working_days_between(start, day("2027-09-09"), &holds), 5);
    }

    #[test]
    fn counting_matches_due_dates() {
        // For every start in two years and every n up to 12, the due date is the first day on
        // which the count reaches n.
        let mut start = day("2025-12-01");
        while start < day("2027-02-01") {
            for n in 1..=12 {
                let due = due_date(start, n, &[]).unwrap();
                assert_eq!(working_days_between(start, due, &[]), n);
                assert_eq!(
                    working_days_between(start, due.pred_opt().unwrap(), &[]),
                    n - 1
                );
                assert!(is_working_day(due));
            }
            start = next_day(start);
        }
    }
}
