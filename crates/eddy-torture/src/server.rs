//! The eddy process under torture, and clients for it that never retry: a request that fails
//! in transport is one whose fate the verifier must work out.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use aws_credential_types::Credentials;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_types::region::Region;
use eddy_client::StreamsClient;

/// A running eddy; killed with SIGKILL when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub endpoint: String,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub streams: StreamsClient,
}

impl Server {
    /// Starts eddy on `dir` in durability `mode` and waits until it listens.
    pub async fn start(eddy: &Path, dir: &Path, mode: &str) -> anyhow::Result<Self> {
        let mut child = Command::new(eddy)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--durability",
                mode,
                "--data-dir",
            ])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let line = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        })
        .await??;
        let endpoint = line
            .trim()
            .strip_prefix("eddy ready on ")
            .ok_or_else(|| anyhow::anyhow!("eddy did not start: {line:?}"))?
            .to_owned();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&endpoint)
            .credentials_provider(Credentials::new(
                "torture", "torture", None, None, "torture",
            ))
            .retry_config(RetryConfig::disabled())
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .load()
            .await;
        Ok(Self {
            child,
            endpoint,
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            streams: StreamsClient::new(&config),
        })
    }

    /// SIGKILL, now.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
