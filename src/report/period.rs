//! Report periods: inclusive runs of calendar days in Asia/Ho_Chi_Minh, usually one ISO week.

use crate::time::{day_start, ZONE};
use chrono::{DateTime, Datelike, Duration, IsoWeek, NaiveDate, Utc, Weekday};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PeriodError {
    #[error("bad week {0:?}: write it as YYYY-Www, like 2026-W47")]
    BadWeek(String),
    #[error("bad date {0:?}: write DD/MM/YYYY or YYYY-MM-DD")]
    BadDate(String),
    #[error("the period ends ({to}) before it starts ({from})")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("the period is {0} days long; at most 366")]
    TooLong(i64),
    #[error("give either a week (YYYY-Www) or both from and to (YYYY-MM-DD)")]
    Unclear,
}

/// Longest period a report covers: a year, so daily charts stay readable.
const MAX_DAYS: i64 = 366;

impl Period {
    /// The period a user asked for: a week, or a from–to range, or (neither given) the last full
    /// week. Blank values count as not given. The web's form and API and `report` all ask this way.
    pub fn chosen(week: Option<&str>, from: Option<&str>, to: Option<&str>, now: DateTime<Utc>) -> Result<Period, PeriodError> {
        fn given(s: Option<&str>) -> Option<&str> {
            s.map(str::trim).filter(|s| !s.is_empty())
        }
        match (given(week), given(from), given(to)) {
            (Some(w), None, None) => Period::parse_week(w),
            (None, Some(f), Some(t)) => Period::parse_dates(f, t),
            (None, None, None) => Ok(Period::last_full_week(now)),
            _ => Err(PeriodError::Unclear),
        }
    }

    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Period, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed { from, to });
        }
        let days = (to - from).num_days() + 1;
        if days > MAX_DAYS {
            return Err(PeriodError::TooLong(days));
        }
        Ok(Period { from, to })
    }

    /// `2026-W47` (also `2026W47`, lower case).
    pub fn parse_week(s: &str) -> Result<Period, PeriodError> {
        let bad = || PeriodError::BadWeek(s.to_string());
        let t = s.trim().to_ascii_uppercase();
        let (y, w) = t.split_once('W').ok_or_else(bad)?;
        let year: i32 = y.trim_end_matches('-').parse().map_err(|_| bad())?;
        let week: u32 = w.parse().map_err(|_| bad())?;
        if !crate::time::YEARS.contains(&year) {
            return Err(bad());
        }
        let from = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).ok_or_else(bad)?;
        Ok(Period { from, to: from + Duration::days(6) })
    }

    pub fn parse_dates(from: &str, to: &str) -> Result<Period, PeriodError> {
        let d = |s: &str| crate::time::parse_day(s).ok_or_else(|| PeriodError::BadDate(s.to_string()));
        Period::new(d(from)?, d(to)?)
    }

    /// The last ISO week that ended before `now`, in Vietnam.
    pub fn last_full_week(now: DateTime<Utc>) -> Period {
        let today = now.with_timezone(&ZONE).date_naive();
        let monday = today - Duration::days(today.weekday().num_days_from_monday() as i64);
        Period { from: monday - Duration::days(7), to: monday - Duration::days(1) }
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length just before this one.
    pub fn previous(&self) -> Period {
        let n = self.days();
        Period { from: self.from - Duration::days(n), to: self.from - Duration::days(1) }
    }

    /// First instant, UTC.
    pub fn start(&self) -> DateTime<Utc> {
        day_start(self.from)
    }

    /// Last second, UTC, inclusive: the same bound `export --until DATE` uses.
    pub fn end(&self) -> DateTime<Utc> {
        day_start(self.to + Duration::days(1)) - Duration::seconds(1)
    }

    fn iso_week(&self) -> Option<IsoWeek> {
        (self.from.weekday() == Weekday::Mon && self.days() == 7).then(|| self.from.iso_week())
    }

    /// `2026-W47` for an ISO week, else `2026-11-01..2026-11-30`.
    pub fn label(&self) -> String {
        match self.iso_week() {
            Some(w) => format!("{}-W{:02}", w.year(), w.week()),
            None => format!("{}..{}", self.from, self.to),
        }
    }

    /// The index of the day an instant falls on, if it falls in the period.
    pub fn day_index(&self, t: DateTime<Utc>) -> Option<usize> {
        let d = t.with_timezone(&ZONE).date_naive();
        (d >= self.from && d <= self.to).then(|| (d - self.from).num_days() as usize)
    }

    /// The search syntax for this period's dates.
    pub fn query(&self) -> String {
        format!("date:{}..{}", self.from, self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_period_asked_for_is_a_week_a_range_or_the_last_full_week() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 3, 0, 0).unwrap();
        assert_eq!(Period::chosen(None, Some(" "), None, now).unwrap(), Period::last_full_week(now), "blank is not given");
        assert_eq!(Period::chosen(Some("2026-W47"), None, None, now).unwrap(), Period::parse_week("2026-W47").unwrap());
        assert_eq!(Period::chosen(None, Some("2026-11-01"), Some("2026-11-30"), now).unwrap(), Period::parse_dates("2026-11-01", "2026-11-30").unwrap());
        assert!(matches!(Period::chosen(None, Some("2026-11-01"), None, now), Err(PeriodError::Unclear)));
        assert!(matches!(Period::chosen(Some("2026-W47"), Some("2026-11-01"), Some("2026-11-30"), now), Err(PeriodError::Unclear)));
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn weeks_and_bounds() {
        let w = Period::parse_week("2026-W47").unwrap();
        assert_eq!((w.from, w.to), (d("2026-11-16"), d("2026-11-22")));
        assert_eq!(w.label(), "2026-W47");
        assert_eq!(Period::parse_week("2026w47").unwrap(), w);
        assert!(Period::parse_week("2026-W54").is_err());
        assert!(Period::parse_week("47").is_err());
        // Monday 00:00 in Vietnam is Sunday 17:00 UTC
        assert_eq!(w.start(), Utc.with_ymd_and_hms(2026, 11, 15, 17, 0, 0).unwrap());
        assert_eq!(w.end(), Utc.with_ymd_and_hms(2026, 11, 22, 16, 59, 59).unwrap());
        assert_eq!(w.previous().label(), "2026-W46");
        // ISO years: 2026-12-28 is in week 53 of 2026
        assert_eq!(Period::parse_week("2026-W53").unwrap().to, d("2027-01-03"));
        // years chrono reads but whose day arithmetic panics (the API answered by dropping the
        // connection) are refused as bad dates and weeks
        for (from, to) in [("-262143-01-01", "-262143-01-02"), ("+262142-12-30", "+262142-12-31"), ("1899-12-31", "1900-01-01")] {
            assert_eq!(Period::parse_dates(from, to), Err(PeriodError::BadDate(from.into())), "{from}");
        }
        assert!(Period::parse_week("-262143-W01").is_err() && Period::parse_week("262142-W51").is_err());
        let far = Period::parse_dates("9999-12-01", "9999-12-31").unwrap();
        assert_eq!(far.previous().to, d("9999-11-30"));
    }

    #[test]
    fn last_full_week_is_in_vietnam_time() {
        // Sunday 2026-11-29 18:00 UTC is already Monday 01:00 in Vietnam: week 48 has ended
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 18, 0, 0).unwrap();
        assert_eq!(Period::last_full_week(now).label(), "2026-W48");
        let now = Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap();
        assert_eq!(Period::last_full_week(now).label(), "2026-W47");
    }

    #[test]
    fn free_periods() {
        let p = Period::parse_dates("2026-11-01", "2026-11-30").unwrap();
        assert_eq!(p.days(), 30);
        assert_eq!(p.label(), "2026-11-01..2026-11-30");
        assert_eq!(p.previous().to, d("2026-10-31"));
        assert_eq!(p.previous().days(), 30);
        assert!(matches!(Period::parse_dates("2026-11-30", "2026-11-01"), Err(PeriodError::Reversed { .. })));
        assert!(matches!(Period::parse_dates("2020-01-01", "2026-11-01"), Err(PeriodError::TooLong(_))));
        assert!(matches!(Period::parse_dates("30-11-2026", "2026-11-01"), Err(PeriodError::BadDate(_))));
        // as people here write days, too
        assert_eq!(Period::parse_dates("1/11/2026", "30/11/2026").expect("dd/mm/yyyy").label(), "2026-11-01..2026-11-30");
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 17, 30, 0).unwrap(); // 2 Nov, 00:30 local
        assert_eq!(p.day_index(t), Some(1));
    }
}
