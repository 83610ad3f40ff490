//! Stream record sequence numbers.
//!
//! A sequence number is an unsigned integer shown as a decimal string of 21 to 40 digits.
//! Each stream draws its numbers from one counter (held by its [`ShardMap`](crate::ShardMap))
//! starting at [`SequenceNumber::FIRST`] = 10^20, so every number eddy issues is printed as a
//! `1` followed by 20 or more digits: 21 digits without leading zeros, like AWS's, so a client
//! that parses it as a big integer and prints it back sends the same text.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::StreamsError;

/// A stream record's sequence number; ordered by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SequenceNumber(u128);

impl SequenceNumber {
    /// The first number a new stream issues: 10^20, printed `100000000000000000000`.
    pub const FIRST: SequenceNumber = SequenceNumber(100_000_000_000_000_000_000);
    /// Fewest digits in a sequence number's text.
    pub const MIN_DIGITS: usize = 21;
    /// Most digits in a sequence number's text.
    pub const MAX_DIGITS: usize = 40;

    /// The sequence number with this value.
    pub const fn new(value: u128) -> SequenceNumber {
        SequenceNumber(value)
    }

    /// The number's value.
    pub const fn value(self) -> u128 {
        self.0
    }

    /// The number after this one. Saturates at `u128::MAX`, which a stream would reach
    /// after 3 * 10^38 records.
    pub const fn next(self) -> SequenceNumber {
        SequenceNumber(self.0.saturating_add(1))
    }

    /// Parses a sequence number's text: 21 to 40 ASCII digits (leading zeros allowed).
    ///
    /// # Errors
    /// [`StreamsError::InvalidSequenceNumber`] for any other text, and for a value too large
    /// for eddy to have issued (above `u128::MAX`).
    pub fn parse(text: &str) -> Result<SequenceNumber, StreamsError> {
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&text.len()) {
            return Err(StreamsError::InvalidSequenceNumber);
        }
        let mut value: u128 = 0;
        for b in text.bytes() {
            if !b.is_ascii_digit() {
                return Err(StreamsError::InvalidSequenceNumber);
            }
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u128::from(b - b'0')))
                .ok_or(StreamsError::InvalidSequenceNumber)?;
        }
        Ok(SequenceNumber(value))
    }
}

impl fmt::Display for SequenceNumber {
    /// Decimal, zero-padded to 21 digits (only values below 10^20, which eddy never issues,
    /// need the padding); `u128::MAX` has 39 digits, so the text is always 21-40 digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:021}", self.0)
    }
}

// Stored as the decimal text: JSON numbers can't carry 128 bits through every reader.
impl Serialize for SequenceNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SequenceNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        SequenceNumber::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_is_a_one_and_twenty_zeros() {
        assert_eq!(SequenceNumber::FIRST.to_string(), "100000000000000000000");
        assert_eq!(
            SequenceNumber::FIRST.next().to_string(),
            "100000000000000000001"
        );
    }

    #[test]
    fn display_is_21_to_40_digits_and_round_trips() {
        for v in [0, 1, 10u128.pow(20), 10u128.pow(21) + 7, u128::MAX] {
            let s = SequenceNumber::new(v).to_string();
            assert!((21..=40).contains(&s.len()), "{s}");
            assert!(s.bytes().all(|b| b.is_ascii_digit()));
            assert_eq!(SequenceNumber::parse(&s), Ok(SequenceNumber::new(v)));
        }
        assert_eq!(SequenceNumber::new(5).to_string(), "000000000000000000005");
        assert_eq!(u128::MAX.to_string().len(), 39);
    }

    #[test]
    fn parse_checks_shape_and_range() {
        let bad = [
            "",
            "12345",
            "10000000000000000000",                      // 20 digits
            "1000000000000000000000000000000000000000a", // 41 chars
            "10000000000000000000x",
            "+10000000000000000000",
            "-10000000000000000000",
            " 100000000000000000000",
            "１00000000000000000000",
            "9999999999999999999999999999999999999999", // 40 digits, above u128::MAX
        ];
        for text in bad {
            assert_eq!(
                SequenceNumber::parse(text),
                Err(StreamsError::InvalidSequenceNumber),
                "{text}"
            );
        }
        // 40 digits with leading zeros is a valid shape and a small value.
        let padded = format!("{:040}", 42);
        assert_eq!(SequenceNumber::parse(&padded), Ok(SequenceNumber::new(42)));
        assert_eq!(
            SequenceNumber::parse(&u128::MAX.to_string()),
            Ok(SequenceNumber::new(u128::MAX))
        );
    }

    #[test]
    fn order_is_numeric_and_matches_text_order_of_issued_numbers() {
        let a = SequenceNumber::FIRST;
        let b = a.next();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
        assert_eq!(SequenceNumber::new(u128::MAX).next().value(), u128::MAX);
    }

    #[test]
    fn serde_uses_the_decimal_text() {
        let json = serde_json::to_string(&SequenceNumber::FIRST).unwrap();
        assert_eq!(json, "\"100000000000000000000\"");
        let back: SequenceNumber = serde_json::from_str(&json).unwrap();
        assert_eq!(back, SequenceNumber::FIRST);
        assert!(serde_json::from_str::<SequenceNumber>("\"12\"").is_err());
        assert!(serde_json::from_str::<SequenceNumber>("12").is_err());
    }
}
