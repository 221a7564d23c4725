//! A tiny DNS client (RFC 1035 over UDP): one question, recursion desired, A/AAAA answers and the
//! CNAME chain the recursive resolver returns. Enough to observe how a name resolves without a
//! resolver library; connections still go through the address policy in `target.rs`.
//!
//! Why hand-written rather than `hickory-resolver` (and its `hickory-proto` parser): the probes
//! need one question to one server (the one `/etc/resolv.conf` names), one deadline the caller
//! sets, each answer read into one fixed 4 KiB buffer, and the raw CNAME chain and every
//! address as observations, so that each address is classified by the address policy before
//! anything connects to it. A resolver library adds what is not wanted here: its own cache,
//! retries and search-list expansion (a name could then resolve through a suffix CloudFront
//! never tries), `hosts` file and system configuration handling, and its own timeouts layered
//! over ours; and hickory-proto alone would replace some 200 lines of bounded parsing, which the
//! hostile suite exercises, with a large dependency. The parser checks every length against
//! what was received and follows at most 32 compression pointers, so a hostile answer is an
//! error, never a panic or a loop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::net::UdpSocket;

pub const TYPE_A: u16 = 1;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_AAAA: u16 = 28;

/// The answer to one question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// CNAME targets, in the order the chain is followed from the question's name.
    pub cnames: Vec<String>,
    pub addresses: Vec<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnsError {
    #[error("nxdomain: the name does not exist")]
    NxDomain,
    #[error("servfail: the resolver could not answer")]
    ServFail,
    #[error("refused by the resolver")]
    Refused,
    #[error("timeout: no answer from {0}")]
    Timeout(SocketAddr),
    #[error("malformed answer: {0}")]
    Malformed(&'static str),
    #[error("rcode {0}")]
    Rcode(u8),
    #[error("{0}")]
    Io(String),
    #[error("invalid name {0:?}")]
    BadName(String),
}

impl DnsError {
    /// A short stable word for the evidence (`nxdomain`, `servfail`, `timeout`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            DnsError::NxDomain => "nxdomain",
            DnsError::ServFail => "servfail",
            DnsError::Refused => "refused",
            DnsError::Timeout(_) => "timeout",
            DnsError::Malformed(_) => "malformed",
            DnsError::Rcode(_) => "error",
            DnsError::Io(_) => "error",
            DnsError::BadName(_) => "invalid-name",
        }
    }
}

/// The first `nameserver` line of a resolv.conf text.
pub fn nameserver_from_resolv_conf(text: &str) -> Option<SocketAddr> {
    text.lines().find_map(|l| {
        let mut parts = l.split_whitespace();
        if parts.next()? != "nameserver" {
            return None;
        }
        let ip: IpAddr = parts.next()?.split('%').next()?.parse().ok()?;
        Some(SocketAddr::new(ip, 53))
    })
}

/// The system's resolver, from `/etc/resolv.conf`.
pub fn system_nameserver() -> Option<SocketAddr> {
    std::fs::read_to_string("/etc/resolv.conf").ok().and_then(|t| nameserver_from_resolv_conf(&t))
}

/// Builds a query for `name` (id, RD set, one question, class IN).
pub fn encode_query(id: u16, name: &str, qtype: u16) -> Result<Vec<u8>, DnsError> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    encode_name(name, &mut out)?;
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    Ok(out)
}

pub fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    let trimmed = name.trim_end_matches('.');
    if trimmed.is_empty() || trimmed.len() > 253 {
        return Err(DnsError::BadName(name.to_string()));
    }
    for label in trimmed.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(DnsError::BadName(name.to_string()));
        }
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    Ok(())
}

/// Reads a possibly compressed name at `pos`; returns the name and the position after it.
pub fn read_name(msg: &[u8], mut pos: usize) -> Result<(String, usize), DnsError> {
    let mut labels: Vec<String> = Vec::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Malformed("name runs past the end"))? as usize;
        if len & 0xC0 == 0xC0 {
            let lo = *msg.get(pos + 1).ok_or(DnsError::Malformed("truncated pointer"))? as usize;
            if end.is_none() {
                end = Some(pos + 2);
            }
            jumps += 1;
            if jumps > 32 {
                return Err(DnsError::Malformed("compression loop"));
            }
            pos = ((len & 0x3F) << 8) | lo;
            continue;
        }
        if len == 0 {
            let after = end.unwrap_or(pos + 1);
            return Ok((labels.join(".").to_ascii_lowercase(), after));
        }
        let label = msg.get(pos + 1..pos + 1 + len).ok_or(DnsError::Malformed("label runs past the end"))?;
        labels.push(String::from_utf8_lossy(label).into_owned());
        if labels.len() > 127 {
            return Err(DnsError::Malformed("too many labels"));
        }
        pos += 1 + len;
    }
}

fn u16_at(msg: &[u8], pos: usize) -> Result<u16, DnsError> {
    msg.get(pos..pos + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or(DnsError::Malformed("record runs past the end"))
}

/// Parses a response to a query with `id` about `name`.
pub fn decode_response(msg: &[u8], id: u16, name: &str) -> Result<Answer, DnsError> {
    if msg.len() < 12 {
        return Err(DnsError::Malformed("shorter than a header"));
    }
    if u16_at(msg, 0)? != id {
        return Err(DnsError::Malformed("answer to another query"));
    }
    match msg[3] & 0x0F {
        0 => {}
        2 => return Err(DnsError::ServFail),
        3 => return Err(DnsError::NxDomain),
        5 => return Err(DnsError::Refused),
        other => return Err(DnsError::Rcode(other)),
    }
    let qd = u16_at(msg, 4)? as usize;
    let an = u16_at(msg, 6)? as usize;
    let mut pos = 12;
    for _ in 0..qd {
        let (_, after) = read_name(msg, pos)?;
        pos = after + 4;
    }
    let mut cname_map: Vec<(String, String)> = Vec::new();
    let mut addrs: Vec<(String, IpAddr)> = Vec::new();
    for _ in 0..an {
        let (owner, after) = read_name(msg, pos)?;
        let rtype = u16_at(msg, after)?;
        let rdlen = u16_at(msg, after + 8)? as usize;
        let rdata_at = after + 10;
        let rdata = msg.get(rdata_at..rdata_at + rdlen).ok_or(DnsError::Malformed("rdata runs past the end"))?;
        match rtype {
            TYPE_A if rdlen == 4 => {
                addrs.push((owner, IpAddr::V4(Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]))))
            }
            TYPE_AAAA if rdlen == 16 => {
                let mut b = [0u8; 16];
                b.copy_from_slice(rdata);
                addrs.push((owner, IpAddr::V6(Ipv6Addr::from(b))));
            }
            TYPE_CNAME => {
                let (target, _) = read_name(msg, rdata_at)?;
                cname_map.push((owner, target));
            }
            _ => {}
        }
        pos = rdata_at + rdlen;
    }
    // Follow the chain from the question's name; keep only addresses of the final name.
    let mut current = name.trim_end_matches('.').to_ascii_lowercase();
    let mut cnames = Vec::new();
    while let Some((_, t)) = cname_map.iter().find(|(o, _)| *o == current) {
        if cnames.contains(t) || cnames.len() > 16 {
            return Err(DnsError::Malformed("CNAME loop"));
        }
        cnames.push(t.clone());
        current = t.clone();
    }
    let addresses = addrs.into_iter().filter(|(o, _)| *o == current).map(|(_, a)| a).collect();
    Ok(Answer { cnames, addresses })
}

/// Asks `server` one question, waiting at most `wait` (one retry within it).
pub async fn query(server: SocketAddr, name: &str, qtype: u16, wait: Duration) -> Result<Answer, DnsError> {
    let mut id_bytes = [0u8; 2];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut id_bytes)
        .map_err(|_| DnsError::Io("no randomness for the query id".into()))?;
    let id = u16::from_be_bytes(id_bytes);
    let q = encode_query(id, name, qtype)?;
    let bind: SocketAddr = if server.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }
        .parse()
        .map_err(|_| DnsError::Io("bind address".into()))?;
    let sock = UdpSocket::bind(bind).await.map_err(|e| DnsError::Io(e.to_string()))?;
    sock.connect(server).await.map_err(|e| DnsError::Io(e.to_string()))?;
    let attempt = wait / 2;
    let mut buf = vec![0u8; 4096];
    for _ in 0..2 {
        sock.send(&q).await.map_err(|e| DnsError::Io(e.to_string()))?;
        let deadline = tokio::time::Instant::now() + attempt;
        loop {
            match tokio::time::timeout_at(deadline, sock.recv(&mut buf)).await {
                Err(_) => break,
                Ok(Err(e)) => return Err(DnsError::Io(e.to_string())),
                Ok(Ok(n)) => match decode_response(&buf[..n], id, name) {
                    // A stray datagram for another id: keep waiting.
                    Err(DnsError::Malformed("answer to another query")) => continue,
                    other => return other,
                },
            }
        }
    }
    Err(DnsError::Timeout(server))
}

/// A and AAAA for a name, merged; the CNAME chain from whichever answer had it.
pub async fn resolve_both(server: SocketAddr, name: &str, wait: Duration) -> Result<Answer, DnsError> {
    let (a, aaaa) = tokio::join!(query(server, name, TYPE_A, wait), query(server, name, TYPE_AAAA, wait));
    match (a, aaaa) {
        (Ok(mut a), Ok(b)) => {
            if a.cnames.is_empty() {
                a.cnames = b.cnames;
            }
            a.addresses.extend(b.addresses);
            Ok(a)
        }
        (Ok(a), Err(_)) | (Err(_), Ok(a)) => Ok(a),
        (Err(e), Err(_)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer_packet(id: u16, rcode: u8, records: &[(&str, u16, Vec<u8>)]) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&id.to_be_bytes());
        m.extend_from_slice(&[0x81, 0x80 | rcode, 0, 1]);
        m.extend_from_slice(&(records.len() as u16).to_be_bytes());
        m.extend_from_slice(&[0, 0, 0, 0]);
        encode_name("www.example.com", &mut m).unwrap();
        m.extend_from_slice(&[0, 1, 0, 1]);
        for (owner, t, data) in records {
            // Owner written with a pointer to the question when it is the question's name.
            if *owner == "www.example.com" {
                m.extend_from_slice(&[0xC0, 12]);
            } else {
                encode_name(owner, &mut m).unwrap();
            }
            m.extend_from_slice(&t.to_be_bytes());
            m.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
            m.extend_from_slice(&(data.len() as u16).to_be_bytes());
            m.extend_from_slice(data);
        }
        m
    }

    #[test]
    fn follows_the_cname_chain_and_reads_addresses() {
        let mut cname = Vec::new();
        encode_name("d111.cloudfront.net", &mut cname).unwrap();
        let pkt = answer_packet(
            7,
            0,
            &[("www.example.com", TYPE_CNAME, cname), ("d111.cloudfront.net", TYPE_A, vec![192, 0, 2, 1])],
        );
        let a = decode_response(&pkt, 7, "WWW.example.com.").unwrap();
        assert_eq!(a.cnames, vec!["d111.cloudfront.net"]);
        assert_eq!(a.addresses, vec!["192.0.2.1".parse::<IpAddr>().unwrap()]);
    }

    #[test]
    fn rcodes_and_garbage_are_errors() {
        assert_eq!(decode_response(&answer_packet(1, 3, &[]), 1, "www.example.com"), Err(DnsError::NxDomain));
        assert_eq!(decode_response(&answer_packet(1, 2, &[]), 1, "www.example.com"), Err(DnsError::ServFail));
        assert!(decode_response(&answer_packet(1, 0, &[]), 2, "www.example.com").is_err());
        assert!(decode_response(&[0; 5], 0, "x").is_err());
        // A pointer to itself must not loop forever.
        let mut evil = answer_packet(1, 0, &[]);
        evil.truncate(12);
        evil.extend_from_slice(&[0xC0, 12]);
        assert!(read_name(&evil, 12).is_err());
    }

    #[test]
    fn resolv_conf_gives_the_first_nameserver() {
        let t = "# c\nsearch x\nnameserver 10.0.0.2\nnameserver 1.1.1.1\n";
        assert_eq!(nameserver_from_resolv_conf(t), Some("10.0.0.2:53".parse().unwrap()));
        assert_eq!(nameserver_from_resolv_conf("search x"), None);
        assert!(encode_query(1, "a..b", TYPE_A).is_err());
    }
}
