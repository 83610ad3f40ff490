//! ExecuteStatement's `NextToken`: an opaque continuation of a SELECT.
//!
//! The token is base64 of a small JSON object: a format version, a digest of the statement and
//! its parameters, and the page's LastEvaluatedKey. The digest ties a token to the request
//! that produced it, so a token handed to another statement is refused rather than read as a
//! start key for the wrong query.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use eddy_types::{AttributeValue, Item, ReadOptions, read_item, write_value_json};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::ApiError;
use crate::input::Constraints;
use crate::reply::Out;

/// A token's body as this module writes it.
#[derive(Deserialize)]
struct Body<'a> {
    version: u64,
    request: u64,
    #[serde(borrow)]
    key: &'a RawValue,
}

/// The format this module writes.
const VERSION: u64 = 1;
/// The longest NextToken the API accepts.
const MAX_TOKEN_LENGTH: usize = 32768;

/// Checks the `NextToken` member's length constraint.
pub(super) fn check_length(token: &str, c: &mut Constraints) {
    let length = token.chars().count();
    if length == 0 {
        c.fail(
            Some(token),
            "nextToken",
            "Member must have length greater than or equal to 1",
        );
    } else if length > MAX_TOKEN_LENGTH {
        c.fail(
            Some(token),
            "nextToken",
            &format!("Member must have length less than or equal to {MAX_TOKEN_LENGTH}"),
        );
    }
}

/// The digest of a request: its statement and parameters.
pub(super) fn digest(statement: &str, params: &[AttributeValue]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(statement.as_bytes());
    let mut json = Vec::new();
    for p in params {
        // A separator, so that the statement and parameters cannot run into each other.
        h.update(&[0]);
        json.clear();
        write_value_json(p, &mut json);
        h.update(&json);
    }
    h.finalize()
}

/// The token that continues a request after `last_evaluated_key`.
pub(super) fn next_token(digest: u32, last_evaluated_key: &Item) -> String {
    let mut body = Out::default();
    body.set("version", VERSION);
    body.set("request", digest);
    body.set_item("key", last_evaluated_key);
    BASE64.encode(body.done().into_bytes())
}

/// The start key a token holds, for the request with `digest`.
///
/// # Errors
/// `Invalid NextToken` for text this module did not write; `NextToken does not match request`
/// for a token of another statement or other parameters.
pub(super) fn start_key(token: &str, digest: u32) -> Result<Item, ApiError> {
    let invalid = || ApiError::validation("Invalid NextToken");
    let bytes = BASE64.decode(token).map_err(|_| invalid())?;
    let body: Body<'_> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if body.version != VERSION {
        return Err(invalid());
    }
    if body.request != u64::from(digest) {
        return Err(ApiError::validation("NextToken does not match request"));
    }
    let mut d = serde_json::Deserializer::from_str(body.key.get());
    match read_item(&mut d, ReadOptions::default()) {
        Ok(Ok(key)) => Ok(key),
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_for_their_request_only() {
        let key = Item::from([("pk".to_owned(), AttributeValue::S("a".into()))]);
        let d = digest("SELECT * FROM t", &[]);
        let t = next_token(d, &key);
        assert_eq!(start_key(&t, d).ok(), Some(key));
        let other = digest("SELECT * FROM t", &[AttributeValue::S("x".into())]);
        assert_ne!(d, other);
        assert_eq!(
            start_key(&t, other).err().and_then(|e| e.message),
            Some("NextToken does not match request".into())
        );
        for bad in ["", "!!", "e30=", "bm90IGpzb24="] {
            assert_eq!(
                start_key(bad, d).err().and_then(|e| e.message),
                Some("Invalid NextToken".into()),
                "{bad}"
            );
        }
    }
}
