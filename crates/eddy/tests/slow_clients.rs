//! Slow and abandoned connections do not starve other clients: headers that never finish
//! and idle connections are closed after the header timeout, a body that stops coming after
//! the body timeout, and past the connection limit new clients wait for a free slot instead of
//! the server running out of resources.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{client_for, create_table, s};

fn start(extra: &[&str]) -> (std::process::Child, String) {
    common::spawn_eddy(
        std::process::Command::new(env!("CARGO_BIN_EXE_eddy"))
            .args(["serve", "--in-memory", "--listen", "127.0.0.1:0"])
            .args(extra),
    )
}

/// Whether the server closed `stream` (a read returns end of file) within `patience`.
fn closed_within(stream: &mut TcpStream, patience: Duration) -> bool {
    stream
        .set_read_timeout(Some(patience))
        .expect("read timeout");
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(_) => return false,
        }
    }
}

#[tokio::test]
async fn half_sent_headers_and_bodies_are_cut_off_and_others_are_served() {
    let (mut child, endpoint) = start(&["--header-timeout", "1s", "--body-timeout", "1s"]);
    let addr = endpoint.trim_start_matches("http://").to_owned();
    // Slow clients: headers that never end, and a body that stops half way.
    let mut slow: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut c = TcpStream::connect(&addr).expect("connect");
            c.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .expect("write");
            c
        })
        .collect();
    let mut half_body = TcpStream::connect(&addr).expect("connect");
    half_body
        .write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n\
              X-Amz-Target: DynamoDB_20120810.ListTables\r\nContent-Length: 100\r\n\r\n{\"Li",
        )
        .expect("write");
    // Meanwhile a normal client is served.
    let client = client_for(&endpoint);
    create_table(&client, "busy", None).await;
    client
        .put_item()
        .table_name("busy")
        .item("pk", s("a"))
        .send()
        .await
        .expect("put while slow clients wait");
    for c in &mut slow {
        assert!(
            closed_within(c, Duration::from_secs(10)),
            "a slow header was not cut off"
        );
    }
    let mut answer = String::new();
    half_body
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let _ = half_body.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("RequestTimeoutException"), "{answer}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn past_the_connection_limit_a_client_waits_for_a_free_slot() {
    let (mut child, endpoint) = start(&["--max-connections", "4"]);
    let addr = endpoint.trim_start_matches("http://").to_owned();
    let mut idle: Vec<TcpStream> = (0..4)
        .map(|_| TcpStream::connect(&addr).expect("connect"))
        .collect();
    // The fifth connection waits in the listen queue: no answer while four are held open...
    let mut fifth = TcpStream::connect(&addr).expect("connect");
    fifth
        .write_all(b"GET /_eddy/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .expect("write");
    fifth
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let mut buf = [0u8; 64];
    assert!(
        fifth.read(&mut buf).is_err(),
        "served past the connection limit"
    );
    // ...and its answer once one of them closes.
    drop(idle.pop());
    fifth
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut answer = String::new();
    let _ = fifth.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let _ = child.kill();
    let _ = child.wait();
}
