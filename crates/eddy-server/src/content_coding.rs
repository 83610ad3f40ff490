//! Content codings, as DynamoDB handles them: request bodies sent with `Content-Encoding: gzip`
//! (one or more gzip members) or `deflate` (one zlib stream) are decoded, and anything it
//! cannot decode is an InternalServerError (500); a response of at least 4 KB is compressed
//! for a client whose `Accept-Encoding` takes gzip or deflate, and its CRC32 covers the bytes
//! sent.

use std::io::{BufRead, Read, Write};

use bytes::Bytes;
use flate2::Compression;
use flate2::bufread::{MultiGzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};

use crate::error::{ApiError, ErrorKind};

/// Responses shorter than this go out as they are.
pub const COMPRESS_FROM: usize = 4096;

/// A compression DynamoDB speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coding {
    /// `gzip`.
    Gzip,
    /// `deflate`: a zlib stream (RFC 9110).
    Deflate,
}

impl Coding {
    /// The token in Content-Encoding and Accept-Encoding.
    pub fn name(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// What a body that does not decode answers.
fn undecodable() -> ApiError {
    ApiError::new(
        ErrorKind::InternalServerError,
        "The request body could not be decoded",
    )
}

/// Reads `decoder` to its end, refusing more than `limit` bytes (`too_large`) and any input
/// left after the encoded data.
fn read_all<R: Read>(
    mut decoder: R,
    rest: impl FnOnce(R) -> bool,
    limit: usize,
    too_large: fn() -> ApiError,
) -> Result<Bytes, ApiError> {
    let mut out = Vec::new();
    (&mut decoder)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| undecodable())?;
    if out.len() > limit {
        return Err(too_large());
    }
    if rest(decoder) {
        return Err(undecodable());
    }
    Ok(Bytes::from(out))
}

/// The request body as sent before its Content-Encoding, decoded up to `limit` bytes.
///
/// # Errors
/// InternalServerError for an unknown coding or a body that does not decode (empty,
/// truncated, or followed by other bytes); `too_large()` past `limit`.
pub fn decode_request(
    encoding: Option<&str>,
    body: Bytes,
    limit: usize,
    too_large: fn() -> ApiError,
) -> Result<Bytes, ApiError> {
    let encoding = encoding.map(str::trim).unwrap_or("");
    if encoding.is_empty() || encoding.eq_ignore_ascii_case("identity") {
        return Ok(body);
    }
    if body.is_empty() {
        return Err(undecodable());
    }
    if encoding.eq_ignore_ascii_case("gzip") {
        // Concatenated gzip members are one body (RFC 1952); bytes that are not a member are
        // an error.
        read_all(
            MultiGzDecoder::new(&body[..]),
            |d| !d.into_inner().is_empty(),
            limit,
            too_large,
        )
    } else if encoding.eq_ignore_ascii_case("deflate") {
        read_all(
            ZlibDecoder::new(&body[..]),
            |d| {
                let mut rest = d.into_inner();
                rest.fill_buf().map(|b| !b.is_empty()).unwrap_or(true)
            },
            limit,
            too_large,
        )
    } else {
        Err(undecodable())
    }
}

/// The coding a response goes out in for `accept` (an Accept-Encoding value), if any. The
/// highest quality wins; at equal quality a coding named beats one `*` stands for, the one
/// named first beats the other, and of the two `*` stands for, gzip. `identity` and unknown
/// codings are ignored.
pub fn negotiate(accept: Option<&str>) -> Option<Coding> {
    let accept = accept?;
    // (quality, named, position) per coding; `*` gives the codings not named.
    let mut wildcard: Option<f32> = None;
    let mut named: [Option<(f32, usize)>; 2] = [None, None];
    for (position, entry) in accept.split(',').enumerate() {
        let mut parts = entry.split(';');
        let token = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = parts
            .filter_map(|p| {
                let (k, v) = p.split_once('=')?;
                (k.trim().eq_ignore_ascii_case("q")).then(|| v.trim().parse::<f32>().ok())?
            })
            .next()
            .unwrap_or(1.0);
        let slot = match token.as_str() {
            "gzip" => 0,
            "deflate" => 1,
            "*" => {
                wildcard.get_or_insert(quality);
                continue;
            }
            _ => continue,
        };
        named[slot].get_or_insert((quality, position));
    }
    let candidates = [Coding::Gzip, Coding::Deflate]
        .into_iter()
        .zip(named)
        .filter_map(|(coding, named)| match (named, wildcard) {
            (Some((q, position)), _) => Some((q, true, position, coding)),
            (None, Some(q)) => Some((q, false, usize::MAX, coding)),
            (None, None) => None,
        })
        .filter(|(q, ..)| *q > 0.0);
    let mut best: Option<(f32, bool, usize, Coding)> = None;
    for c in candidates {
        let better = match best {
            None => true,
            Some(b) => c.0 > b.0 || (c.0 == b.0 && (c.1 && !b.1 || (c.1 == b.1 && c.2 < b.2))),
        };
        if better {
            best = Some(c);
        }
    }
    best.map(|(.., coding)| coding)
}

/// `body` compressed with `coding`.
pub fn encode(coding: Coding, body: &[u8]) -> Vec<u8> {
    let out = Vec::with_capacity(body.len() / 3 + 64);
    // Writing into a Vec cannot fail; should it, the body goes out uncompressed instead.
    let compressed = match coding {
        Coding::Gzip => {
            let mut e = GzEncoder::new(out, Compression::fast());
            e.write_all(body).and_then(|()| e.finish())
        }
        Coding::Deflate => {
            let mut e = ZlibEncoder::new(out, Compression::fast());
            e.write_all(body).and_then(|()| e.finish())
        }
    };
    compressed.unwrap_or_else(|_| body.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn too_large() -> ApiError {
        ApiError::new(ErrorKind::RequestEntityTooLarge, "too large")
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        encode(Coding::Gzip, data)
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        encode(Coding::Deflate, data)
    }

    fn decode(encoding: &str, body: Vec<u8>) -> Result<Bytes, ApiError> {
        decode_request(Some(encoding), Bytes::from(body), 1024, too_large)
    }

    #[test]
    fn requests_decode_as_dynamodb_decodes_them() {
        let text = b"{\"TableName\":\"t\"}";
        assert_eq!(&decode("gzip", gzip(text)).expect("gzip")[..], text);
        assert_eq!(&decode("GZIP", gzip(text)).expect("gzip")[..], text);
        assert_eq!(
            &decode("deflate", deflate(text)).expect("deflate")[..],
            text
        );
        assert_eq!(
            &decode("identity", text.to_vec()).expect("identity")[..],
            text
        );
        // Two gzip members are one body.
        let mut two = gzip(&text[..5]);
        two.extend(gzip(&text[5..]));
        assert_eq!(&decode("gzip", two).expect("two members")[..], text);
    }

    #[test]
    fn what_does_not_decode_is_an_internal_error() {
        let text = b"{\"TableName\":\"t\"}".to_vec();
        let mut junk = gzip(&text);
        junk.extend_from_slice(b"junk");
        let mut cut = gzip(&text);
        cut.pop();
        let mut two = deflate(&text[..5]);
        two.extend(deflate(&text[5..]));
        for (encoding, body) in [
            ("gzip", text.clone()),
            ("gzip", junk),
            ("gzip", cut),
            ("gzip", Vec::new()),
            ("deflate", text.clone()),
            ("deflate", Vec::new()),
            ("deflate", two),
            ("garbage", text.clone()),
        ] {
            let e = decode(encoding, body).expect_err(encoding);
            assert_eq!(e.kind, ErrorKind::InternalServerError, "{encoding}");
        }
        let big = gzip(&vec![b' '; 4096]);
        assert_eq!(
            decode("gzip", big).expect_err("big").kind,
            ErrorKind::RequestEntityTooLarge
        );
    }

    #[test]
    fn accept_encoding_is_negotiated_as_dynamodb_does() {
        use Coding::{Deflate, Gzip};
        for (accept, expected) in [
            ("gzip", Some(Gzip)),
            ("deflate", Some(Deflate)),
            ("identity", None),
            ("", None),
            ("br", None),
            ("x-gzip", None),
            ("gzip, deflate", Some(Gzip)),
            ("br, identity, deflate, gzip", Some(Deflate)),
            ("GZIP, identity", Some(Gzip)),
            ("dog, gzip ,, cat", Some(Gzip)),
            ("gzip;q=0.8, deflate;q=0.5", Some(Gzip)),
            (
                "br, gzip;q=0, deflate; q = 0.5 , identity;q=0",
                Some(Deflate),
            ),
            ("*", Some(Gzip)),
            ("*, deflate;q=0.5", Some(Gzip)),
            ("*, deflate", Some(Deflate)),
            ("*, identity", Some(Gzip)),
            ("*, gzip;q=0.5", Some(Deflate)),
            ("gzip ;q=0", None),
            ("identity;q=0", None),
            ("*;q=0", None),
            ("*;q=0.5,identity", Some(Gzip)),
            ("gzip;q=0.5,identity;q=0.8", Some(Gzip)),
        ] {
            assert_eq!(negotiate(Some(accept)), expected, "{accept:?}");
        }
        assert_eq!(negotiate(None), None);
    }
}
