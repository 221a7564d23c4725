//! A DNS stand-in on loopback (UDP): answers A, AAAA and CNAME questions from a fixed table,
//! following CNAMEs inside the table the way a recursive resolver returns a chain; unknown
//! names get NXDOMAIN, names listed as failing get SERVFAIL.

use cf_origin_doctor::probe::dns::{TYPE_A, TYPE_AAAA, TYPE_CNAME, encode_name, read_name};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub enum Record {
    Addr(IpAddr),
    Cname(String),
    ServFail,
}

pub struct DnsServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn start(records: Vec<(&str, Record)>) -> DnsServer {
    let mut table: HashMap<String, Vec<Record>> = HashMap::new();
    for (name, r) in records {
        table.entry(name.to_ascii_lowercase()).or_default().push(r);
    }
    let table = Arc::new(table);
    let sock = UdpSocket::bind("127.0.0.1:0").await.expect("bind dns");
    let addr = sock.local_addr().expect("dns addr");
    let task = tokio::spawn(async move {
        let mut buf = vec![0u8; 1500];
        loop {
            let Ok((n, peer)) = sock.recv_from(&mut buf).await else {
                continue;
            };
            if let Some(answer) = answer(&buf[..n], &table) {
                let _ = sock.send_to(&answer, peer).await;
            }
        }
    });
    DnsServer { addr, task }
}

fn answer(q: &[u8], table: &HashMap<String, Vec<Record>>) -> Option<Vec<u8>> {
    if q.len() < 12 {
        return None;
    }
    let (name, after) = read_name(q, 12).ok()?;
    let qtype = u16::from_be_bytes([*q.get(after)?, *q.get(after + 1)?]);
    let question = q.get(12..after + 4)?.to_vec();
    let mut records: Vec<Vec<u8>> = Vec::new();
    let mut current = name.clone();
    let mut rcode = 0u8;
    for _ in 0..8 {
        let Some(entries) = table.get(&current) else {
            if current == name {
                rcode = 3;
            }
            break;
        };
        if entries.iter().any(|r| matches!(r, Record::ServFail)) {
            rcode = 2;
            break;
        }
        if let Some(Record::Cname(target)) = entries.iter().find(|r| matches!(r, Record::Cname(_))) {
            let mut data = Vec::new();
            encode_name(target, &mut data).ok()?;
            records.push(rr(&current, TYPE_CNAME, &data)?);
            current = target.to_ascii_lowercase();
            continue;
        }
        for r in entries {
            match r {
                Record::Addr(IpAddr::V4(v4)) if qtype == TYPE_A => records.push(rr(&current, TYPE_A, &v4.octets())?),
                Record::Addr(IpAddr::V6(v6)) if qtype == TYPE_AAAA => {
                    records.push(rr(&current, TYPE_AAAA, &v6.octets())?)
                }
                _ => {}
            }
        }
        break;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&q[0..2]);
    out.push(0x81);
    out.push(0x80 | rcode);
    out.extend_from_slice(&[0, 1]);
    out.extend_from_slice(&(records.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&question);
    for r in records {
        out.extend_from_slice(&r);
    }
    Some(out)
}

fn rr(owner: &str, rtype: u16, data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    encode_name(owner, &mut out).ok()?;
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0, 30]);
    out.extend_from_slice(&(data.len() as u16).to_be_bytes());
    out.extend_from_slice(data);
    Some(out)
}
