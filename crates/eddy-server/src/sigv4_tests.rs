//! SigV4 checks against AWS's published signing test suite (`get-vanilla`,
//! `get-vanilla-query-order-key-case`: secret `wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY`,
//! 2015-08-30T12:36:00Z, region us-east-1, service `service`) and the exact error texts.

use hyper::header::{HeaderMap, HeaderValue};

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const DATE: &str = "20150830T123600Z";
const SCOPE: &str = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(*k, HeaderValue::from_str(v).unwrap());
    }
    h
}

fn header_signed(signature: &str) -> HeaderMap {
    signed_in_scope(SCOPE, signature)
}

/// A header signature `signature` whose credential scope is `scope`.
fn signed_in_scope(scope: &str, signature: &str) -> HeaderMap {
    headers(&[
        ("host", "example.amazonaws.com".into()),
        ("x-amz-date", DATE.into()),
        (
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature={signature}"
            ),
        ),
    ])
}

fn verifier(secret: &str) -> Verifier {
    Verifier::new([("AKIDEXAMPLE".to_owned(), secret.to_owned())]).for_service("service")
}

fn now() -> u64 {
    parse_amz_date(DATE).unwrap()
}

fn check(v: &Verifier, h: &HeaderMap, query: Option<&str>, now_ms: u64) -> Result<(), ApiError> {
    let auth = authenticate(h, query)?;
    if let Auth::Query(q) = &auth {
        q.check_expiry(now_ms)?;
    }
    let parts = SignedParts {
        method: "GET",
        path: "/",
        query,
        headers: h,
        body: b"",
    };
    v.verify(&auth, &parts, now_ms)
}

fn err(r: Result<(), ApiError>) -> (&'static str, String) {
    let e = r.expect_err("refused");
    (e.kind.name(), e.message.unwrap_or_default())
}

const VANILLA: &str = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
const VANILLA_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date=20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=3600&X-Amz-Signature=e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d";

#[test]
fn header_test_vector_verifies() {
    check(&verifier(SECRET), &header_signed(VANILLA), None, now()).unwrap();
}

#[test]
fn query_parameters_are_sorted_into_the_canonical_request() {
    let h = header_signed("b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    check(
        &verifier(SECRET),
        &h,
        Some("Param2=value2&Param1=value1"),
        now(),
    )
    .unwrap();
}

#[test]
fn presigned_test_vector_verifies_until_it_expires() {
    let h = headers(&[("host", "example.amazonaws.com".into())]);
    check(&verifier(SECRET), &h, Some(VANILLA_QUERY), now()).unwrap();
    let last = now() + 3600 * 1000;
    check(&verifier(SECRET), &h, Some(VANILLA_QUERY), last).unwrap();
    assert_eq!(
        err(check(&verifier(SECRET), &h, Some(VANILLA_QUERY), last + 1000)),
        (
            "InvalidSignatureException",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T123601Z (20150830T133601Z - 60 min.)".into()
        )
    );
}

#[test]
fn wrong_secret_and_unknown_key_are_refused() {
    assert_eq!(
        err(check(&verifier("not-the-secret"), &header_signed(VANILLA), None, now())),
        (
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".into()
        )
    );
    let other = Verifier::new([("AKIDOTHER".to_owned(), SECRET.to_owned())]).for_service("service");
    assert_eq!(
        err(check(&other, &header_signed(VANILLA), None, now())),
        (
            "UnrecognizedClientException",
            "The security token included in the request is invalid.".into()
        )
    );
    let h = headers(&[("host", "example.amazonaws.com".into())]);
    let tampered = VANILLA_QUERY.replace("Expires=3600", "Expires=3601");
    assert_eq!(
        err(check(&verifier(SECRET), &h, Some(&tampered), now())).0,
        "InvalidSignatureException"
    );
}

#[test]
fn header_signatures_expire_after_fifteen_minutes_of_skew() {
    let h = header_signed(VANILLA);
    check(&verifier(SECRET), &h, None, now() + 15 * 60 * 1000).unwrap();
    assert_eq!(
        err(check(&verifier(SECRET), &h, None, now() + 20 * 60 * 1000)),
        (
            "InvalidSignatureException",
            "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T125600Z - 15 min.)".into()
        )
    );
    assert_eq!(
        err(check(&verifier(SECRET), &h, None, now() - 20 * 60 * 1000)),
        (
            "InvalidSignatureException",
            "Signature not yet current: 20150830T123600Z is still later than 20150830T123100Z (20150830T121600Z + 15 min.)".into()
        )
    );
}

#[test]
fn incomplete_query_signatures_name_what_is_missing() {
    let h = HeaderMap::new();
    assert_eq!(
        err(authenticate(&h, Some("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20150830T123600Z")).map(|_| ())),
        (
            "IncompleteSignatureException",
            "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. Re-examine the query-string parameters.".into()
        )
    );
    let week = VANILLA_QUERY.replace("Expires=3600", "Expires=604801");
    assert_eq!(
        err(authenticate(&h, Some(&week)).map(|_| ())),
        (
            "IncompleteSignatureException",
            "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds".into()
        )
    );
    authenticate(
        &h,
        Some(&VANILLA_QUERY.replace("Expires=3600", "Expires=604800")),
    )
    .unwrap();
    let bad_date = VANILLA_QUERY.replace("20150830T123600Z", "2015-08-30");
    assert_eq!(
        err(authenticate(&h, Some(&bad_date)).map(|_| ())).0,
        "IncompleteSignatureException"
    );
    // A query without X-Amz-Algorithm is not a presigned request at all.
    assert_eq!(
        err(authenticate(&h, Some("X-Amz-Date=20150830T123600Z")).map(|_| ())).0,
        "MissingAuthenticationTokenException"
    );
}

#[test]
fn both_forms_at_once_are_refused() {
    assert_eq!(
        err(authenticate(&header_signed(VANILLA), Some(VANILLA_QUERY)).map(|_| ())),
        (
            "InvalidSignatureException",
            "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.".into()
        )
    );
}

#[test]
fn malformed_credential_scope_is_incomplete() {
    let h = headers(&[
        ("host", "example.amazonaws.com".into()),
        ("x-amz-date", DATE.into()),
        (
            "authorization",
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830, SignedHeaders=host, Signature={VANILLA}"
            ),
        ),
    ]);
    assert_eq!(
        err(check(&verifier(SECRET), &h, None, now())),
        (
            "IncompleteSignatureException",
            "Credential should be scoped with a valid terminator: 'aws4_request', not '20150830'."
                .into()
        )
    );
}

#[test]
fn amz_dates_round_trip() {
    for text in [
        DATE,
        "19700101T000000Z",
        "20000229T235959Z",
        "20991231T120000Z",
    ] {
        assert_eq!(format_amz_date(parse_amz_date(text).unwrap()), text);
    }
    assert_eq!(parse_amz_date("19700101T000001Z"), Some(1000));
    for bad in [
        "20151330T000000Z",
        "2015083OT123600Z",
        "20150830T123600",
        "20150830T246000Z",
    ] {
        assert_eq!(parse_amz_date(bad), None, "{bad}");
    }
}

#[test]
fn percent_encoding_round_trips_through_the_canonical_form() {
    assert_eq!(percent_decode("a%2Fb%20c%zz"), "a/b c%zz");
    assert_eq!(uri_encode("a/b c~"), "a%2Fb%20c~");
}

#[test]
fn the_credential_scope_names_the_service_the_day_and_a_region() {
    let dynamodb = Verifier::new([("AKIDEXAMPLE".to_owned(), SECRET.to_owned())]);
    assert_eq!(
        err(check(&dynamodb, &header_signed(VANILLA), None, now())),
        (
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'dynamodb'. ".into()
        )
    );
    assert_eq!(
        err(check(
            &verifier(SECRET),
            &signed_in_scope("AKIDEXAMPLE/20150829/us-east-1/service/aws4_request", VANILLA),
            None,
            now()
        )),
        (
            "InvalidSignatureException",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20150829' != '20150830', from '20150830T123600Z'.".into()
        )
    );
    for region in ["", "US_EAST_1", "us east"] {
        let scope = format!("AKIDEXAMPLE/20150830/{region}/service/aws4_request");
        assert_eq!(
            err(check(
                &verifier(SECRET),
                &signed_in_scope(&scope, VANILLA),
                None,
                now()
            )),
            (
                "InvalidSignatureException",
                "Credential should be scoped to a valid region. ".into()
            ),
            "{region:?}"
        );
    }
}
