//! A legacy TLS origin: the system `openssl s_server` (OpenSSL 3) as a child process, serving a
//! lab certificate with protocol versions and suites rustls cannot serve (TLS 1.0, CBC-only).
//! It stops when dropped.

use super::pki::Leaf;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct OpensslOrigin {
    pub addr: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for OpensslOrigin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// TLS 1.0 only, with one CloudFront suite for the lab's ECDSA keys (SHA-1 signatures need
/// `@SECLEVEL=0` in OpenSSL 3).
pub const TLS10_ONLY: &[&str] = &["-tls1", "-cipher", "ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0"];
/// TLS 1.2 only, CBC suites only (no GCM).
pub const TLS12_CBC_ONLY: &[&str] =
    &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA256"];

fn pem(label: &str, der: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for c in der.chunks(3) {
        let n =
            (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                b64.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|l| std::str::from_utf8(l).expect("ascii")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// Starts `openssl s_server -www` on a free loopback port with this leaf (and its
/// intermediates) and these protocol/cipher arguments; returns once it accepts connections.
pub fn start(leaf: &Leaf, args: &[&str]) -> OpensslOrigin {
    let dir = tempfile::tempdir().expect("temp dir");
    let cert = dir.path().join("cert.pem");
    let chain = dir.path().join("chain.pem");
    let key = dir.path().join("key.pem");
    std::fs::File::create(&cert)
        .and_then(|mut f| f.write_all(pem("CERTIFICATE", &leaf.chain[0]).as_bytes()))
        .expect("cert");
    let rest: String = leaf.chain[1..].iter().map(|c| pem("CERTIFICATE", c)).collect();
    std::fs::write(&chain, rest).expect("chain");
    std::fs::write(&key, pem("PRIVATE KEY", leaf.key.secret_der())).expect("key");
    let mut cmd = Command::new("openssl");
    cmd.args(["s_server", "-accept", "127.0.0.1:0", "-www"])
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if leaf.chain.len() > 1 {
        cmd.arg("-cert_chain").arg(&chain);
    }
    let mut child = cmd.spawn().expect("run the system openssl binary");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut addr = None;
    let mut line = String::new();
    while out.read_line(&mut line).expect("openssl output") > 0 {
        if let Some(a) = line.trim().strip_prefix("ACCEPT ") {
            addr = a.parse::<SocketAddr>().ok();
            break;
        }
        line.clear();
    }
    let Some(addr) = addr else {
        let mut err = String::new();
        let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
        let _ = child.kill();
        panic!("openssl s_server did not start: {line} {err}");
    };
    // Keep its output drained so it never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    if let Some(mut e) = child.stderr.take() {
        std::thread::spawn(move || std::io::copy(&mut e, &mut std::io::sink()));
    }
    let started = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(5), "openssl s_server never accepted on {addr}");
        std::thread::sleep(Duration::from_millis(20));
    }
    OpensslOrigin { addr, child, _dir: dir }
}
