//! AWS Signature Version 4 as a server sees it: the two places a request carries its signature
//! (the `Authorization` header, or the query string of a presigned request), the shape checks
//! DynamoDB makes on each, the lifetime of a presigned request, and, when the server holds
//! credentials, recomputing the signature and comparing it in constant time.
//!
//! Messages follow DynamoDB's (coral's) wording as captured by dynalite and seen in SDK issue
//! reports; where a check has no captured wording the message says so plainly in eddy's words.

use std::collections::HashMap;

use hmac::{Hmac, Mac};
use hyper::header::HeaderMap;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ErrorKind};

type HmacSha256 = Hmac<Sha256>;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// SigV4's longest presigned lifetime: seven days.
const MAX_EXPIRES_S: u64 = 604_800;
/// A presigned request without X-Amz-Expires lives as long as a header signature may be
/// skewed, which is what DynamoDB's signer enforces for query signatures.
const DEFAULT_EXPIRES_S: u64 = 15 * 60;
/// How far a header-signed request's X-Amz-Date may be from the server's clock.
const MAX_SKEW_S: u64 = 15 * 60;
/// The query parameters a presigned request must carry, in the order DynamoDB reports them.
const QUERY_PARAMETERS: [&str; 5] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
    "X-Amz-Date",
];

/// Where a request's signature is, after its shape was checked.
pub(crate) enum Auth<'a> {
    /// The Authorization header's value.
    Header(&'a str),
    /// The parameters of a presigned request.
    Query(QueryAuth),
}

impl Auth<'_> {
    /// The access key id and the region of the signature's credential scope
    /// (`AKID/date/region/service/aws4_request`); empty where the credential lacks them.
    pub(crate) fn access_key_and_region(&self) -> (&str, &str) {
        let credential = match self {
            Auth::Header(h) => h
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split([',', ' ']).next())
                .unwrap_or_default(),
            Auth::Query(q) => q.credential.as_str(),
        };
        let mut parts = credential.split('/');
        let access_key = parts.next().unwrap_or_default();
        (access_key, parts.nth(1).unwrap_or_default())
    }
}

/// The signature parameters of a presigned request.
pub(crate) struct QueryAuth {
    credential: String,
    amz_date: String,
    date_ms: u64,
    expires_s: u64,
    signed_headers: String,
    signature: String,
}

/// The parts of a request its signature covers.
pub(crate) struct SignedParts<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    /// The body as received, before any gzip decoding.
    pub body: &'a [u8],
}

/// Finds the request's signature and checks its shape, as DynamoDB does for every request
/// whether or not it verifies signatures.
///
/// # Errors
/// MissingAuthenticationTokenException without either form; InvalidSignatureException with
/// both; IncompleteSignatureException for missing or malformed parameters.
pub(crate) fn authenticate<'a>(
    headers: &'a HeaderMap,
    query: Option<&str>,
) -> Result<Auth<'a>, ApiError> {
    let header = headers.get("authorization").and_then(|v| v.to_str().ok());
    let params = query.map(query_params).unwrap_or_default();
    let in_query = params.iter().any(|(k, _)| k == "X-Amz-Algorithm");
    match (header, in_query) {
        (Some(_), true) => Err(ApiError::new(
            ErrorKind::InvalidSignature,
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
        )),
        (Some(auth), false) => header_shape(auth).map(|()| Auth::Header(auth)),
        (None, true) => QueryAuth::parse(&params).map(Auth::Query),
        (None, false) => Err(ApiError::new(
            ErrorKind::MissingAuthenticationToken,
            "Request is missing Authentication Token",
        )),
    }
}

/// Any credentials pass, but the header must look like SigV4.
fn header_shape(auth: &str) -> Result<(), ApiError> {
    const PARAMETERS: [(&str, &str); 3] = [
        ("Credential", "Credential="),
        ("Signature", "Signature="),
        ("SignedHeaders", "SignedHeaders="),
    ];
    let algorithm_ok = auth.starts_with(ALGORITHM);
    if algorithm_ok && PARAMETERS.iter().all(|(_, with_eq)| auth.contains(with_eq)) {
        return Ok(());
    }
    let mut msg: String = PARAMETERS
        .iter()
        .filter(|(_, with_eq)| !auth.contains(with_eq))
        .map(|(name, _)| format!("Authorization header requires '{name}' parameter."))
        .collect::<Vec<_>>()
        .join(" ");
    if !algorithm_ok {
        msg = format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. {msg}"
        );
    }
    Err(ApiError::new(
        ErrorKind::IncompleteSignature,
        format!("{} Authorization={}", msg.trim(), auth),
    ))
}

impl QueryAuth {
    fn parse(params: &[(String, String)]) -> Result<Self, ApiError> {
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
                .filter(|v| !v.is_empty())
        };
        let missing: String = QUERY_PARAMETERS
            .iter()
            .filter(|p| get(p).is_none())
            .map(|p| format!("AWS query-string parameters must include '{p}'. "))
            .collect();
        if !missing.is_empty() {
            return Err(incomplete(format!(
                "{missing}Re-examine the query-string parameters."
            )));
        }
        let algorithm = get("X-Amz-Algorithm").unwrap_or_default();
        if algorithm != ALGORITHM {
            return Err(incomplete(format!(
                "Unsupported AWS 'algorithm': '{algorithm}'. Only {ALGORITHM} is supported."
            )));
        }
        let amz_date = get("X-Amz-Date").unwrap_or_default();
        let date_ms = parse_amz_date(amz_date).ok_or_else(|| bad_date(amz_date))?;
        let expires_s = match get("X-Amz-Expires") {
            None => DEFAULT_EXPIRES_S,
            Some(v) => v
                .parse::<u64>()
                .map_err(|_| incomplete("X-Amz-Expires should be a number"))?,
        };
        if expires_s > MAX_EXPIRES_S {
            // S3's wording for the same SigV4 limit; DynamoDB's own was not found.
            return Err(incomplete(format!(
                "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than {MAX_EXPIRES_S} seconds"
            )));
        }
        Ok(Self {
            credential: get("X-Amz-Credential").unwrap_or_default().to_owned(),
            amz_date: amz_date.to_owned(),
            date_ms,
            expires_s,
            signed_headers: get("X-Amz-SignedHeaders").unwrap_or_default().to_owned(),
            signature: get("X-Amz-Signature").unwrap_or_default().to_owned(),
        })
    }

    /// Refuses a presigned request used after X-Amz-Date + X-Amz-Expires.
    ///
    /// # Errors
    /// InvalidSignatureException in the words DynamoDB uses for an expired signature.
    pub(crate) fn check_expiry(&self, now_ms: u64) -> Result<(), ApiError> {
        let window_ms = self.expires_s * 1000;
        if self.date_ms.saturating_add(window_ms) >= now_ms {
            return Ok(());
        }
        Err(expired(&self.amz_date, now_ms, self.expires_s))
    }
}

/// The credentials a server verifies signatures against.
pub(crate) struct Verifier {
    secrets: HashMap<String, String>,
    /// The service credentials must be scoped to: `dynamodb`, for both APIs.
    service: &'static str,
}

impl std::fmt::Debug for Verifier {
    // Never print a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("access_keys", &self.secrets.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// What a signature claims, from either form.
struct Claim<'a> {
    credential: &'a str,
    amz_date: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl Verifier {
    /// A verifier over (access key id, secret access key) pairs.
    pub(crate) fn new(credentials: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            secrets: credentials.into_iter().collect(),
            service: "dynamodb",
        }
    }

    /// The same verifier for credentials scoped to `service` (AWS's signing test suite signs
    /// for `service`).
    #[cfg(test)]
    pub(crate) fn for_service(mut self, service: &'static str) -> Self {
        self.service = service;
        self
    }

    /// Recomputes the request's signature with the secret of its access key.
    ///
    /// # Errors
    /// UnrecognizedClientException for an unknown access key; InvalidSignatureException for a
    /// header signature dated more than 15 minutes from `now_ms` or a signature that does not
    /// match; IncompleteSignatureException for a malformed header or credential scope.
    pub(crate) fn verify(
        &self,
        auth: &Auth<'_>,
        req: &SignedParts<'_>,
        now_ms: u64,
    ) -> Result<(), ApiError> {
        let claim = match auth {
            Auth::Header(value) => header_claim(value, req.headers, now_ms)?,
            Auth::Query(q) => Claim {
                credential: &q.credential,
                amz_date: &q.amz_date,
                signed_headers: &q.signed_headers,
                signature: &q.signature,
            },
        };
        let scope: Vec<&str> = claim.credential.split('/').collect();
        let [access_key, date, region, service, terminator] = scope[..] else {
            return Err(bad_terminator(scope.last().copied().unwrap_or_default()));
        };
        if terminator != "aws4_request" {
            return Err(bad_terminator(terminator));
        }
        let Some(secret) = self.secrets.get(access_key) else {
            return Err(ApiError::new(
                ErrorKind::UnrecognizedClient,
                "The security token included in the request is invalid.",
            ));
        };
        check_scope(date, region, service, self.service, claim.amz_date)?;
        let creq = canonical_request(req, claim.signed_headers);
        let string_to_sign = format!(
            "{ALGORITHM}\n{}\n{date}/{region}/{service}/aws4_request\n{}",
            claim.amz_date,
            hex::encode(Sha256::digest(creq.as_bytes()))
        );
        let mut key = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
        for part in [region, service, "aws4_request"] {
            key = hmac(&key, part.as_bytes());
        }
        let mut mac = new_mac(&key);
        mac.update(string_to_sign.as_bytes());
        let provided = hex::decode(claim.signature).unwrap_or_default();
        // verify_slice compares in constant time, so timing tells nothing about the secret.
        mac.verify_slice(&provided).map_err(|_| {
            ApiError::new(
                ErrorKind::InvalidSignature,
                "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            )
        })
    }
}

/// The credential scope's date must be the signature's, its service DynamoDB's, and its
/// region a region name (each request then acts in that region).
fn check_scope(
    date: &str,
    region: &str,
    service: &str,
    expected_service: &str,
    amz_date: &str,
) -> Result<(), ApiError> {
    let invalid = |message: String| ApiError::new(ErrorKind::InvalidSignature, message);
    if service != expected_service {
        return Err(invalid(format!(
            "Credential should be scoped to correct service: '{expected_service}'. "
        )));
    }
    let signed_day = amz_date.get(..8).unwrap_or(amz_date);
    if date != signed_day {
        return Err(invalid(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date \
             from HTTP: '{date}' != '{signed_day}', from '{amz_date}'."
        )));
    }
    let region_name = !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !region_name {
        return Err(invalid(
            "Credential should be scoped to a valid region. ".to_owned(),
        ));
    }
    Ok(())
}

fn header_claim<'a>(
    value: &'a str,
    headers: &'a HeaderMap,
    now_ms: u64,
) -> Result<Claim<'a>, ApiError> {
    let mut fields = HashMap::new();
    for part in value.trim_start_matches(ALGORITHM).split(',') {
        if let Some((k, v)) = part.trim().split_once('=') {
            fields.insert(k, v);
        }
    }
    let field = |name| fields.get(name).copied().unwrap_or_default();
    // Only X-Amz-Date is checked: every AWS SDK sends it, and a Date header's RFC 1123 form
    // would need a second date parser for clients that do not exist.
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            incomplete(format!(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={value}"
            ))
        })?;
    let date_ms = parse_amz_date(amz_date).ok_or_else(|| bad_date(amz_date))?;
    let skew_ms = MAX_SKEW_S * 1000;
    if date_ms.saturating_add(skew_ms) < now_ms {
        return Err(expired(amz_date, now_ms, MAX_SKEW_S));
    }
    if date_ms > now_ms.saturating_add(skew_ms) {
        return Err(ApiError::new(
            ErrorKind::InvalidSignature,
            format!(
                "Signature not yet current: {amz_date} is still later than {} ({} + 15 min.)",
                format_amz_date(now_ms + skew_ms),
                format_amz_date(now_ms)
            ),
        ));
    }
    Ok(Claim {
        credential: field("Credential"),
        amz_date,
        signed_headers: field("SignedHeaders"),
        signature: field("Signature"),
    })
}

/// SigV4's canonical request: method, path, sorted query without the signature, the signed
/// headers, their names, and the payload hash.
fn canonical_request(req: &SignedParts<'_>, signed_headers: &str) -> String {
    let path = if req.path.is_empty() { "/" } else { req.path };
    // Services other than S3 sign the path as the client sent it, encoded once more.
    let uri: Vec<String> = path.split('/').map(uri_encode).collect();
    let mut query: Vec<(String, String)> = req
        .query
        .map(query_params)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .map(|(k, v)| (uri_encode(&k), uri_encode(&v)))
        .collect();
    query.sort();
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut headers = String::new();
    for name in signed_headers.split(';') {
        let values: Vec<String> = req
            .headers
            .get_all(name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        headers.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    let payload = match req
        .headers
        .get("x-amz-content-sha256")
        .and_then(|v| v.to_str().ok())
    {
        Some(hash) => hash.to_owned(),
        None => hex::encode(Sha256::digest(req.body)),
    };
    format!(
        "{}\n{}\n{}\n{headers}\n{signed_headers}\n{payload}",
        req.method,
        uri.join("/"),
        query.join("&")
    )
}

// HMAC takes a key of any length (a long one is hashed first), so this cannot fail.
#[allow(clippy::expect_used)]
fn new_mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length")
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = new_mac(key);
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Query parameters, percent-decoded, in the order sent.
pub(crate) fn query_params(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// SigV4's encoding: everything but unreserved characters as upper-case `%XX`.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn incomplete(message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorKind::IncompleteSignature, message)
}

fn bad_date(got: &str) -> ApiError {
    incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{got}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

fn bad_terminator(got: &str) -> ApiError {
    incomplete(format!(
        "Credential should be scoped with a valid terminator: 'aws4_request', not '{got}'."
    ))
}

/// DynamoDB's words for a signature used too late, e.g. `Signature expired: 20140325T143453Z
/// is now earlier than 20140325T143751Z (20140325T145251Z - 15 min.)`.
fn expired(amz_date: &str, now_ms: u64, window_s: u64) -> ApiError {
    let window = if window_s.is_multiple_of(60) {
        format!("{} min.", window_s / 60)
    } else {
        format!("{window_s} sec.")
    };
    ApiError::new(
        ErrorKind::InvalidSignature,
        format!(
            "Signature expired: {amz_date} is now earlier than {} ({} - {window})",
            format_amz_date(now_ms.saturating_sub(window_s * 1000)),
            format_amz_date(now_ms)
        ),
    )
}

/// `YYYYMMDDTHHMMSSZ` to epoch milliseconds.
fn parse_amz_date(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss;
    u64::try_from(secs).ok().map(|s| s * 1000)
}

/// Epoch milliseconds to `YYYYMMDDTHHMMSSZ`.
fn format_amz_date(ms: u64) -> String {
    let secs = (ms / 1000) as i64;
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}

// Howard Hinnant's proleptic Gregorian day counts, so no date crate is needed for two
// conversions.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
#[path = "sigv4_tests.rs"]
mod tests;
