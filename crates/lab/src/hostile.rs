//! Staging a hostile origin: a lab world whose origin (the load balancer's name, on one port)
//! is answered by a server the test controls, for the prober; the edge stand-in keeps the
//! lab's well-behaved origin.

use crate::{Lab, Scenario};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Starts `scenario` and sends the prober's connections for the origin on `port` to `target`.
/// `Scenario::Healthy` probes the origin over HTTPS on 443, `Scenario::RedirectLoop` over plain
/// HTTP on 80.
pub async fn lab_with_origin(scenario: Scenario, port: u16, target: SocketAddr) -> Lab {
    let mut lab = Lab::start(scenario).await;
    let host = lab.alb.dns_name.to_ascii_lowercase();
    let mut replaced = false;
    for c in lab.connect_to.iter_mut().filter(|c| c.host == host && c.port == port) {
        c.target = target;
        replaced = true;
    }
    assert!(replaced, "the lab has no origin override for {host}:{port}");
    lab
}

type ConnHandler = Arc<dyn Fn(TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// A raw TCP server on 127.0.0.1 that hands every accepted connection to `handler`: for
/// answers no HTTP or TLS library would produce (floods, endless framing, random bytes).
pub struct RawServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn raw_server<F, Fut>(handler: F) -> RawServer
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let handler: ConnHandler = Arc::new(move |s| Box::pin(handler(s)));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(handler(tcp));
        }
    });
    RawServer { addr, task }
}
