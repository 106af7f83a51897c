//! The API's timestamp formats, rendered from a time passed in (the core never reads a clock).

use time::macros::format_description;
use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, UTC.
pub type UnixMillis = i64;

fn at(millis: UnixMillis) -> OffsetDateTime {
    let nanos = i128::from(millis) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Resource timestamps (`created_at`, `updated_at`): `yyyy-MM-dd HH:mm:ss.SSS`, as the service emits them.
pub fn resource_time(millis: UnixMillis) -> String {
    at(millis)
        .format(format_description!("[year]-[month]-[day] [hour]:[minute]:[second].[subsecond digits:3]"))
        .expect("formatting a valid date cannot fail")
}

/// Job timestamps (`begin_time`, `end_time`): `yyyy-MM-ddTHH:mm:ss.SSSZ`.
pub fn job_time(millis: UnixMillis) -> String {
    at(millis)
        .format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
        .expect("formatting a valid date cannot fail")
}

/// Parses a job timestamp (`2018-04-19T01:55:30.443Z`) back into milliseconds.
pub fn parse_job_time(text: &str) -> Option<UnixMillis> {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    let parsed = time::PrimitiveDateTime::parse(text, format).ok()?.assume_utc();
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
        assert_eq!(parse_job_time("2018-04-19 01:55:30.443"), None);
        assert_eq!(parse_job_time(""), None);
    }
}
