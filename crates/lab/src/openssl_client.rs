//! The edge stand-in's legacy TLS client: the system `openssl s_client` (OpenSSL 3) as a child
//! process, for the connections to an origin that rustls cannot make and CloudFront can (TLS 1.0
//! and 1.1, when `OriginSslProtocols` lists them). Its standard input and output carry the HTTP
//! exchange (`-quiet`: no session output, `-ign_eof` implied); the child is killed when dropped.
//!
//! It offers one hello like CloudFront's: the listed versions (TLS 1.3 never), CloudFront's
//! origin cipher suites in its order, curves P-256/P-384/X25519, SNI = the Host sent, and it
//! validates the chain against the lab's roots with hostname = SNI. Unlike the rustls path it
//! does not check that the chain is served in issuing order (OpenSSL builds the path from any
//! order); no lab scenario serves a misordered chain over TLS 1.0.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use tokio::io::Join;
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// OpenSSL's names of CloudFront's origin cipher suites, in CloudFront's order. `@SECLEVEL=0`
/// lets OpenSSL 3 offer TLS 1.0/1.1 and the SHA-1 suites and signatures CloudFront accepts;
/// names this OpenSSL build lacks (RC4, 3DES) are skipped by OpenSSL itself.
pub const CLOUDFRONT_SUITES: &str = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:\
ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA:\
ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES256-SHA:\
ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA:\
AES256-SHA:AES128-SHA:DES-CBC3-SHA:RC4-MD5:@SECLEVEL=0";

/// CloudFront's `OriginSslProtocols` names this client can offer, lowest first.
const VERSIONS: [&str; 3] = ["TLSv1", "TLSv1.1", "TLSv1.2"];

/// True when `OriginSslProtocols` lists a version below TLS 1.2: the edge then connects with
/// this client (rustls speaks only TLS 1.2 and up).
pub fn needed(ssl_protocols: &[String]) -> bool {
    ssl_protocols.iter().any(|p| matches!(p.as_str(), "SSLv3" | "TLSv1" | "TLSv1.1"))
}

/// The protocol arguments for these allowed versions: the lowest and highest, and each version
/// between them that is not allowed switched off. `None` when none can be offered (SSLv3 alone).
pub fn protocol_args(ssl_protocols: &[String]) -> Option<Vec<String>> {
    let allowed: Vec<bool> = VERSIONS.iter().map(|v| ssl_protocols.iter().any(|p| p == v)).collect();
    let low = allowed.iter().position(|a| *a)?;
    let high = allowed.iter().rposition(|a| *a)?;
    let mut args = vec![
        "-min_protocol".to_string(),
        VERSIONS[low].to_string(),
        "-max_protocol".to_string(),
        VERSIONS[high].to_string(),
    ];
    for (i, ok) in allowed.iter().enumerate().take(high).skip(low + 1) {
        if !ok {
            args.push(if i == 1 { "-no_tls1_1".into() } else { "-no_tls1_2".into() });
        }
    }
    Some(args)
}

/// A running `openssl s_client` and the stream that is its standard output and input.
pub struct Connection {
    pub child: Child,
    pub io: Join<ChildStdout, ChildStdin>,
}

/// Starts `openssl s_client` toward `target` with SNI `sni`, offering `ssl_protocols`,
/// trusting the PEM roots in `roots`. `None` when no listed version can be offered.
pub fn connect(target: SocketAddr, sni: &str, ssl_protocols: &[String], roots: &Path) -> Option<Connection> {
    let protocols = protocol_args(ssl_protocols)?;
    let mut child = Command::new("openssl")
        .args(["s_client", "-connect", &target.to_string(), "-servername", sni])
        .args(protocols)
        .args(["-cipher", CLOUDFRONT_SUITES, "-groups", "P-256:P-384:X25519"])
        .arg("-CAfile")
        .arg(roots)
        .args(["-verify_return_error", "-verify_hostname", sni, "-quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("run the system openssl binary");
    let stdout = child.stdout.take()?;
    let stdin = child.stdin.take()?;
    Some(Connection { child, io: tokio::io::join(stdout, stdin) })
}
