//! The SDK configuration the client commands (`eddy streams`, `eddy export`, `eddy import`) run
//! with: the endpoint from the flag or the environment, region and credentials from the usual
//! AWS chain.

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_smithy_http_client::tls;
use aws_types::SdkConfig;
use aws_types::region::Region;

const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8000";

/// `--endpoint`, else `AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`, else eddy's default
/// address.
pub fn endpoint(flag: Option<String>) -> String {
    flag.or_else(|| non_empty_env("AWS_ENDPOINT_URL_DYNAMODB"))
        .or_else(|| non_empty_env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The configuration of clients for `endpoint`. Without a region in the chain it uses
/// us-east-1; without credentials it signs with placeholder ones, which eddy accepts unless it
/// verifies signatures (AWS refuses them with its own error).
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let loaded = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .endpoint_url(endpoint)
        .load()
        .await;
    let mut config = loaded.to_builder();
    if loaded.region().is_none() {
        config.set_region(Some(Region::new("us-east-1")));
    }
    let has_credentials = match loaded.credentials_provider() {
        Some(provider) => provider.provide_credentials().await.is_ok(),
        None => false,
    };
    if !has_credentials {
        config.set_credentials_provider(Some(SharedCredentialsProvider::new(Credentials::new(
            "eddy",
            "eddy",
            None,
            None,
            "eddy-placeholder",
        ))));
    }
    config.build()
}
