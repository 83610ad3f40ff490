//! What every request handler shares.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use eddy_engine::{Engine, Scope};

use crate::faults::{FaultRule, Faults};
use crate::sigv4::Verifier;
use crate::streams_limits::StreamsLimits;

/// API requests served at once unless `with_max_in_flight` says otherwise.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;

/// How long a connection may take, and how many there may be: what keeps slow or abandoned
/// clients from starving the others.
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    /// A request's headers must arrive within this (an idle keep-alive connection is closed
    /// after it too).
    pub header_timeout: std::time::Duration,
    /// A request's body must arrive within this, from its headers.
    pub body_timeout: std::time::Duration,
    /// Connections open at once; past it new ones wait in the listen queue.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: std::time::Duration::from_secs(30),
            body_timeout: std::time::Duration::from_secs(60),
            max_connections: 10_000,
        }
    }
}

/// A page the server shows without knowing what it holds (`GET /_eddy/triggers`): a
/// function that renders it as JSON.
#[derive(Clone)]
pub struct StatusPage(pub Arc<dyn Fn() -> Vec<u8> + Send + Sync>);

impl std::fmt::Debug for StatusPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusPage")
    }
}

/// A seed for the server's cheap random sequences (request ids, fault draws): the time, odd so
/// that xorshift never sticks at zero.
pub(crate) fn time_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5eed)
        | 1
}

/// Server-wide state.
#[derive(Debug)]
pub struct AppState {
    /// The database.
    pub engine: Arc<Engine>,
    /// Whether the `/_eddy/` test-control endpoints answer.
    pub test_control: bool,
    /// The credentials signatures are verified against; None accepts any SigV4-shaped one.
    pub(crate) verifier: Option<Verifier>,
    /// DynamoDB Streams' request rates; None leaves the Streams API unthrottled.
    pub(crate) streams_limits: Option<StreamsLimits>,
    /// API requests being served at once, at most; past it a request is throttled instead of
    /// queued without bound.
    pub(crate) in_flight: Arc<tokio::sync::Semaphore>,
    /// Every request acts in the engine's default scope, whatever its credentials say (as
    /// DynamoDB Local's `-sharedDb`).
    shared_db: bool,
    /// Told the new now after every test-control clock advance, so that waits on the clock
    /// outside the engine (triggers' batching windows and retries) end when they are due.
    pub(crate) clock_advanced: tokio::sync::watch::Sender<u64>,
    /// `GET /_eddy/triggers`.
    pub(crate) triggers: Option<StatusPage>,
    /// `GET /_eddy/metrics`.
    pub(crate) metrics: Option<StatusPage>,
    /// Timeouts and the connection limit.
    pub(crate) limits: ConnectionLimits,
    /// HTTPS instead of HTTP, when set.
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    /// Injected errors and latency; replaceable at run time through `/_eddy/faults`.
    pub faults: Faults,
    request_counter: AtomicU64,
    request_seed: u64,
}

impl AppState {
    /// State over an engine.
    pub fn new(engine: Arc<Engine>, test_control: bool) -> Self {
        let seed = time_seed();
        Self {
            engine,
            test_control,
            verifier: None,
            streams_limits: None,
            in_flight: Arc::new(tokio::sync::Semaphore::new(DEFAULT_MAX_IN_FLIGHT)),
            shared_db: false,
            clock_advanced: tokio::sync::watch::channel(0).0,
            triggers: None,
            metrics: None,
            limits: ConnectionLimits::default(),
            tls: None,
            faults: Faults::default(),
            request_counter: AtomicU64::new(0),
            request_seed: seed,
        }
    }

    /// Verifies every API request's SigV4 signature against these (access key id, secret
    /// access key) pairs instead of accepting any well-shaped one.
    pub fn with_signature_verification(
        mut self,
        credentials: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        self.verifier = Some(Verifier::new(credentials));
        self
    }

    /// Serves at most `n` API requests at once; more answer ThrottlingException.
    pub fn with_max_in_flight(mut self, n: usize) -> Self {
        self.in_flight = Arc::new(tokio::sync::Semaphore::new(n.max(1)));
        self
    }

    /// Enforces DynamoDB Streams' published request rates with LimitExceededException.
    pub fn with_streams_rate_limits(mut self) -> Self {
        self.streams_limits = Some(StreamsLimits::default());
        self
    }

    /// Sets the connections' timeouts and limit.
    pub fn with_connection_limits(mut self, limits: ConnectionLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Serves HTTPS with this configuration (see [`crate::tls_config`]).
    pub fn with_tls(mut self, config: Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Fails or delays a share of requests by these rules (`--inject-errors`,
    /// `--inject-latency`).
    pub fn with_faults(mut self, rules: Vec<FaultRule>) -> Self {
        self.faults = Faults::new(rules);
        self
    }

    /// Shows the triggers' status at `GET /_eddy/triggers`.
    pub fn with_triggers_status(mut self, page: StatusPage) -> Self {
        self.triggers = Some(page);
        self
    }

    /// Serves the installed metrics recorder's page at `GET /_eddy/metrics`.
    pub fn with_metrics_page(mut self, page: StatusPage) -> Self {
        self.metrics = Some(page);
        self
    }

    /// Receives the new now (epoch ms) after every test-control clock advance.
    pub fn clock_advances(&self) -> tokio::sync::watch::Receiver<u64> {
        self.clock_advanced.subscribe()
    }

    /// Puts every request in the default scope (`--shared-db`).
    pub fn with_shared_db(mut self) -> Self {
        self.shared_db = true;
        self
    }

    /// The scope a request signed with `access_key` for `region` acts in, as AWS separates
    /// them: the region of its credential scope, and the access key id as the account when it
    /// is 12 digits (LocalStack's mapping) or the configured account otherwise. None means the
    /// engine's default scope: with `--shared-db`, and whenever the two agree.
    pub(crate) fn scope_of(&self, access_key: &str, region: &str) -> Option<Scope> {
        if self.shared_db {
            return None;
        }
        let default = self.engine.scope();
        let account = if access_key.len() == 12 && access_key.bytes().all(|b| b.is_ascii_digit()) {
            access_key
        } else {
            default.account_id.as_str()
        };
        // A region name is lowercase letters, digits and dashes; anything else in a credential
        // scope (which no AWS region is) leaves the request in the default region.
        let is_region = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let region = if is_region {
            region
        } else {
            default.region.as_str()
        };
        (account != default.account_id || region != default.region)
            .then(|| Scope::new(account, region))
    }

    /// A fresh request id.
    pub fn next_request_id(&self) -> String {
        crate::http::request_id(&self.request_counter, self.request_seed)
    }
}
