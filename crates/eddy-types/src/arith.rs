//! Exact decimal addition and subtraction (UpdateExpression `+`/`-` and `ADD`). The result
//! is re-checked against the 38-digit and range limits; DynamoDB reports a result that needs
//! more than 38 digits as an overflow, as it does one out of range.

use num_bigint::BigInt;

use crate::error::NumberError;
use crate::number::Number;

impl Number {
    /// `self + other`, exactly.
    ///
    /// # Errors
    /// When the exact result has more than 38 significant digits or leaves the range.
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        add(self, other, false)
    }

    /// `self - other`, exactly.
    ///
    /// # Errors
    /// When the exact result has more than 38 significant digits or leaves the range.
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        add(self, other, true)
    }
}

/// A number as `unscaled / 10^scale`: the digits without the point, and the fraction length.
fn unscaled_parts(n: &Number) -> (bool, Vec<u8>, usize) {
    let text = n.as_str();
    let neg = text.starts_with('-');
    let body = text.trim_start_matches('-').as_bytes();
    let scale = body
        .iter()
        .position(|&c| c == b'.')
        .map_or(0, |p| body.len() - p - 1);
    let digits = body.iter().copied().filter(|&c| c != b'.').collect();
    (neg, digits, scale)
}

fn add(a: &Number, b: &Number, negate_b: bool) -> Result<Number, NumberError> {
    exact_sum(a, b, negate_b).map_err(|e| match e {
        NumberError::TooManyDigits => NumberError::Overflow,
        other => other,
    })
}

fn exact_sum(a: &Number, b: &Number, negate_b: bool) -> Result<Number, NumberError> {
    if b.is_zero() {
        return Ok(a.clone());
    }
    if a.is_zero() && !negate_b {
        return Ok(b.clone());
    }
    let (na, da, sa) = unscaled_parts(a);
    let (nb, db, sb) = unscaled_parts(b);
    let nb = nb != negate_b;
    let scale = sa.max(sb);
    if let Some(text) = add_small(na, &da, sa, nb, &db, sb, scale) {
        return Number::parse(&text);
    }
    let big = |neg: bool, digits: &[u8], s: usize| -> BigInt {
        let v = BigInt::parse_bytes(digits, 10).unwrap_or_default();
        let v = v * BigInt::from(10u8).pow((scale - s) as u32);
        if neg { -v } else { v }
    };
    let sum = big(na, &da, sa) + big(nb, &db, sb);
    let neg = sum.sign() == num_bigint::Sign::Minus;
    let digits = sum.magnitude().to_string();
    Number::parse(&place_point(neg, &digits, scale))
}

/// The common case (counters, small decimals) in 128-bit integers; `None` when it does not
/// fit and the big-integer path must run.
fn add_small(
    na: bool,
    da: &[u8],
    sa: usize,
    nb: bool,
    db: &[u8],
    sb: usize,
    scale: usize,
) -> Option<String> {
    let small = |neg: bool, digits: &[u8], s: usize| -> Option<i128> {
        // 38 digits always fit an i128 (max ≈ 1.7E38); the scaling below is checked.
        if digits.len() > 38 {
            return None;
        }
        let mut v: i128 = 0;
        for &d in digits {
            v = v * 10 + i128::from(d - b'0');
        }
        let v = v.checked_mul(10i128.checked_pow(u32::try_from(scale - s).ok()?)?)?;
        Some(if neg { -v } else { v })
    };
    let sum = small(na, da, sa)?.checked_add(small(nb, db, sb)?)?;
    Some(place_point(sum < 0, &sum.unsigned_abs().to_string(), scale))
}

/// Decimal text for `±digits / 10^scale`.
fn place_point(neg: bool, digits: &str, scale: usize) -> String {
    let mut s = String::with_capacity(digits.len() + scale + 3);
    if neg {
        s.push('-');
    }
    if scale == 0 {
        s.push_str(digits);
    } else if digits.len() <= scale {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', scale - digits.len()));
        s.push_str(digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        s.push_str(int);
        s.push('.');
        s.push_str(frac);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn exact_addition_and_subtraction() {
        let table = [
            ("1", "2", "3", "-1"),
            ("0.1", "0.2", "0.3", "-0.1"),
            ("1", "1", "2", "0"),
            ("-1.5", "0.5", "-1", "-2"),
            ("0", "5", "5", "-5"),
            ("5", "0", "5", "5"),
            (
                "1e60",
                "1e50",
                "1000000000100000000000000000000000000000000000000000000000000",
                "999999999900000000000000000000000000000000000000000000000000",
            ),
            (
                "1e-100",
                "1e-101",
                "0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000011",
                "0.00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000009",
            ),
            (
                "99999999999999999999999999999999999999",
                "-99999999999999999999999999999999999999",
                "0",
                "199999999999999999999999999999999999998",
            ),
        ];
        // A difference that breaks the limits is written as the text that fails to parse.
        for (a, b, sum, diff) in table {
            assert_eq!(
                n(a).checked_add(&n(b)).map(|x| x.to_string()),
                Ok(sum.into()),
                "{a}+{b}"
            );
            let got = n(a).checked_sub(&n(b));
            match Number::parse(diff) {
                Ok(want) => assert_eq!(got, Ok(want), "{a}-{b}"),
                // Too many digits for a result of arithmetic is an overflow.
                Err(_) => assert_eq!(got, Err(NumberError::Overflow), "{a}-{b}"),
            }
        }
    }

    #[test]
    fn results_are_rechecked() {
        assert_eq!(
            n("1e125").checked_add(&n("1e-130")),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            n("9.9999999999999999999999999999999999999e125").checked_add(&n("1e125")),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            n("-9.9999999999999999999999999999999999999e125").checked_sub(&n("1e125")),
            Err(NumberError::Overflow)
        );
        assert_eq!(
            n("12345678901234567890123456789012345678").checked_add(&n("0.5")),
            Err(NumberError::Overflow)
        );
    }
}
