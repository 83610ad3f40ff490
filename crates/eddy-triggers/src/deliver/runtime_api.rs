//! `command=`: eddy runs the handler itself and serves it the Lambda Runtime API, so a handler
//! built for Lambda (`lambda_runtime`, `awslambdaric`, `aws-lambda-ric`) runs unchanged.
//!
//! Each handler process gets a Runtime API of its own on a loopback port
//! (`AWS_LAMBDA_RUNTIME_API`), so eddy always knows which invocation a process holds: when the
//! process dies, that invocation fails as Lambda's `Runtime.ExitError` does, and the next one
//! starts a fresh process. Processes stay warm between invocations; there are as many as
//! invocations have run at once.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eddy_client::Clock as _;

use async_trait::async_trait;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, oneshot, watch};

use super::{Invoke, Reply};

/// What a handler process is told about its function.
#[derive(Clone, Debug)]
pub struct FunctionEnv {
    /// The shell command that starts the handler.
    pub command: String,
    /// `AWS_LAMBDA_FUNCTION_NAME`.
    pub name: String,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, in MB.
    pub memory_mb: u32,
    /// `AWS_REGION`.
    pub region: String,
    /// The account in the function's ARN.
    pub account_id: String,
    /// eddy's own endpoint, given to the handler as `AWS_ENDPOINT_URL_DYNAMODB` unless the
    /// environment already names one.
    pub endpoint: String,
    /// The access key pair given to the handler unless the environment has one.
    pub credentials: (String, String),
}

impl FunctionEnv {
    fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, self.account_id, self.name
        )
    }
}

/// One invocation on its way to a process.
struct Job {
    request_id: String,
    payload: Bytes,
    deadline_ms: u64,
    reply: oneshot::Sender<Reply>,
}

/// A running handler process.
struct Worker {
    jobs: mpsc::Sender<Job>,
    /// Some(how it ended) once the process is gone.
    exited: watch::Receiver<Option<String>>,
    kill: Option<oneshot::Sender<()>>,
}

impl Worker {
    fn alive(&self) -> bool {
        self.exited.borrow().is_none()
    }
}

/// Runs the handler command and invokes it through the Runtime API.
pub struct CommandHandler {
    env: Arc<FunctionEnv>,
    idle: Mutex<Vec<Worker>>,
}

impl CommandHandler {
    /// A handler that starts processes of `env.command` as invocations need them.
    pub fn new(env: FunctionEnv) -> Self {
        Self {
            env: Arc::new(env),
            idle: Mutex::new(Vec::new()),
        }
    }

    fn take_idle(&self) -> Option<Worker> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(w) = idle.pop() {
            if w.alive() {
                return Some(w);
            }
        }
        None
    }

    async fn spawn(&self) -> Result<Worker, String> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("Runtime API: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("Runtime API: {e}"))?;
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>(1);
        let api = Arc::new(Api {
            env: Arc::clone(&self.env),
            jobs: tokio::sync::Mutex::new(jobs_rx),
            current: Mutex::new(None),
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&api)));
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c")
            .arg(&self.env.command)
            .envs(process_env(&self.env, &addr.to_string()))
            .stdin(std::process::Stdio::null())
            .stdout(handler_output())
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", self.env.command))?;
        let group = ProcessGroup(child.id());
        let (exited_tx, exited_rx) = watch::channel(None);
        let (kill_tx, kill_rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let status = tokio::select! {
                status = child.wait() => status,
                _ = kill_rx => {
                    group.kill();
                    child.wait().await
                }
            };
            drop(group);
            server.abort();
            let how = match status {
                Ok(s) => match s.code() {
                    Some(code) => format!("exit status {code}"),
                    None => format!("{s}"),
                },
                Err(e) => e.to_string(),
            };
            let held = api.current.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some((id, reply)) = held {
                let _ = reply.send(exit_error(&id, &how));
            }
            exited_tx.send_replace(Some(how));
        });
        Ok(Worker {
            jobs: jobs_tx,
            exited: exited_rx,
            kill: Some(kill_tx),
        })
    }
}

/// The process group of a handler (its shell and whatever it started): killed together, when
/// the invocation times out and when eddy stops.
struct ProcessGroup(Option<u32>);

impl ProcessGroup {
    fn kill(&self) {
        if let Some(pid) = self.0.and_then(|p| i32::try_from(p).ok()) {
            let _ = nix::sys::signal::killpg(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

fn exit_error(request_id: &str, how: &str) -> Reply {
    Reply::FunctionError(format!(
        "Runtime.ExitError: RequestId: {request_id} Error: Runtime exited with error: {how}"
    ))
}

#[async_trait]
impl Invoke for CommandHandler {
    async fn invoke(&self, payload: Vec<u8>, timeout: Duration) -> Reply {
        let mut worker = match self.take_idle() {
            Some(w) => w,
            None => match self.spawn().await {
                Ok(w) => w,
                Err(e) => return Reply::FunctionError(e),
            },
        };
        let request_id = uuid::Uuid::new_v4().to_string();
        let (reply_tx, reply_rx) = oneshot::channel();
        let job = Job {
            request_id: request_id.clone(),
            payload: Bytes::from(payload),
            deadline_ms: now_ms().saturating_add(u64::try_from(timeout.as_millis()).unwrap_or(0)),
            reply: reply_tx,
        };
        if worker.jobs.send(job).await.is_err() {
            return exit_error(&request_id, "the runtime stopped taking invocations");
        }
        let mut exited = worker.exited.clone();
        let reply = tokio::select! {
            reply = reply_rx => reply.unwrap_or_else(|_| exit_error(&request_id, "no answer")),
            how = exited.wait_for(Option::is_some) => {
                let how = how.map(|h| h.clone().unwrap_or_default()).unwrap_or_default();
                exit_error(&request_id, &how)
            }
            () = tokio::time::sleep(timeout) => {
                // As Lambda does, the timed-out sandbox is not reused.
                if let Some(kill) = worker.kill.take() {
                    let _ = kill.send(());
                }
                return Reply::FunctionError(format!(
                    "Sandbox.Timedout: RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                    timeout.as_secs_f64()
                ));
            }
        };
        if worker.alive() {
            self.idle
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(worker);
        }
        reply
    }
}

/// Where a handler's standard output goes: eddy's standard error, as its logs, so that it
/// never mixes into what eddy prints on its own standard output.
fn handler_output() -> std::process::Stdio {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => std::process::Stdio::from(fd),
        Err(_) => std::process::Stdio::inherit(),
    }
}

/// The environment Lambda gives a function's runtime, on top of eddy's own.
fn process_env(env: &FunctionEnv, api: &str) -> Vec<(String, String)> {
    let day = time::OffsetDateTime::now_utc();
    let stream = format!(
        "{:04}/{:02}/{:02}/[$LATEST]{}",
        day.year(),
        u8::from(day.month()),
        day.day(),
        uuid::Uuid::new_v4().simple()
    );
    let mut vars = vec![
        ("AWS_LAMBDA_RUNTIME_API", api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", env.name.clone()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", env.memory_mb.to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{}", env.name),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", stream),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_owned()),
        ("AWS_REGION", env.region.clone()),
        ("AWS_DEFAULT_REGION", env.region.clone()),
        ("TZ", ":UTC".to_owned()),
    ];
    if let Ok(dir) = std::env::current_dir() {
        vars.push(("LAMBDA_TASK_ROOT", dir.display().to_string()));
    }
    // A handler that writes back to DynamoDB reaches this eddy, with the triggers' credentials
    // if the environment has none.
    for (name, value) in [
        ("AWS_ENDPOINT_URL_DYNAMODB", env.endpoint.as_str()),
        ("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", env.endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", env.credentials.0.as_str()),
        ("AWS_SECRET_ACCESS_KEY", env.credentials.1.as_str()),
    ] {
        if std::env::var_os(name).is_none() {
            vars.push((name, value.to_owned()));
        }
    }
    vars.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn now_ms() -> u64 {
    eddy_client::SystemClock.now_ms()
}

/// One process's Runtime API.
struct Api {
    env: Arc<FunctionEnv>,
    jobs: tokio::sync::Mutex<mpsc::Receiver<Job>>,
    /// The invocation the process holds: its request id and where its answer goes.
    current: Mutex<Option<(String, oneshot::Sender<Reply>)>>,
}

async fn serve(listener: tokio::net::TcpListener, api: Arc<Api>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors, say: wait rather than spin.
                tracing::warn!(error = %e, "Runtime API accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let api = Arc::clone(&api);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let api = Arc::clone(&api);
                async move { Ok::<_, Infallible>(route(&api, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Resp = Response<Full<Bytes>>;

const PREFIX: &str = "/2018-06-01/runtime/";

async fn route(api: &Api, req: Request<Incoming>) -> Resp {
    let path = req.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return json(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"not found","errorType":"InvalidRequest"}"#,
        );
    };
    match (req.method(), rest) {
        (&Method::GET, "invocation/next") => next(api).await,
        (&Method::POST, "init/error") => {
            let body = read(req).await.unwrap_or_default();
            tracing::warn!(function = %api.env.name, error = %String::from_utf8_lossy(&body), "handler failed to start");
            json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        (&Method::POST, rest) => {
            let Some((id, kind)) = rest
                .strip_prefix("invocation/")
                .and_then(|r| r.rsplit_once('/'))
            else {
                return json(
                    StatusCode::NOT_FOUND,
                    r#"{"errorMessage":"not found","errorType":"InvalidRequest"}"#,
                );
            };
            let (id, kind) = (id.to_owned(), kind.to_owned());
            let body = read(req).await;
            let reply = match (kind.as_str(), body) {
                ("response", Some(body)) => Reply::Answered(body),
                ("response", None) => Reply::FunctionError(format!(
                    "Function.ResponseSizeTooLarge: the response is over {MAX_RESPONSE_BYTES} bytes"
                )),
                ("error", body) => Reply::FunctionError(function_error(&body.unwrap_or_default())),
                _ => {
                    return json(
                        StatusCode::NOT_FOUND,
                        r#"{"errorMessage":"not found","errorType":"InvalidRequest"}"#,
                    );
                }
            };
            let held = {
                let mut current = api.current.lock().unwrap_or_else(|e| e.into_inner());
                match current.as_ref() {
                    Some((held, _)) if *held == id => current.take(),
                    _ => None,
                }
            };
            match held {
                Some((_, tx)) => {
                    let _ = tx.send(reply);
                    json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
                }
                None => json(
                    StatusCode::BAD_REQUEST,
                    r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
                ),
            }
        }
        _ => json(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"not found","errorType":"InvalidRequest"}"#,
        ),
    }
}

/// Hands the process the next invocation, waiting for one as long as it takes.
async fn next(api: &Api) -> Resp {
    let job = api.jobs.lock().await.recv().await;
    let Some(job) = job else {
        return json(
            StatusCode::GONE,
            r#"{"errorMessage":"stopping","errorType":"Runtime.Stopping"}"#,
        );
    };
    let trace = format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        now_ms() / 1000,
        &uuid::Uuid::new_v4().simple().to_string()[..24],
        &uuid::Uuid::new_v4().simple().to_string()[..16]
    );
    let resp = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json")
        .header("lambda-runtime-aws-request-id", &job.request_id)
        .header("lambda-runtime-deadline-ms", job.deadline_ms.to_string())
        .header("lambda-runtime-invoked-function-arn", api.env.arn())
        .header("lambda-runtime-trace-id", trace)
        .body(Full::new(job.payload));
    *api.current.lock().unwrap_or_else(|e| e.into_inner()) = Some((job.request_id, job.reply));
    resp.unwrap_or_else(|_| json(StatusCode::INTERNAL_SERVER_ERROR, "{}"))
}

/// A function error's text from the runtime's `{"errorType", "errorMessage"}` body.
fn function_error(body: &[u8]) -> String {
    let parsed: Option<serde_json::Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| {
        parsed
            .as_ref()
            .and_then(|v| v.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    match (field("errorType"), field("errorMessage")) {
        (Some(t), Some(m)) => format!("{t}: {m}"),
        (None, Some(m)) => m,
        _ => String::from_utf8_lossy(body).into_owned(),
    }
}

/// The most bytes of a synchronous invocation's response Lambda accepts.
const MAX_RESPONSE_BYTES: usize = 6 * 1024 * 1024;

/// The request's body; None past Lambda's 6 MB response payload (or when it cannot be read).
async fn read(req: Request<Incoming>) -> Option<Bytes> {
    Limited::new(req.into_body(), MAX_RESPONSE_BYTES)
        .collect()
        .await
        .ok()
        .map(|b| b.to_bytes())
}

fn json(status: StatusCode, body: &'static str) -> Resp {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}
