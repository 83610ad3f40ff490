//! `eddy health`: whether a server answers its health check, as an exit status. It is the
//! container image's HEALTHCHECK, since the image has no shell or HTTP client to run one.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::process::ExitCode;
use std::time::Duration;

/// The longest each of connecting, sending and reading may take: a server that stalls this
/// long is not healthy, and a check must end well within the container's own check timeout.
const TIMEOUT: Duration = Duration::from_secs(2);

#[derive(clap::Args, Debug)]
pub struct HealthArgs {
    /// The server to ask, as http://HOST:PORT. By default the server `eddy serve` starts with
    /// the same environment: the port of EDDY_LISTEN, on loopback, else 127.0.0.1:8000.
    #[arg(long, env = "EDDY_HEALTH_ENDPOINT", default_value_t = default_endpoint())]
    endpoint: String,
}

/// Exits 0 if `GET /_eddy/health` answers 200, 1 with one line on stderr otherwise.
pub fn run(args: HealthArgs) -> ExitCode {
    match check(&args.endpoint) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("eddy health: {}: {e}", args.endpoint);
            ExitCode::FAILURE
        }
    }
}

/// A container that changes EDDY_LISTEN's port stays healthy without also setting
/// EDDY_HEALTH_ENDPOINT; a server listening on every address is asked on loopback.
fn default_endpoint() -> String {
    let listen = std::env::var(crate::config::env_name("listen"))
        .ok()
        .and_then(|text| text.parse::<SocketAddr>().ok())
        .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 8000)));
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, listen.port()))
}

fn check(endpoint: &str) -> Result<(), String> {
    let rest = endpoint
        .strip_prefix("http://")
        .ok_or("expected http://HOST:PORT")?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
    let target = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let addresses = target.to_socket_addrs().map_err(describe)?;
    let mut failure = format!("{authority} has no address");
    // A name such as localhost may resolve to an IPv6 address the server does not listen on.
    for address in addresses {
        match TcpStream::connect_timeout(&address, TIMEOUT) {
            Ok(stream) => return ask(stream, authority),
            Err(e) => failure = describe(e),
        }
    }
    Err(failure)
}

fn ask(mut stream: TcpStream, authority: &str) -> Result<(), String> {
    stream.set_read_timeout(Some(TIMEOUT)).map_err(describe)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(describe)?;
    write!(
        stream,
        "GET /_eddy/health HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .map_err(describe)?;
    // Only the status line matters; a bounded read keeps a server that sends an endless line
    // (or no line) from holding the check beyond its timeout.
    let mut status = String::new();
    BufReader::new(stream.take(1024))
        .read_line(&mut status)
        .map_err(describe)?;
    let status = status.trim_end();
    let mut words = status.split(' ');
    match (words.next(), words.next()) {
        (Some(version), Some("200")) if version.starts_with("HTTP/1.") => Ok(()),
        _ if status.is_empty() => Err("closed the connection without answering".to_owned()),
        _ => Err(format!("answered `{status}`")),
    }
}

fn describe(e: std::io::Error) -> String {
    match e.kind() {
        // A read or write timeout surfaces as WouldBlock on Unix.
        ErrorKind::WouldBlock | ErrorKind::TimedOut => {
            format!("no answer within {} s", TIMEOUT.as_secs())
        }
        _ => e.to_string(),
    }
}
