//! eddy-client fixtures: a `StreamsClient` for a test server, from an `SdkConfig` built the way
//! an application builds one.

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::SdkConfig;
use aws_types::region::Region;
use eddy_client::StreamsClient;

/// The SDK configuration an application would point at `endpoint`.
pub fn sdk_config(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "AKIDTEST", "secret", None, None, "test",
        )))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build()
}

/// An eddy-client for `endpoint`.
pub fn streams_client(endpoint: &str) -> StreamsClient {
    StreamsClient::new(&sdk_config(endpoint))
}

/// An eddy-client whose SDK does not retry, so throttling reaches the caller at once.
pub fn streams_client_without_retries(endpoint: &str) -> StreamsClient {
    let config = sdk_config(endpoint)
        .into_builder()
        .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled())
        .build();
    StreamsClient::new(&config)
}
