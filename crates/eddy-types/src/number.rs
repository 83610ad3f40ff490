//! DynamoDB numbers: up to 38 significant decimal digits, magnitude 1E-130 to
//! 9.99…E+125, held as canonical plain decimal text so that equality and hashing are
//! string operations and ordering needs no big-number arithmetic.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::error::NumberError;

/// Most significant digits a number may have.
pub const MAX_DIGITS: usize = 38;
/// Largest decimal exponent (of the leading digit) a non-zero number may have.
pub const MAX_EXPONENT: i32 = 125;
/// Smallest decimal exponent (of the leading digit) a non-zero number may have.
pub const MIN_EXPONENT: i32 = -130;

/// A DynamoDB number in canonical form: plain decimal (never exponent notation), no leading
/// zeros before the point except a single `0`, no trailing zeros after it, no point when
/// there is no fraction, and no `-0`. `00042` → `42`, `1.50` → `1.5`, `1.5E2` → `150`.
///
/// Equality and hashing are by canonical text, which is equality by value; ordering is
/// numeric.
#[derive(Clone)]
pub struct Number {
    // Canonical text. Every constructor goes through `build`, so it is always canonical.
    text: Box<str>,
}

/// A number split into sign, decimal exponent of its leading digit and significant digits
/// (ASCII, first and last non-zero). Zero has no digits.
pub(crate) struct Parts<'a> {
    pub neg: bool,
    pub exp: i32,
    pub digits: DigitSlices<'a>,
}

/// Significant digits that may straddle a decimal point: `first` then `second`.
#[derive(Clone, Copy)]
pub(crate) struct DigitSlices<'a> {
    pub first: &'a [u8],
    pub second: &'a [u8],
}

impl DigitSlices<'_> {
    pub fn len(&self) -> usize {
        self.first.len() + self.second.len()
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = u8> + '_ {
        self.first.iter().chain(self.second.iter()).copied()
    }
}

impl Number {
    /// Parses DynamoDB number text (Java `BigDecimal` syntax: optional sign, digits with an
    /// optional point, optional exponent), checks the limits and canonicalises it.
    ///
    /// # Errors
    /// `NotNumeric` for text that is not a number (including an exponent beyond 64 bits),
    /// `Overflow`/`Underflow` outside the magnitude range (zero is range-checked by the
    /// exponent it is written with, as DynamoDB does: `0e126` overflows), `TooManyDigits`
    /// beyond 38 significant digits.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let not_numeric = || NumberError::NotNumeric(text.to_owned());
        let b = text.as_bytes();
        let mut i = 0;
        let neg = match b.first() {
            Some(b'-') => {
                i = 1;
                true
            }
            Some(b'+') => {
                i = 1;
                false
            }
            _ => false,
        };
        let int_start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let int = &b[int_start..i];
        let mut frac: &[u8] = &[];
        if b.get(i) == Some(&b'.') {
            i += 1;
            let frac_start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            frac = &b[frac_start..i];
        }
        if int.is_empty() && frac.is_empty() {
            return Err(not_numeric());
        }
        let mut exp: i128 = 0;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            let exp_neg = match b.get(i) {
                Some(b'-') => {
                    i += 1;
                    true
                }
                Some(b'+') => {
                    i += 1;
                    false
                }
                _ => false,
            };
            let start = i;
            // DynamoDB reads the exponent as a 64-bit integer: beyond that the text cannot be
            // converted at all, within it the value is range-checked like any other.
            let limit: u128 = if exp_neg { 1 << 63 } else { (1 << 63) - 1 };
            let mut magnitude: u128 = 0;
            let mut too_big = false;
            while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
                magnitude = magnitude * 10 + u128::from(d - b'0');
                if magnitude > limit {
                    too_big = true;
                    magnitude = limit;
                }
                i += 1;
            }
            if i == start || too_big {
                return Err(not_numeric());
            }
            // `magnitude` ≤ 2^63, so it fits i128 either way.
            exp = if exp_neg {
                -(magnitude as i128)
            } else {
                magnitude as i128
            };
        }
        if i != b.len() {
            return Err(not_numeric());
        }

        let all = DigitSlices {
            first: int,
            second: frac,
        };
        let Some(first_nz) = all.iter().position(|d| d != b'0') else {
            // Zero, range-checked by the exponent of its last written digit (BigDecimal's
            // adjusted exponent of an unscaled zero): `0e126` overflows, `0e125` is fine.
            let adjusted = exp - frac.len() as i128;
            return if adjusted > i128::from(MAX_EXPONENT) {
                Err(NumberError::Overflow)
            } else if adjusted < i128::from(MIN_EXPONENT) {
                Err(NumberError::Underflow)
            } else {
                Ok(Number::zero())
            };
        };
        let last_nz = all.len() - 1 - all.iter().rev().take_while(|&d| d == b'0').count();
        let adjusted = int.len() as i128 - 1 - first_nz as i128 + exp;
        // Range before precision, the order DynamoDB (and dynalite) report them in.
        if adjusted > i128::from(MAX_EXPONENT) {
            return Err(NumberError::Overflow);
        }
        if adjusted < i128::from(MIN_EXPONENT) {
            return Err(NumberError::Underflow);
        }
        if last_nz - first_nz + 1 > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        let digits = slice_range(all, first_nz, last_nz + 1);
        // In range by the checks above.
        Ok(build(neg, adjusted as i32, digits))
    }

    /// Canonical text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The number zero.
    pub fn zero() -> Number {
        Number { text: "0".into() }
    }

    /// An integer; always within DynamoDB's limits.
    pub fn from_i64(v: i64) -> Number {
        // Integer formatting is already canonical.
        Number {
            text: v.to_string().into_boxed_str(),
        }
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        &*self.text == "0"
    }

    /// True for numbers below zero.
    pub fn is_negative(&self) -> bool {
        self.text.starts_with('-')
    }

    /// DynamoDB's measured size of a number in bytes: after trimming leading and trailing
    /// zeros, `1 + ceil(integer digits / 2) + ceil(fraction digits / 2) + (1 if negative)`,
    /// where zeros between significant digits count (so `100.5` is 4); zero is 1.
    pub fn size(&self) -> usize {
        if self.is_zero() {
            return 1;
        }
        let neg = self.is_negative();
        let body = self.text.trim_start_matches('-').as_bytes();
        let (int, frac) = split_point(body);
        let int = trim_leading_zeros(int);
        let int_sig = if frac.is_empty() {
            trim_trailing_zeros(int).len()
        } else {
            int.len()
        };
        let frac_sig = if int.is_empty() {
            trim_leading_zeros(frac).len()
        } else {
            frac.len()
        };
        1 + int_sig.div_ceil(2) + frac_sig.div_ceil(2) + usize::from(neg)
    }

    /// The largest integer not above this number, if it fits an `i64` (used for TTL epoch
    /// seconds).
    pub fn to_i64_floor(&self) -> Option<i64> {
        let neg = self.is_negative();
        let body = self.text.trim_start_matches('-').as_bytes();
        let (int, frac) = split_point(body);
        let mut v: i128 = 0;
        for &d in int {
            v = v.checked_mul(10)?.checked_add(i128::from(d - b'0'))?;
        }
        if neg {
            v = -v;
            if !frac.is_empty() {
                v -= 1;
            }
        }
        i64::try_from(v).ok()
    }

    /// Sign, exponent of the leading digit and significant digits.
    pub(crate) fn parts(&self) -> Parts<'_> {
        let neg = self.is_negative();
        let body = self.text.trim_start_matches('-').as_bytes();
        let (int, frac) = split_point(body);
        if int != b"0" {
            // Leading digit is non-zero (canonical), so the exponent is the integer length - 1.
            let exp = int.len() as i32 - 1;
            let digits = if frac.is_empty() {
                DigitSlices {
                    first: trim_trailing_zeros(int),
                    second: &[],
                }
            } else {
                DigitSlices {
                    first: int,
                    second: frac,
                }
            };
            Parts { neg, exp, digits }
        } else {
            let sig = trim_leading_zeros(frac);
            let exp = -((frac.len() - sig.len()) as i32) - 1;
            Parts {
                neg,
                exp: if sig.is_empty() { 0 } else { exp },
                digits: DigitSlices {
                    first: sig,
                    second: &[],
                },
            }
        }
    }

    /// Builds a number from parts decoded from storage, checking the limits.
    pub(crate) fn from_parts(neg: bool, exp: i32, digits: &[u8]) -> Result<Number, NumberError> {
        let first = digits.iter().position(|&d| d != b'0');
        let Some(first) = first else {
            return Ok(Number::zero());
        };
        let last = digits.len() - digits.iter().rev().take_while(|&&d| d == b'0').count();
        let exp = exp - first as i32;
        if exp > MAX_EXPONENT {
            return Err(NumberError::Overflow);
        }
        if exp < MIN_EXPONENT {
            return Err(NumberError::Underflow);
        }
        if last - first > MAX_DIGITS {
            return Err(NumberError::TooManyDigits);
        }
        let sig = DigitSlices {
            first: &digits[first..last],
            second: &[],
        };
        Ok(build(neg, exp, sig))
    }

    /// Wraps text already known to be canonical (produced by `build`).
    pub(crate) fn from_canonical(text: String) -> Number {
        Number {
            text: text.into_boxed_str(),
        }
    }

    /// Magnitude comparison of two canonical texts without their signs.
    fn cmp_magnitude(a: &[u8], b: &[u8]) -> Ordering {
        // Canonical integer parts have no leading zeros (a lone `0` has length 1, like any
        // single digit), so a longer integer part is larger; with equal integer lengths the
        // points line up and bytewise order is numeric order (a missing fraction sorts first).
        let ia = a.iter().position(|&c| c == b'.').unwrap_or(a.len());
        let ib = b.iter().position(|&c| c == b'.').unwrap_or(b.len());
        ia.cmp(&ib).then_with(|| a.cmp(b))
    }
}

/// `all[from..to]` (positions in the combined digits) as two slices.
fn slice_range(all: DigitSlices<'_>, from: usize, to: usize) -> DigitSlices<'_> {
    let split = all.first.len();
    DigitSlices {
        first: &all.first[from.min(split)..to.min(split)],
        second: &all.second[from.max(split) - split..to.max(split) - split],
    }
}

/// Canonical text from sign, exponent of the leading digit (within range) and the
/// significant digits (first and last non-zero).
pub(crate) fn build(neg: bool, exp: i32, digits: DigitSlices<'_>) -> Number {
    let n = digits.len();
    let mut s = String::with_capacity(n + exp.unsigned_abs() as usize + 3);
    if neg {
        s.push('-');
    }
    let mut it = digits.iter();
    if exp >= 0 {
        let int_len = exp as usize + 1;
        for _ in 0..int_len {
            s.push(char::from(it.next().unwrap_or(b'0')));
        }
        if n > int_len {
            s.push('.');
            s.extend(it.map(char::from));
        }
    } else {
        s.push_str("0.");
        for _ in 0..(-exp - 1) {
            s.push('0');
        }
        s.extend(it.map(char::from));
    }
    Number::from_canonical(s)
}

fn split_point(body: &[u8]) -> (&[u8], &[u8]) {
    match body.iter().position(|&c| c == b'.') {
        Some(p) => (&body[..p], &body[p + 1..]),
        None => (body, &[]),
    }
}

fn trim_leading_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b'0').count();
    &s[n..]
}

fn trim_trailing_zeros(s: &[u8]) -> &[u8] {
    let n = s.iter().rev().take_while(|&&c| c == b'0').count();
    &s[..s.len() - n]
}

impl PartialEq for Number {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Number {}

impl Hash for Number {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.text.hash(state);
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let (na, nb) = (self.is_negative(), other.is_negative());
        match (na, nb) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => Number::cmp_magnitude(self.text.as_bytes(), other.text.as_bytes()),
            (true, true) => {
                Number::cmp_magnitude(other.text[1..].as_bytes(), self.text[1..].as_bytes())
            }
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({})", self.text)
    }
}

impl std::str::FromStr for Number {
    type Err = NumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Number::parse(s)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number::from_i64(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::Rng;

    fn canon(s: &str) -> String {
        Number::parse(s).unwrap().as_str().to_owned()
    }

    #[test]
    fn canonicalisation_table() {
        let table = [
            ("00042", "42"),
            ("1.0", "1"),
            ("3.1400", "3.14"),
            ("0042.1200", "42.12"),
            ("1.5E2", "150"),
            ("1.5e2", "150"),
            ("-0", "0"),
            ("-0.000", "0"),
            ("+1", "1"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-.5", "-0.5"),
            ("0", "0"),
            ("0.0000001", "0.0000001"),
            ("1.23e1", "12.3"),
            ("-1.5e-3", "-0.0015"),
            ("1E+2", "100"),
            ("100e-2", "1"),
            ("12345e-2", "123.45"),
            ("0e125", "0"),
            ("0.0e126", "0"),
            ("-7", "-7"),
            ("1e0000000000000000000000000002", "100"),
        ];
        for (input, want) in table {
            assert_eq!(canon(input), want, "{input}");
        }
        assert_eq!(canon("1E125"), format!("1{}", "0".repeat(125)));
        assert_eq!(canon("1e-130"), format!("0.{}1", "0".repeat(129)));
        assert_eq!(
            canon("9.9999999999999999999999999999999999999E+125"),
            format!("{}{}", "9".repeat(38), "0".repeat(88))
        );
    }

    #[test]
    fn rejects_non_numbers_with_their_text() {
        for text in [
            "abc", "1.2.3", " 1", "1 ", "0x10", "1e", "NaN", "Infinity", "", ".", "-", "+", "e5",
            "1e+", "--1", "1..2", "1e5.5", "１", "1_000", "-+1", "1e--1",
        ] {
            let err = Number::parse(text).unwrap_err();
            assert_eq!(err, NumberError::NotNumeric(text.to_owned()), "{text:?}");
            assert_eq!(
                err.to_string(),
                format!("The parameter cannot be converted to a numeric value: {text}")
            );
        }
    }

    #[test]
    fn range_and_digit_limits() {
        use NumberError::*;
        let cases: &[(&str, NumberError)] = &[
            ("1e126", Overflow),
            ("-1e126", Overflow),
            ("10e125", Overflow),
            ("1e-131", Underflow),
            ("-1e-131", Underflow),
            ("0.1e-130", Underflow),
            ("0e126", Overflow),
            ("0e-131", Underflow),
            ("1e2147483648", Overflow),
            ("1e2147483647", Overflow),
            ("1e-2147483648", Underflow),
            ("1e99999999999", Overflow),
            ("-1e99999999999", Overflow),
            ("1e-99999999999", Underflow),
            ("1e9223372036854775807", Overflow),
            ("1e-9223372036854775808", Underflow),
            ("123456789012345678901234567890123456789", TooManyDigits),
            ("1234567890123456789012345678901234567890", TooManyDigits),
            ("-1.23456789012345678901234567890123456789", TooManyDigits),
            (
                "0.000123456789012345678901234567890123456789",
                TooManyDigits,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Number::parse(text).unwrap_err(), *want, "{text}");
        }
        for text in [
            "1e9223372036854775808",
            "1e-9223372036854775809",
            "1e99999999999999999999",
        ] {
            assert!(matches!(Number::parse(text), Err(NotNumeric(_))), "{text}");
        }
        for ok in [
            "12345678901234567890123456789012345678",
            "1234567890123456789012345678901234567800000",
            "1e125",
            "-1e125",
            "1e-130",
            "99999999999999999999999999999999999999e88",
            "0.00000000000000000000000000000000000001",
        ] {
            assert!(Number::parse(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            TooManyDigits.to_string(),
            "Attempting to store more than 38 significant digits in a Number"
        );
        assert_eq!(
            Overflow.to_string(),
            "Number overflow. Attempting to store a number with magnitude larger than supported range"
        );
        assert_eq!(
            Underflow.to_string(),
            "Number underflow. Attempting to store a number with magnitude smaller than supported range"
        );
    }

    #[test]
    fn measured_sizes() {
        // The literals measured against real DynamoDB (paritysuite numberByteSize capture).
        let table = [
            ("0", 1),
            ("1", 2),
            ("12", 2),
            ("123", 3),
            ("1234", 3),
            ("12345678901234567890123456789012345678", 20),
            ("0042", 2),
            ("100", 2),
            ("1010", 3),
            ("0.0000001", 2),
            ("1E125", 2),
            ("1E-100", 2),
            ("1.5", 3),
            ("15", 2),
            ("1.2", 3),
            ("1.200", 3),
            ("1.234", 4),
            ("3.14159", 5),
            ("123456", 4),
            ("100.5", 4),
            ("0.15", 2),
            ("-42", 3),
            ("-0", 1),
        ];
        for (text, want) in table {
            assert_eq!(Number::parse(text).unwrap().size(), want, "{text}");
        }
    }

    #[test]
    fn equality_hash_and_display_use_canonical_text() {
        let a = Number::parse("1.50").unwrap();
        let b = Number::parse("15e-1").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "1.5");
        let mut set = std::collections::HashSet::new();
        set.insert(a);
        assert!(set.contains(&b));
        assert_eq!(Number::from_i64(-42).as_str(), "-42");
        assert_eq!(
            Number::from_i64(i64::MIN),
            Number::parse("-9223372036854775808").unwrap()
        );
        assert!(Number::parse("0.000").unwrap().is_zero());
        assert!(!Number::parse("0.001").unwrap().is_zero());
    }

    #[test]
    fn ordering_is_numeric() {
        let sorted = [
            "-1e125", "-100", "-99.5", "-1", "-0.5", "-0.05", "-1e-130", "0", "1e-130", "0.05",
            "0.5", "0.51", "1", "1.05", "1.5", "2", "9.99", "10", "10.5", "99", "100", "1e125",
        ];
        let nums: Vec<Number> = sorted.iter().map(|s| Number::parse(s).unwrap()).collect();
        for (i, a) in nums.iter().enumerate() {
            for (j, b) in nums.iter().enumerate() {
                assert_eq!(a.cmp(b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    /// A random valid number as (text in exponent form, sign, exponent, digits).
    pub(crate) fn random_number(rng: &mut Rng) -> String {
        let n_digits = 1 + rng.below(38) as usize;
        let mut digits: Vec<u8> = (0..n_digits).map(|_| b'0' + rng.below(10) as u8).collect();
        digits[0] = b'1' + rng.below(9) as u8;
        let exp = if rng.chance(4) {
            // Cluster near zero so equal exponents (digit comparisons) are common.
            rng.below(5) as i32 - 2
        } else {
            rng.below(256) as i32 - 130
        };
        let sign = if rng.chance(2) { "-" } else { "" };
        if rng.chance(20) {
            return "0".into();
        }
        format!(
            "{sign}{}.{}e{exp}",
            char::from(digits[0]),
            std::str::from_utf8(&digits[1..]).unwrap()
        )
    }

    /// Reference comparison: compare `±d.ddd × 10^e` by sign, exponent, then digits.
    fn reference_cmp(a: &Number, b: &Number) -> Ordering {
        let key = |n: &Number| {
            let p = n.parts();
            let digits: Vec<u8> = p.digits.iter().collect();
            let sign = if digits.is_empty() {
                0
            } else if p.neg {
                -1
            } else {
                1
            };
            (sign, p.exp, digits)
        };
        let (sa, ea, da) = key(a);
        let (sb, eb, db) = key(b);
        let magnitude = ea.cmp(&eb).then_with(|| da.cmp(&db));
        sa.cmp(&sb).then_with(|| match sa {
            0 => Ordering::Equal,
            1 => magnitude,
            _ => magnitude.reverse(),
        })
    }

    #[test]
    fn randomised_ordering_matches_reference() {
        let mut rng = Rng::new(7);
        let nums: Vec<Number> = (0..400)
            .map(|_| Number::parse(&random_number(&mut rng)).unwrap())
            .collect();
        for a in &nums {
            for b in &nums {
                assert_eq!(a.cmp(b), reference_cmp(a, b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn canonical_text_reparses_to_itself() {
        let mut rng = Rng::new(11);
        for _ in 0..2000 {
            let n = Number::parse(&random_number(&mut rng)).unwrap();
            assert_eq!(Number::parse(n.as_str()).unwrap().as_str(), n.as_str());
            let p = n.parts();
            let digits: Vec<u8> = p.digits.iter().collect();
            assert_eq!(Number::from_parts(p.neg, p.exp, &digits).unwrap(), n);
        }
    }

    #[test]
    fn floor_to_i64() {
        let table = [
            ("1.5", Some(1)),
            ("-1.5", Some(-2)),
            ("-2", Some(-2)),
            ("0.5", Some(0)),
            ("-0.5", Some(-1)),
            ("0", Some(0)),
            ("1700000000", Some(1_700_000_000)),
            ("9223372036854775807", Some(i64::MAX)),
            ("9223372036854775807.5", Some(i64::MAX)),
            ("9223372036854775808", None),
            ("-9223372036854775808", Some(i64::MIN)),
            ("-9223372036854775808.5", None),
            ("1e125", None),
        ];
        for (text, want) in table {
            assert_eq!(Number::parse(text).unwrap().to_i64_floor(), want, "{text}");
        }
    }
}
