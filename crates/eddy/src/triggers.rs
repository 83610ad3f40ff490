//! `eddy serve --trigger/--triggers`: the triggers are parsed before the database opens (a bad
//! one stops eddy from starting), and started once the server listens, reading its streams
//! through its own endpoint on a clock that moves with the engine's test clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls;
use aws_types::region::Region;
use eddy_client::{Clock, Sleep, StreamsClient};
use eddy_engine::Engine;
use eddy_triggers::{HostConfig, TriggerSpec, Triggers};
use tokio::sync::watch;

/// The triggers of `--trigger` flags and a `--triggers` file.
pub fn parse(flags: &[String], file: Option<&Path>) -> Result<Vec<TriggerSpec>, String> {
    let text = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--triggers {}: {e}", path.display()))?,
        ),
        None => None,
    };
    eddy_triggers::parse_all(flags, text.as_deref()).map_err(|e| format!("bad trigger: {e}"))
}

/// The engine's clock, as the triggers wait by it: a wait ends when its time comes, by the
/// wall clock or by a test-control advance.
#[derive(Debug)]
struct EngineClock {
    engine: Arc<Engine>,
    advanced: watch::Receiver<u64>,
}

impl Clock for EngineClock {
    fn now_ms(&self) -> u64 {
        self.engine.clock().now_ms()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        let target = self
            .now_ms()
            .saturating_add(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX));
        let mut advanced = self.advanced.clone();
        Box::pin(async move {
            loop {
                let now = self.now_ms();
                if now >= target {
                    return;
                }
                let left = Duration::from_millis(target - now);
                tokio::select! {
                    () = tokio::time::sleep(left) => {}
                    changed = advanced.changed() => {
                        if changed.is_err() {
                            tokio::time::sleep(left).await;
                        }
                    }
                }
            }
        })
    }
}

/// Where the triggers connect, and as whom.
pub struct Connection {
    pub endpoint: String,
    pub region: String,
    pub account_id: String,
    /// The access key pair to sign with: one eddy verifies, when it verifies signatures.
    pub credentials: Option<(String, String)>,
    /// Checkpoints' directory; None keeps them in memory.
    pub checkpoint_dir: Option<PathBuf>,
    pub record_expiry: Duration,
    /// With HTTPS: the server's certificate (PEM), which the triggers' client trusts.
    pub trust_pem: Option<Vec<u8>>,
}

/// Starts the triggers on the current runtime.
pub async fn start(
    specs: Vec<TriggerSpec>,
    engine: Arc<Engine>,
    advanced: watch::Receiver<u64>,
    conn: Connection,
) -> Result<Triggers, String> {
    let credentials = conn
        .credentials
        .unwrap_or_else(|| ("eddy".to_owned(), "eddy".to_owned()));
    let (key, secret) = credentials.clone();
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(conn.region.clone()))
        .endpoint_url(&conn.endpoint)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            key,
            secret,
            None,
            None,
            "eddy-triggers",
        )))
        .http_client(match conn.trust_pem {
            Some(pem) => aws_smithy_http_client::Builder::new()
                .tls_provider(tls::Provider::Rustls(
                    tls::rustls_provider::CryptoMode::Ring,
                ))
                .tls_context(
                    tls::TlsContext::builder()
                        .with_trust_store(tls::TrustStore::empty().with_pem_certificate(pem))
                        .build()
                        .map_err(|e| e.to_string())?,
                )
                .build_https(),
            None => aws_smithy_http_client::Builder::new().build_http(),
        })
        .load()
        .await;
    let clock: Arc<dyn Clock> = Arc::new(EngineClock { engine, advanced });
    Triggers::start(
        specs,
        StreamsClient::new(&config),
        clock,
        HostConfig {
            endpoint: conn.endpoint,
            region: conn.region,
            account_id: conn.account_id,
            checkpoint_dir: conn.checkpoint_dir,
            record_expiry: conn.record_expiry,
            credentials,
        },
    )
    .await
}
