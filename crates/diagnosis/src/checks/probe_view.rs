//! Read-only helpers the request-shaping and viewer-side checks share: pairing a CloudFront-shaped
//! origin probe with its viewer-shaped twin, reading edge probes, describing a response.

use crate::evidence::{
    Behavior, Distribution, Evidence, Hop, HttpResponse, ProbeRecord, ProbeTarget, RequestShape, Scheme,
};

/// A CloudFront-shaped GET to an origin and the viewer-shaped GET of the same path, scheme and port.
pub struct ShapePair<'a> {
    pub origin_id: &'a str,
    pub cf: &'a ProbeRecord,
    pub viewer: Option<&'a ProbeRecord>,
    /// The viewer's request with CloudFront's Host, when CloudFront sends another Host.
    pub viewer_cf_host: Option<&'a ProbeRecord>,
}

fn origin_key(p: &ProbeRecord) -> Option<(&str, Scheme, u16)> {
    match &p.target {
        ProbeTarget::Origin { origin_id, scheme, port, .. } => Some((origin_id.as_str(), *scheme, *port)),
        ProbeTarget::Edge { .. } => None,
    }
}

/// Every CloudFront-shaped GET origin probe, with its viewer-shaped twin when there is one.
pub fn shape_pairs(ev: &Evidence) -> Vec<ShapePair<'_>> {
    let probes = &ev.observations.probes;
    probes
        .iter()
        .filter(|p| p.shape == RequestShape::Cloudfront && p.method == "GET")
        .filter_map(|cf| {
            let (origin_id, scheme, port) = origin_key(cf)?;
            let twin = |shape: RequestShape| {
                probes.iter().find(|v| {
                    v.shape == shape
                        && v.method == "GET"
                        && origin_key(v) == Some((origin_id, scheme, port))
                        && v.viewer_path == cf.viewer_path
                })
            };
            Some(ShapePair {
                origin_id,
                cf,
                viewer: twin(RequestShape::Viewer),
                viewer_cf_host: twin(RequestShape::ViewerWithCloudfrontHost),
            })
        })
        .collect()
}

/// The first response of a probe (before any redirect was followed).
pub fn first(p: &ProbeRecord) -> Option<&HttpResponse> {
    p.first_response()
}

pub fn is_success(r: &HttpResponse) -> bool {
    (200..400).contains(&r.status)
}

/// Edge probes (through the distribution), any hostname, any method; a GET sent with a body is
/// left out (only `get-with-body` reads it: CloudFront refuses it whatever else is right).
pub fn edge(ev: &Evidence) -> impl Iterator<Item = &ProbeRecord> {
    ev.observations.edge_probes()
}

pub fn edge_hostname(p: &ProbeRecord) -> Option<&str> {
    match &p.target {
        ProbeTarget::Edge { hostname, .. } => Some(hostname),
        ProbeTarget::Origin { .. } => None,
    }
}

/// The last response an edge probe got (after redirects), with the hop.
pub fn last_response(p: &ProbeRecord) -> Option<(&Hop, &HttpResponse)> {
    p.last_hop().and_then(|h| h.response().map(|r| (h, r)))
}

/// `GET https://host/path → 403 (Server: awselb/2.0)` style one-liner for evidence.
pub fn describe(p: &ProbeRecord) -> String {
    let url = p.hops.first().map(|h| h.url.as_str()).unwrap_or("?");
    let host = p.hops.first().map(|h| h.host_header.as_str()).unwrap_or("?");
    match p.hops.first().map(|h| &h.result) {
        Some(crate::evidence::HopResult::Response(r)) => {
            let mut s = format!("{} {url} (Host: {host}) → {}", p.method, r.status);
            if let Some(page) = &r.cloudfront_error {
                s.push_str(&format!(
                    ", CloudFront's error page{}",
                    page.reason.as_ref().map(|x| format!(": \"{x}\"")).unwrap_or_default()
                ));
            } else if let Some(server) = r.header("server") {
                s.push_str(&format!(" (Server: {server})"));
            }
            s
        }
        Some(crate::evidence::HopResult::Error(e)) => {
            format!("{} {url} (Host: {host}) failed: {}", p.method, e.message)
        }
        None => format!("{} {url}: not run", p.method),
    }
}

/// The behaviors the probed paths (and the method-probe path) fall under, once each.
pub fn behaviors_in_use(ev: &Evidence) -> Vec<&Behavior> {
    let d = &ev.inventory.distribution;
    let mut out: Vec<&Behavior> = Vec::new();
    for p in ev.request.paths.iter().chain(ev.request.method_probe_path.iter()) {
        let b = d.behavior_for_path(p);
        if !out.iter().any(|x| std::ptr::eq(*x, b)) {
            out.push(b);
        }
    }
    out
}

/// The behavior a probed viewer path falls under.
pub fn behavior_of<'a>(d: &'a Distribution, p: &ProbeRecord) -> &'a Behavior {
    d.behavior_for_path(p.viewer_path.as_deref().unwrap_or("/"))
}

pub const DOCS_UPDATE: &str = "aws cloudfront get-distribution-config --id {id} > dist.json; edit DistributionConfig; aws cloudfront update-distribution --id {id} --if-match <ETag> --distribution-config file://<DistributionConfig only>.json";

/// The update-distribution CLI hint for a distribution.
pub fn update_cli(d: &Distribution) -> String {
    DOCS_UPDATE.replace("{id}", &d.id)
}
