//! A stream's identity: its label (the UTC creation time) and its ARN.
//!
//! Every enable of a table's stream makes a new stream, named by the millisecond it was
//! created. Two streams of one table must never share a label, so the engine picks the
//! creation time with [`stream_creation_ms`], which moves past the previous stream's
//! millisecond when an enable follows a disable within the same millisecond (or the clock
//! stepped back).

use crate::error::StreamsError;

/// Shortest stream ARN the API accepts.
pub const MIN_STREAM_ARN_LEN: usize = 37;
/// Longest stream ARN the API accepts.
pub const MAX_STREAM_ARN_LEN: usize = 1024;

const MS_PER_DAY: u64 = 86_400_000;
/// Length of `YYYY-MM-DDTHH:MM:SS.mmm`.
const LABEL_LEN: usize = 23;

/// The creation time, in epoch milliseconds, for a table's new stream: `now_ms`, or one past
/// the previous stream's creation time when that is not earlier than `now_ms`. Labels are
/// made from this time, so a table's streams always get distinct labels and later streams
/// sort after earlier ones.
pub fn stream_creation_ms(now_ms: u64, previous_stream_ms: Option<u64>) -> u64 {
    match previous_stream_ms {
        Some(prev) if prev >= now_ms => prev.saturating_add(1),
        _ => now_ms,
    }
}

/// The stream label for a creation time: UTC `YYYY-MM-DDTHH:MM:SS.mmm`, without a zone
/// suffix. Pass a time from [`stream_creation_ms`] so each enable gets its own label.
pub fn stream_label(created_ms: u64) -> String {
    let days = created_ms / MS_PER_DAY;
    let ms_of_day = created_ms % MS_PER_DAY;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}",
        ms_of_day / 3_600_000,
        ms_of_day / 60_000 % 60,
        ms_of_day / 1000 % 60,
        ms_of_day % 1000
    )
}

/// The creation time a label names, in epoch milliseconds; `None` for text that is not a
/// label [`stream_label`] writes (wrong shape, impossible date or time, before 1970).
pub fn parse_stream_label(label: &str) -> Option<u64> {
    let b = label.as_bytes();
    if b.len() != LABEL_LEN
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'.'
    {
        return None;
    }
    let field = |from: usize, to: usize| -> Option<u64> {
        let digits = b.get(from..to)?;
        digits.iter().try_fold(0u64, |acc, &d| {
            d.is_ascii_digit().then(|| acc * 10 + u64::from(d - b'0'))
        })
    };
    let (year, month, day) = (field(0, 4)?, field(5, 7)?, field(8, 10)?);
    let (hour, minute, second, milli) = (
        field(11, 13)?,
        field(14, 16)?,
        field(17, 19)?,
        field(20, 23)?,
    );
    if year < 1970
        || !(1..=12).contains(&month)
        || day < 1
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // An impossible day (Feb 30) lands in another month; the round trip catches it.
    if civil_from_days(days) != (year, month, day) {
        return None;
    }
    Some(days * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + milli)
}

/// The stream ARN: `arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>`.
pub fn stream_arn(region: &str, account: &str, table: &str, label: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{account}:table/{table}/stream/{label}")
}

/// The parts of a stream ARN.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamArnParts {
    /// The region, e.g. `us-east-1`.
    pub region: String,
    /// The account id.
    pub account: String,
    /// The table name.
    pub table: String,
    /// The stream label.
    pub label: String,
    /// The creation time the label names, in epoch milliseconds.
    pub created_ms: u64,
}

/// Splits a stream ARN into its parts, checking it has the shape [`stream_arn`] writes: the
/// `aws` partition, service `dynamodb`, a region of lowercase letters, digits and dashes, an
/// alphanumeric account, a valid table name (3-255 of `A-Za-z0-9_.-`) and a label
/// [`parse_stream_label`] accepts; 37 to 1024 characters in all. Whether the stream exists
/// is the engine's question (ResourceNotFoundException), not this one's.
///
/// # Errors
/// [`StreamsError::InvalidStreamArn`] for anything else.
pub fn parse_stream_arn(arn: &str) -> Result<StreamArnParts, StreamsError> {
    parse_parts(arn).ok_or(StreamsError::InvalidStreamArn)
}

fn parse_parts(arn: &str) -> Option<StreamArnParts> {
    if !(MIN_STREAM_ARN_LEN..=MAX_STREAM_ARN_LEN).contains(&arn.len()) {
        return None;
    }
    // The label holds colons, so the resource is whatever follows the fifth one.
    let mut fields = arn.splitn(6, ':');
    let (prefix, partition, service) = (fields.next()?, fields.next()?, fields.next()?);
    let (region, account, resource) = (fields.next()?, fields.next()?, fields.next()?);
    if prefix != "arn" || partition != "aws" || service != "dynamodb" {
        return None;
    }
    let region_ok = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let account_ok = !account.is_empty() && account.bytes().all(|b| b.is_ascii_alphanumeric());
    if !region_ok || !account_ok {
        return None;
    }
    let mut segments = resource.split('/');
    let (kind, table, stream, label) = (
        segments.next()?,
        segments.next()?,
        segments.next()?,
        segments.next()?,
    );
    if segments.next().is_some()
        || kind != "table"
        || stream != "stream"
        || !valid_table_name(table)
    {
        return None;
    }
    let created_ms = parse_stream_label(label)?;
    Some(StreamArnParts {
        region: region.to_owned(),
        account: account.to_owned(),
        table: table.to_owned(),
        label: label.to_owned(),
        created_ms,
    })
}

fn valid_table_name(name: &str) -> bool {
    (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// (year, month, day) of a day count since 1970-01-01, in the proleptic Gregorian calendar
/// (Howard Hinnant's `civil_from_days`, for non-negative days only).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// Days since 1970-01-01 of a date in 1970..=9999 with month 1..=12 and day 1..=31 (the
/// inverse of [`civil_from_days`]).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = if month > 2 { month - 3 } else { month + 9 };
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_is_utc_with_milliseconds_and_no_zone() {
        assert_eq!(stream_label(0), "1970-01-01T00:00:00.000");
        // 2024-02-29T13:45:07.089Z, a leap day.
        assert_eq!(stream_label(1_709_214_307_089), "2024-02-29T13:45:07.089");
        assert_eq!(stream_label(1_735_689_599_999), "2024-12-31T23:59:59.999");
        assert_eq!(stream_label(1_735_689_600_000), "2025-01-01T00:00:00.000");
        assert_eq!(stream_label(951_782_400_000), "2000-02-29T00:00:00.000");
        // Far future: no panic; the year just grows.
        assert!(stream_label(u64::MAX).ends_with(".615"));
    }

    #[test]
    fn label_parses_back() {
        for ms in [0, 1_709_214_307_089, 1_735_689_599_999, 253_402_300_799_999] {
            assert_eq!(parse_stream_label(&stream_label(ms)), Some(ms));
        }
        for bad in [
            "2024-02-30T00:00:00.000",
            "2023-02-29T00:00:00.000",
            "2024-13-01T00:00:00.000",
            "2024-00-01T00:00:00.000",
            "2024-01-01T24:00:00.000",
            "2024-01-01T00:60:00.000",
            "2024-01-01 00:00:00.000",
            "2024-01-01T00:00:00.000Z",
            "1969-12-31T23:59:59.999",
            "2024-01-01T00:00:00.0a0",
            "２024-01-01T00:00:00.00",
            "",
        ] {
            assert_eq!(parse_stream_label(bad), None, "{bad}");
        }
    }

    #[test]
    fn creation_time_is_unique_per_enable() {
        assert_eq!(stream_creation_ms(1000, None), 1000);
        assert_eq!(stream_creation_ms(1000, Some(999)), 1000);
        assert_eq!(stream_creation_ms(1000, Some(1000)), 1001);
        assert_eq!(stream_creation_ms(1000, Some(5000)), 5001);
        let first = stream_creation_ms(1000, None);
        let second = stream_creation_ms(1000, Some(first));
        assert_ne!(stream_label(first), stream_label(second));
        assert!(stream_label(first) < stream_label(second));
    }

    #[test]
    fn arn_format_and_round_trip() {
        let label = stream_label(1_709_214_307_089);
        let arn = stream_arn("us-east-1", "123456789012", "Music", &label);
        assert_eq!(
            arn,
            "arn:aws:dynamodb:us-east-1:123456789012:table/Music/stream/2024-02-29T13:45:07.089"
        );
        let parts = parse_stream_arn(&arn).unwrap();
        assert_eq!(
            parts,
            StreamArnParts {
                region: "us-east-1".into(),
                account: "123456789012".into(),
                table: "Music".into(),
                label,
                created_ms: 1_709_214_307_089,
            }
        );
        let dotted = stream_arn(
            "local",
            "000000000000",
            "my.table_1-x",
            "2024-01-01T00:00:00.000",
        );
        assert_eq!(parse_stream_arn(&dotted).unwrap().table, "my.table_1-x");
    }

    #[test]
    fn malformed_arns_are_rejected() {
        let good =
            "arn:aws:dynamodb:us-east-1:123456789012:table/Music/stream/2024-02-29T13:45:07.089";
        assert!(parse_stream_arn(good).is_ok());
        let long_table = "t".repeat(256);
        let too_long = format!(
            "arn:aws:dynamodb:us-east-1:1:table/{}/stream/2024-02-29T13:45:07.089",
            "x".repeat(1000)
        );
        let bad = [
            "fake-stream".to_owned(),
            "arn:aws:dynamodb:us-east-1:123456789012:table/Music".to_owned(),
            good.replace("arn:aws:", "arn:aws-cn:"),
            good.replace("dynamodb", "kinesis"),
            good.replace("us-east-1", ""),
            good.replace("us-east-1", "US-EAST-1"),
            good.replace("123456789012", ""),
            good.replace("123456789012", "12-34"),
            good.replace("table/", "index/"),
            good.replace("/stream/", "/streams/"),
            good.replace("Music", "Mu"),
            good.replace("Music", "Mu$ic"),
            good.replace("Music", &long_table),
            good.replace(".089", ".089/extra"),
            good.replace("2024-02-29", "2024-02-30"),
            good.replace("T13", " 13"),
            format!("{good}Z"),
            too_long,
            String::new(),
        ];
        for arn in &bad {
            assert_eq!(
                parse_stream_arn(arn),
                Err(StreamsError::InvalidStreamArn),
                "{arn}"
            );
        }
        assert_eq!(
            StreamsError::InvalidStreamArn.to_string(),
            "Invalid StreamArn"
        );
    }
}
