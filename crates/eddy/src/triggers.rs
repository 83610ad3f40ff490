//! `eddy serve --trigger/--triggers`: the triggers are parsed before the database opens (a bad
//! one stops eddy from starting), and started once the server listens, reading its streams
//! through its own endpoint on a clock that moves with the engine's test clock.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls;
use aws_types::region::Region;
use eddy_client::{Checkpoint, CheckpointStore};
use eddy_client::{Clock, Sleep, StreamsClient};
use eddy_engine::Engine;
use eddy_triggers::{Checkpoints, HostCheckpoints, HostConfig, TriggerSpec, Triggers};
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
#[derive(Clone)]
pub struct Connection {
    pub endpoint: String,
    pub region: String,
    pub account_id: String,
    /// The access key pair to sign with: one eddy verifies, when it verifies signatures.
    pub credentials: Option<(String, String)>,
    /// Where checkpoints are kept.
    pub checkpoints: Checkpoints,
    pub record_expiry: Duration,
    /// With HTTPS: the server's certificate (PEM), which the triggers' client trusts.
    pub trust_pem: Option<Vec<u8>>,
}

/// Runs the triggers on the current runtime while this process leads the processes sharing
/// its storage (so they run once, wherever the leader is): started once it leads, stopped if
/// it stops leading. Their checkpoints are kept in the database (`conn.checkpoints`), so a new
/// leader goes on from the old one's last checkpoint. Answers the triggers' status page.
pub fn run_on_leader(
    specs: Vec<TriggerSpec>,
    engine: Arc<Engine>,
    advanced: watch::Receiver<u64>,
    conn: Connection,
) -> eddy_server::StatusPage {
    let running: Arc<std::sync::Mutex<Option<Triggers>>> = Arc::default();
    let page = Arc::clone(&running);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            let leads = engine.is_leader();
            let mut slot = running.lock().unwrap_or_else(|e| e.into_inner()).take();
            match (&slot, leads) {
                (None, true) => {
                    let started = start(
                        specs.clone(),
                        Arc::clone(&engine),
                        advanced.clone(),
                        conn.clone(),
                    )
                    .await;
                    match started {
                        Ok(triggers) => slot = Some(triggers),
                        Err(e) => tracing::error!(error = %e, "the triggers could not start"),
                    }
                }
                (Some(triggers), false) => {
                    tracing::warn!("this process no longer leads: its triggers stop");
                    triggers.stop();
                    slot = None;
                }
                _ => {}
            }
            *running.lock().unwrap_or_else(|e| e.into_inner()) = slot;
        }
    });
    eddy_server::StatusPage(Arc::new(move || {
        match page.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            Some(triggers) => triggers.status_json(),
            // Another process leads and runs them.
            None => br#"{"triggers": []}"#.to_vec(),
        }
    }))
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
            checkpoints: conn.checkpoints,
            record_expiry: conn.record_expiry,
            credentials,
        },
    )
    .await
}

/// Triggers' checkpoints kept in the database the engine serves (`Engine::host_value`): on
/// shared storage, the node that runs the triggers next goes on from them.
#[derive(Debug)]
pub struct DatabaseCheckpoints {
    pub engine: Arc<Engine>,
}

impl DatabaseCheckpoints {
    /// Checkpoints in the engine's database.
    pub fn in_database(engine: Arc<Engine>) -> Checkpoints {
        Checkpoints::Host(Arc::new(Self { engine }))
    }
}

/// Runs a storage call of the engine off the async threads.
async fn blocking<T: Send + 'static>(
    engine: &Arc<Engine>,
    call: impl FnOnce(&Engine) -> Result<T, eddy_engine::EngineError> + Send + 'static,
) -> Result<T, String> {
    let engine = Arc::clone(engine);
    tokio::task::spawn_blocking(move || call(&engine))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

#[async_trait::async_trait]
impl HostCheckpoints for DatabaseCheckpoints {
    fn store(&self, trigger: &str) -> Arc<dyn CheckpointStore> {
        Arc::new(DatabaseStore {
            engine: Arc::clone(&self.engine),
            trigger: trigger.to_owned(),
        })
    }

    async fn start_time(&self, trigger: &str, now_ms: u64) -> Result<u64, String> {
        let name = format!("trigger/{trigger}/start");
        let kept = blocking(&self.engine, {
            let name = name.clone();
            move |engine| engine.host_value(&name)
        })
        .await?;
        if let Some(bytes) = kept {
            return String::from_utf8_lossy(&bytes)
                .parse()
                .map_err(|_| format!("{name}: not a start time"));
        }
        blocking(&self.engine, move |engine| {
            engine.set_host_value(&name, now_ms.to_string().as_bytes())
        })
        .await?;
        Ok(now_ms)
    }
}

/// One trigger's checkpoints, a value per shard.
#[derive(Debug)]
struct DatabaseStore {
    engine: Arc<Engine>,
    trigger: String,
}

impl DatabaseStore {
    fn name(&self, stream_arn: &str, shard_id: &str) -> String {
        format!("trigger/{}/{stream_arn}/{shard_id}", self.trigger)
    }
}

#[async_trait::async_trait]
impl CheckpointStore for DatabaseStore {
    async fn get(
        &self,
        stream_arn: &str,
        shard_id: &str,
    ) -> eddy_client::Result<Option<Checkpoint>> {
        let name = self.name(stream_arn, shard_id);
        let kept = blocking(&self.engine, move |engine| engine.host_value(&name))
            .await
            .map_err(eddy_client::Error::Checkpoint)?;
        Ok(kept.and_then(|bytes| Checkpoint::parse(&String::from_utf8_lossy(&bytes))))
    }

    async fn put(
        &self,
        stream_arn: &str,
        shard_id: &str,
        _owner: &str,
        checkpoint: &Checkpoint,
    ) -> eddy_client::Result<()> {
        let name = self.name(stream_arn, shard_id);
        let text = checkpoint.as_str().to_owned();
        blocking(&self.engine, move |engine| {
            engine.set_host_value(&name, text.as_bytes())
        })
        .await
        .map_err(eddy_client::Error::Checkpoint)
    }
}
