//! The API's timestamp formats, rendered from a time passed in (the core never reads a clock).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Milliseconds since the Unix epoch, UTC.
pub type UnixMillis = i64;

fn at(millis: UnixMillis) -> OffsetDateTime {
    let nanos = i128::from(millis) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

// The formats are fixed, so they are written and read field by field: `time`'s format-description interpreter cost
// the console about 19 KB of wasm (twiggy), for two layouts. `time` still does the calendar.

/// `yyyy-MM-dd{separator}HH:mm:ss.SSS`.
fn render(millis: UnixMillis, separator: char) -> String {
    let t = at(millis);
    format!(
        "{:04}-{:02}-{:02}{separator}{:02}:{:02}:{:02}.{:03}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Resource timestamps (`created_at`, `updated_at`): `yyyy-MM-dd HH:mm:ss.SSS`, as the service emits them.
pub fn resource_time(millis: UnixMillis) -> String {
    render(millis, ' ')
}

/// Job timestamps (`begin_time`, `end_time`): `yyyy-MM-ddTHH:mm:ss.SSSZ`.
pub fn job_time(millis: UnixMillis) -> String {
    render(millis, 'T') + "Z"
}

/// Parses a job timestamp (`2018-04-19T01:55:30.443Z`) back into milliseconds; `None` for any other layout or an
/// impossible date.
pub fn parse_job_time(text: &str) -> Option<UnixMillis> {
    let bytes = text.as_bytes();
    if bytes.len() != 24
        || [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.'), (23, b'Z')]
            .iter()
            .any(|&(index, separator)| bytes[index] != separator)
    {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u32> {
        let digits = &bytes[from..to];
        digits.iter().all(u8::is_ascii_digit).then(|| digits.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    let month = Month::try_from(u8::try_from(number(5, 7)?).ok()?).ok()?;
    let date = Date::from_calendar_date(year, month, u8::try_from(number(8, 10)?).ok()?).ok()?;
    let [hour, minute, second] = [number(11, 13)?, number(14, 16)?, number(17, 19)?].map(|n| n as u8);
    let time = Time::from_hms_milli(hour, minute, second, u16::try_from(number(20, 23)?).ok()?).ok()?;
    let parsed = PrimitiveDateTime::new(date, time).assume_utc();
    i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_match_the_documented_examples() {
        // 2019-05-22 08:16:54.413 UTC and 2018-04-19T01:55:30.443Z, from the reference's examples.
        assert_eq!(resource_time(1_558_513_014_413), "2019-05-22 08:16:54.413");
        assert_eq!(job_time(1_524_102_930_443), "2018-04-19T01:55:30.443Z");
        assert_eq!(job_time(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn job_times_parse_back() {
        assert_eq!(parse_job_time("2018-04-19T01:55:30.443Z"), Some(1_524_102_930_443));
        assert_eq!(parse_job_time(&job_time(1_700_000_000_123)), Some(1_700_000_000_123));
        // Every ~23 days over 126 years, leap days included: each rendered time reads back to itself.
        for millis in (0..2_000).map(|step| step * 1_999_999_999) {
            assert_eq!(parse_job_time(&job_time(millis)), Some(millis), "{}", job_time(millis));
        }
        assert_eq!(parse_job_time("2018-04-19 01:55:30.443"), None);
        assert_eq!(parse_job_time(""), None);
        assert_eq!(parse_job_time("2018-13-19T01:55:30.443Z"), None, "no 13th month");
        assert_eq!(parse_job_time("2018-02-30T01:55:30.443Z"), None, "no 30 February");
        assert_eq!(parse_job_time("2018-04-19T24:00:00.000Z"), None, "no hour 24");
        assert_eq!(parse_job_time("2018-04-19T01:55:30.44xZ"), None, "digits only");
        assert_eq!(parse_job_time("2018-04-19T01:55:30.443+"), None, "UTC only");
        assert_eq!(parse_job_time("+018-04-19T01:55:30.443Z"), None, "no sign");
    }
}
