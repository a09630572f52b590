//! Dates: everything is stored in UTC and shown in Asia/Ho_Chi_Minh; dates without a zone written by
//! Vietnamese sites are local time.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;

pub const ZONE: chrono_tz::Tz = Ho_Chi_Minh;

/// Parses the date formats found in feeds, sitemaps and page metadata.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S %z"] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
        "%d/%m/%Y - %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s.trim_end_matches('Z'), f) {
            if s.ends_with('Z') {
                return Some(n.and_utc());
            }
            return local(n);
        }
    }
    for f in ["%Y-%m-%d", "%d/%m/%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, f) {
            return local(d.and_hms_opt(0, 0, 0)?);
        }
    }
    None
}

fn local(n: NaiveDateTime) -> Option<DateTime<Utc>> {
    ZONE.from_local_datetime(&n).earliest().map(|d| d.with_timezone(&Utc))
}

/// Start of the day in Vietnam, as UTC.
/// A calendar day as people here write it (`31/12/2026`, `1/2/2026`) or as ISO (`2026-12-31`).
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    within_years(NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y")).ok()?)
}

/// A date a user typed as a bound: a day in Vietnam (`parse_day`'s forms) or an RFC 3339 time.
/// `end` makes a day mean its last second, so "until 22/11" takes in the whole of that day.
pub fn parse_bound(s: &str, end: bool) -> Option<DateTime<Utc>> {
    if let Some(d) = parse_day(s) {
        let t = day_start(if end { d.succ_opt()? } else { d });
        return Some(if end { t - chrono::Duration::seconds(1) } else { t });
    }
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

/// A day a user wrote, if its year is in `YEARS`: chrono reads years up to ±262143, where the day
/// arithmetic of periods, ranges and deadlines panics.
pub fn within_years(d: NaiveDate) -> Option<NaiveDate> {
    YEARS.contains(&d.year()).then_some(d)
}

/// A publication time a feed or page claimed, kept only if it can be true: not after the fetch
/// (a day's grace for a time zone written wrong) and not before 1990. Otherwise it is unknown and
/// the fetch time stands in: a crafted date in the year 9999 would otherwise stay "today" for ever,
/// sit on top of every date-sorted list and stretch every date facet and chart to that year.
pub fn plausible_published(claimed: Option<DateTime<Utc>>, fetched: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let earliest = Utc.with_ymd_and_hms(1990, 1, 1, 0, 0, 0).single()?;
    claimed.filter(|t| *t >= earliest && *t <= fetched + chrono::Duration::days(1))
}

/// The years a date written by a user may fall in.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

pub fn day_start(d: NaiveDate) -> DateTime<Utc> {
    local(d.and_hms_opt(0, 0, 0).unwrap_or_default()).unwrap_or_else(|| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// The calendar day in Vietnam.
pub fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&ZONE).date_naive()
}

pub fn to_unix(d: DateTime<Utc>) -> i64 {
    d.timestamp()
}

pub fn from_unix(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(s, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let want = Utc.with_ymd_and_hms(2026, 11, 20, 1, 0, 0).single();
        assert_eq!(parse_date("2026-11-20T08:00:00+07:00"), want);
        assert_eq!(parse_date("Fri, 20 Nov 2026 01:00:00 GMT"), want);
        assert_eq!(parse_date("2026-11-20 08:00:00"), want, "naive times are Vietnamese local time");
        assert_eq!(parse_date("20/11/2026 08:00"), want);
        assert_eq!(parse_date("2026-11-20T01:00:00Z"), want);
        assert_eq!(parse_date("yesterday"), None);
    }

    #[test]
    fn a_claimed_publication_time_must_be_possible() {
        let fetched = Utc.with_ymd_and_hms(2026, 12, 7, 3, 0, 0).unwrap();
        let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single();
        assert_eq!(plausible_published(at(2026, 12, 7, 1), fetched), at(2026, 12, 7, 1));
        assert_eq!(plausible_published(at(2005, 3, 1, 0), fetched), at(2005, 3, 1, 0), "archives are real dates");
        // local time written as UTC puts a fresh article 7 hours ahead: still kept
        assert_eq!(plausible_published(at(2026, 12, 7, 10), fetched), at(2026, 12, 7, 10));
        for bad in [at(2026, 12, 9, 0), at(9999, 12, 31, 0), at(1970, 1, 1, 0), parse_date("+262142-01-01T00:00:00Z")] {
            assert_eq!(plausible_published(bad, fetched), None, "{bad:?}");
        }
        assert_eq!(plausible_published(None, fetched), None);
    }
}
