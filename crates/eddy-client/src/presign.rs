//! Presigned requests: any of the four Streams operations, signed with SigV4 query parameters
//! so that whoever holds the request can send it without credentials until it expires.
//!
//! The JSON protocol has no GET form, so a presigned request is a whole request: `POST` to a
//! URL that carries the signature, with the `X-Amz-Target` and `Content-Type` headers and the
//! body it was signed with. The body's hash is signed, so it cannot be changed.

use std::time::{Duration, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_dynamodbstreams::operation::describe_stream::DescribeStreamInput;
use aws_sdk_dynamodbstreams::operation::get_records::GetRecordsInput;
use aws_sdk_dynamodbstreams::operation::get_shard_iterator::GetShardIteratorInput;
use aws_sdk_dynamodbstreams::operation::list_streams::ListStreamsInput;
use aws_sigv4::http_request::{
    SignableBody, SignableRequest, SignatureLocation, SigningSettings, sign,
};
use aws_sigv4::sign::v4;
use serde_json::{Map, Value, json};

use crate::client::StreamsClient;
use crate::error::{Error, Result};

/// SigV4 refuses query signatures valid for longer than a week.
const MAX_EXPIRY: Duration = Duration::from_secs(7 * 24 * 3600);

/// A Streams request to presign.
#[derive(Clone, Debug)]
pub enum PresignableOperation {
    /// ListStreams.
    ListStreams(ListStreamsInput),
    /// DescribeStream.
    DescribeStream(DescribeStreamInput),
    /// GetShardIterator.
    GetShardIterator(GetShardIteratorInput),
    /// GetRecords.
    GetRecords(GetRecordsInput),
}

impl PresignableOperation {
    fn name(&self) -> &'static str {
        match self {
            Self::ListStreams(_) => "ListStreams",
            Self::DescribeStream(_) => "DescribeStream",
            Self::GetShardIterator(_) => "GetShardIterator",
            Self::GetRecords(_) => "GetRecords",
        }
    }

    /// The request body, as the SDK would send it.
    fn body(&self) -> Value {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        match self {
            Self::ListStreams(i) => {
                put("TableName", i.table_name.clone().map(Value::from));
                put("Limit", i.limit.map(Value::from));
                put(
                    "ExclusiveStartStreamArn",
                    i.exclusive_start_stream_arn.clone().map(Value::from),
                );
            }
            Self::DescribeStream(i) => {
                put("StreamArn", i.stream_arn.clone().map(Value::from));
                put("Limit", i.limit.map(Value::from));
                put(
                    "ExclusiveStartShardId",
                    i.exclusive_start_shard_id.clone().map(Value::from),
                );
                put(
                    "ShardFilter",
                    i.shard_filter.as_ref().map(|f| {
                        let mut filter = Map::new();
                        if let Some(t) = f.r#type() {
                            filter.insert("Type".into(), t.as_str().into());
                        }
                        if let Some(s) = f.shard_id() {
                            filter.insert("ShardId".into(), s.into());
                        }
                        Value::Object(filter)
                    }),
                );
            }
            Self::GetShardIterator(i) => {
                put("StreamArn", i.stream_arn.clone().map(Value::from));
                put("ShardId", i.shard_id.clone().map(Value::from));
                put(
                    "ShardIteratorType",
                    i.shard_iterator_type.as_ref().map(|t| json!(t.as_str())),
                );
                put("SequenceNumber", i.sequence_number.clone().map(Value::from));
            }
            Self::GetRecords(i) => {
                put("ShardIterator", i.shard_iterator.clone().map(Value::from));
                put("Limit", i.limit.map(Value::from));
            }
        }
        Value::Object(m)
    }
}

/// When a presigned request is valid.
#[derive(Clone, Copy, Debug)]
pub struct PresigningConfig {
    /// How long after `start_time` the request stays valid (default 3600 s, at most 7 days).
    pub expires_in: Duration,
    /// The signing time (default: now).
    pub start_time: Option<SystemTime>,
}

impl Default for PresigningConfig {
    fn default() -> Self {
        Self {
            expires_in: Duration::from_secs(3600),
            start_time: None,
        }
    }
}

impl PresigningConfig {
    /// Valid for `expires_in` from now.
    pub fn expires_in(expires_in: Duration) -> Self {
        Self {
            expires_in,
            start_time: None,
        }
    }
}

/// A signed request, ready to send with any HTTP client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresignedRequest {
    /// Always `POST`.
    pub method: &'static str,
    /// The URL, with the signature in its query string.
    pub uri: String,
    /// Headers to send as they are (`host`, `content-type`, `x-amz-target`; all signed).
    pub headers: Vec<(String, String)>,
    /// The JSON body that was signed.
    pub body: Vec<u8>,
    /// When the signature stops being accepted.
    pub expires_at: SystemTime,
}

impl StreamsClient {
    /// Presigns `operation` with the client's credentials, region and endpoint.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an expiry over 7 days or a client with no region;
    /// [`Error::Signing`] when credentials cannot be had or the endpoint is not a URL.
    pub async fn presign(
        &self,
        operation: PresignableOperation,
        config: PresigningConfig,
    ) -> Result<PresignedRequest> {
        if config.expires_in > MAX_EXPIRY || config.expires_in < Duration::from_secs(1) {
            return Err(Error::InvalidArgument(format!(
                "a presigned request expires after 1 s to 7 days, not {} s",
                config.expires_in.as_secs()
            )));
        }
        let region = self
            .signing
            .region
            .clone()
            .ok_or_else(|| Error::InvalidArgument("the client has no region".into()))?;
        let endpoint = self
            .signing
            .endpoint_url
            .clone()
            .unwrap_or_else(|| format!("https://streams.dynamodb.{region}.amazonaws.com"));
        let provider = self
            .signing
            .credentials
            .clone()
            .ok_or_else(|| Error::Signing("the client has no credentials provider".into()))?;
        let credentials = provider
            .provide_credentials()
            .await
            .map_err(|e| Error::Signing(e.to_string()))?;
        let identity = credentials.into();

        let base = endpoint.trim_end_matches('/');
        let host = base
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(rest))
            .filter(|h| !h.is_empty())
            .ok_or_else(|| Error::Signing(format!("not a URL: {endpoint}")))?;
        // HTTP clients leave a scheme's default port out of Host; the signature must match.
        let host = match base.split_once("://").map(|(scheme, _)| scheme) {
            Some("https") => host.strip_suffix(":443").unwrap_or(host),
            Some("http") => host.strip_suffix(":80").unwrap_or(host),
            _ => host,
        }
        .to_owned();
        let uri = format!("{base}/");
        let body = serde_json::to_vec(&operation.body()).unwrap_or_default();
        let headers = vec![
            ("host".to_owned(), host),
            (
                "content-type".to_owned(),
                "application/x-amz-json-1.0".to_owned(),
            ),
            (
                "x-amz-target".to_owned(),
                format!("DynamoDBStreams_20120810.{}", operation.name()),
            ),
        ];

        let mut settings = SigningSettings::default();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(config.expires_in);
        let start = config.start_time.unwrap_or_else(SystemTime::now);
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&region)
            .name("dynamodb")
            .time(start)
            .settings(settings)
            .build()
            .map_err(|e| Error::Signing(e.to_string()))?;
        let signable = SignableRequest::new(
            "POST",
            uri.as_str(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(&body),
        )
        .map_err(|e| Error::Signing(e.to_string()))?;
        let (instructions, _signature) = sign(signable, &params.into())
            .map_err(|e| Error::Signing(e.to_string()))?
            .into_parts();
        let (_, query) = instructions.into_parts();
        let query: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        Ok(PresignedRequest {
            method: "POST",
            uri: format!("{uri}?{}", query.join("&")),
            headers,
            body,
            expires_at: start + config.expires_in,
        })
    }
}

/// SigV4's URI encoding: everything but unreserved characters, as %XX.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding_keeps_only_unreserved_characters() {
        assert_eq!(encode("a/b c=d~e"), "a%2Fb%20c%3Dd~e");
        assert_eq!(
            encode("AKID/20260101/us-east-1"),
            "AKID%2F20260101%2Fus-east-1"
        );
    }

    #[test]
    fn bodies_carry_only_what_was_set() {
        let op = PresignableOperation::GetRecords(
            GetRecordsInput::builder()
                .shard_iterator("it")
                .build()
                .expect("input"),
        );
        assert_eq!(op.body(), json!({"ShardIterator": "it"}));
        assert_eq!(op.name(), "GetRecords");
    }
}
