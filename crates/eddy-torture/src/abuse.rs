//! `eddy-torture abuse`: the latency normal clients see while hundreds of connections misuse
//! the server. It measures a baseline, then opens the abusive connections (slowloris headers
//! trickled a byte at a time, bodies that stop half-way, idle keep-alives), measures again with
//! them held open, and prints both. Normal requests that fail under abuse are the failure this
//! command exits non-zero for; the latencies are figures to read, not thresholds.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::server::Server;

const TABLE: &str = "abuse";
const KEYS: u32 = 1000;

/// What one measuring phase saw.
struct Phase {
    latencies: Vec<Duration>,
    errors: u64,
}

impl Phase {
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let at = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[at - 1]
    }

    fn print(&self, name: &str, seconds: u64) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{name:<28} requests {:>7}  ({:>6.0}/s)  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>7.2} ms  \
             errors {}",
            self.latencies.len(),
            self.latencies.len() as f64 / seconds as f64,
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            ms(self.latencies.last().copied().unwrap_or_default()),
            self.errors
        );
    }
}

/// Runs the comparison; returns the normal requests that failed under abuse.
pub async fn run(
    eddy: &std::path::Path,
    connections: usize,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<u64> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(eddy, dir.path(), "buffered").await?;
    let addr = server
        .endpoint
        .trim_start_matches("http://")
        .parse::<std::net::SocketAddr>()?;
    setup(&server.dynamodb).await?;
    println!(
        "eddy-torture abuse: {clients} normal clients for {seconds} s, then again beside \
         {connections} abusive connections"
    );
    let baseline = measure(&server.dynamodb, clients, seconds).await;
    baseline.print("baseline", seconds);

    let stop = Arc::new(AtomicBool::new(false));
    let open = Arc::new(AtomicU64::new(0));
    let mut abusers = Vec::with_capacity(connections);
    for i in 0..connections {
        let (stop, open) = (Arc::clone(&stop), Arc::clone(&open));
        abusers.push(tokio::spawn(async move {
            if let Ok(conn) = TcpStream::connect(addr).await {
                open.fetch_add(1, Ordering::Relaxed);
                let _ = abuse(conn, i % 3, &stop).await;
                open.fetch_sub(1, Ordering::Relaxed);
            }
        }));
    }
    // Every abusive connection is established and has begun misbehaving before measuring.
    let deadline = Instant::now() + Duration::from_secs(10);
    while open.load(Ordering::Relaxed) < connections as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let abused = measure(&server.dynamodb, clients, seconds).await;
    let still_open = open.load(Ordering::Relaxed);
    abused.print(&format!("beside {connections} abusers"), seconds);
    println!("abusive connections still open at the end: {still_open}");
    stop.store(true, Ordering::Relaxed);
    for a in abusers {
        a.abort();
    }
    server.kill();
    Ok(abused.errors)
}

async fn setup(client: &aws_sdk_dynamodb::Client) -> anyhow::Result<()> {
    client
        .create_table()
        .table_name(TABLE)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()?,
        )
        .send()
        .await?;
    for k in 0..KEYS {
        client
            .put_item()
            .table_name(TABLE)
            .item("pk", AttributeValue::S(format!("k{k}")))
            .item("v", AttributeValue::N(k.to_string()))
            .send()
            .await?;
    }
    Ok(())
}

/// `clients` loops of GetItem and PutItem (three reads to one write) for `seconds`.
async fn measure(client: &aws_sdk_dynamodb::Client, clients: usize, seconds: u64) -> Phase {
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut loops = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        loops.push(tokio::spawn(async move {
            let mut phase = Phase {
                latencies: Vec::new(),
                errors: 0,
            };
            let mut n = c as u32;
            while Instant::now() < until {
                n = n.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                let key = AttributeValue::S(format!("k{}", n % KEYS));
                let started = Instant::now();
                let ok = if n.is_multiple_of(4) {
                    let put = client.put_item().table_name(TABLE).item("pk", key);
                    put.item("v", AttributeValue::N(n.to_string()))
                        .send()
                        .await
                        .is_ok()
                } else {
                    let get = client.get_item().table_name(TABLE).key("pk", key);
                    get.send().await.is_ok()
                };
                phase.latencies.push(started.elapsed());
                phase.errors += u64::from(!ok);
            }
            phase
        }));
    }
    let mut all = Phase {
        latencies: Vec::new(),
        errors: 0,
    };
    for l in loops {
        if let Ok(phase) = l.await {
            all.latencies.extend(phase.latencies);
            all.errors += phase.errors;
        }
    }
    all.latencies.sort_unstable();
    all
}

/// Misbehaves on `conn` until `stop`: 0 trickles a request's headers a byte a second
/// (slowloris), 1 sends headers and part of a large body then trickles the rest, 2 sends one
/// whole request and then sits idle on the kept-alive connection.
async fn abuse(mut conn: TcpStream, kind: usize, stop: &AtomicBool) -> std::io::Result<()> {
    let body = br#"{"TableName":"abuse","Key":{"pk":{"S":"k1"}}}"#;
    let head = format!(
        "POST / HTTP/1.1\r\nHost: eddy\r\nContent-Type: application/x-amz-json-1.0\r\n\
         X-Amz-Target: DynamoDB_20120810.GetItem\r\nContent-Length: {}\r\n\r\n",
        if kind == 1 { 1 << 20 } else { body.len() }
    );
    match kind {
        0 => {
            for byte in head.as_bytes() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                conn.write_all(&[*byte]).await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        1 => {
            conn.write_all(head.as_bytes()).await?;
            conn.write_all(&body[..10]).await?;
            while !stop.load(Ordering::Relaxed) {
                conn.write_all(b" ").await?;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
        _ => {
            conn.write_all(head.as_bytes()).await?;
            conn.write_all(body).await?;
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf).await?;
            while !stop.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
    Ok(())
}
