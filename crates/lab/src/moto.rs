//! The AWS API emulator: moto's server from the project's virtual environment, on loopback.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn moto_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("CF_LAB_MOTO_SERVER") {
        return PathBuf::from(p);
    }
    // The lab lives in `crates/lab`; `scripts/setup-venv` puts the venv at the workspace root.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/moto_server")
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free loopback port")
}

impl Moto {
    /// Starts a fresh emulator (empty state) and waits until it answers.
    pub fn start() -> Moto {
        let bin = moto_binary();
        assert!(
            bin.exists(),
            "the AWS API emulator is not installed at {}; run scripts/setup-venv (scripts/test does it for you)",
            bin.display()
        );
        for _attempt in 0..3 {
            let port = free_port();
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                // The Step Functions engine's service integrations call the emulator back on
                // localhost at this port.
                .env("MOTO_PORT", port.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start moto_server");
            let mut moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}") };
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(30) {
                if let Ok(Some(_)) = moto.child.try_wait() {
                    break; // exited (port taken?): try another port
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && ping(port) {
                    return moto;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = moto.child.kill();
        }
        panic!("moto_server did not start");
    }
}

impl Moto {
    /// The emulator's port.
    pub fn port(&self) -> u16 {
        self.endpoint.rsplit(':').next().and_then(|p| p.parse().ok()).expect("the endpoint ends in a port")
    }

    /// One plain HTTP/1.0 request to the emulator; returns the status and the body. For the
    /// emulator's own API (`/moto-api/`) and the few setup calls of services whose SDK crates the
    /// project does not link.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<u8>) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port())).expect("connect to the emulator");
        s.set_read_timeout(Some(Duration::from_secs(60))).expect("read timeout");
        let mut head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n", self.port());
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        s.write_all(head.as_bytes()).and_then(|()| s.write_all(body)).expect("send to the emulator");
        let mut out = Vec::new();
        s.read_to_end(&mut out).expect("read the emulator's answer");
        let split = out.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
        let status_line = String::from_utf8_lossy(&out[..split]).lines().next().unwrap_or_default().to_string();
        let status = status_line.split(' ').nth(1).and_then(|c| c.parse().ok()).expect("a status code");
        (status, out[split + 4..].to_vec())
    }

    /// Makes the emulator execute state machines (its Amazon States Language engine), with
    /// Lambda tasks answered by its simple backend. Applies only to state machines created
    /// afterwards.
    pub fn execute_state_machines(&self) {
        let config = br#"{"stepfunctions": {"execute_state_machine": true}, "lambda": {"use_docker": false}}"#;
        let (status, body) = self.request("POST", "/moto-api/config", &[], config);
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    }

    /// Queues what the next Lambda invocations return, in order (the simple backend's answers).
    pub fn queue_lambda_results(&self, results: &[String]) {
        let body = serde_json::json!({"results": results, "region": "us-east-1"}).to_string();
        let (status, answer) = self.request("POST", "/moto-api/static/lambda-simple/response", &[], body.as_bytes());
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    }
}

fn ping(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && &buf[..12] == b"HTTP/1.1 200")
}
