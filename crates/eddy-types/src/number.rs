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
