//! A hostile TLS origin that answers every ClientHello with a TLS 1.2 ServerHello and then a
//! Certificate message holding tens of thousands of empty certificates (RFC 5246 7.4.2: a
//! `certificate_list` of 24-bit-length entries, each of which may be zero bytes long). Up to
//! TLS 1.2 both messages travel in plaintext handshake records, so a client parses them before
//! any key exchange. Self-contained, so the benchmark example can stage the same origin.

use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Empty certificates in the flood: 3 bytes each, so the flight stays just under the 256 KiB
/// the raw hello reads before it gives up on a flight.
pub const FLOOD_CERTIFICATES: usize = 85_000;

fn handshake_message(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = body.len();
    let mut m = vec![kind, (len >> 16) as u8, (len >> 8) as u8, len as u8];
    m.extend_from_slice(body);
    m
}

/// The server's flight: ServerHello (TLS 1.2, ECDHE-RSA-AES128-GCM-SHA256, which CloudFront and
/// rustls both offer), the Certificate flood, ServerHelloDone, cut into handshake records of at
/// most 2^14 bytes (RFC 5246 6.2.1).
pub fn flood_flight(certificates: usize) -> Vec<u8> {
    let mut hello = vec![3, 3];
    hello.extend_from_slice(&[7; 32]); // server random
    hello.push(0); // empty session id
    hello.extend_from_slice(&0xC02Fu16.to_be_bytes());
    hello.push(0); // null compression
    let list_len = certificates * 3;
    let mut cert = vec![(list_len >> 16) as u8, (list_len >> 8) as u8, list_len as u8];
    cert.resize(3 + list_len, 0);
    let mut handshake = handshake_message(2, &hello);
    handshake.extend(handshake_message(11, &cert));
    handshake.extend(handshake_message(14, &[]));
    let mut out = Vec::with_capacity(handshake.len() + handshake.len() / 16_384 * 5 + 5);
    for fragment in handshake.chunks(16_384) {
        out.extend_from_slice(&[22, 3, 3]);
        out.extend_from_slice(&(fragment.len() as u16).to_be_bytes());
        out.extend_from_slice(fragment);
    }
    out
}

/// A loopback server sending [`flood_flight`] on every connection after the first bytes arrive.
pub async fn certificate_flood_server() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let flight = std::sync::Arc::new(flood_flight(FLOOD_CERTIFICATES));
    let task = tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let flight = flight.clone();
            tokio::spawn(async move {
                let mut hello = [0u8; 4096];
                if tcp.read(&mut hello).await.unwrap_or(0) == 0 {
                    return;
                }
                let _ = tcp.write_all(&flight).await;
                // Hold the connection until the client gives up, as a server waiting for the
                // client's key exchange would.
                let _ = tcp.read(&mut hello).await;
            });
        }
    });
    (addr, task)
}
