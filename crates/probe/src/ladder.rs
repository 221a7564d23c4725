//! The request ladder, planned and sent: for each origin and viewer path, the request an
//! engineer sends when the origin "works directly" (the origin's own name as Host, the viewer's
//! full path and query, the declared headers and cookies, this tool's User-Agent), CloudFront's
//! request, and the requests between them that take CloudFront's side of one difference at a
//! time. The rungs are independent GET requests, sent concurrently (bounded per origin), so the
//! ladder costs about one origin round trip; a second round (CloudFront's request with one
//! difference reverted at a time) runs only when no single change explains the failure.
//!
//! The direct request is also sent with the other protocol on CloudFront's port, over the
//! origin's other configured port and the standard port of each scheme, to the same host only:
//! where CloudFront's connection fails, that tells where the application answers.
//!
//! What CloudFront changes in the request: AWS "Request and response behavior for custom
//! origins" (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html>).

use crate::evidence::{
    Answer, Change, Conclusion, Difference, Inventory, Ladder, OriginKind, OriginProtocolPolicy, Rung, RungRequest,
    Scheme,
};
use crate::forwarding;
use crate::plan::{Exchange, PROBE_VIEWER_IP, expected_headers, forwarded_query, user_agent, with_expected_query};
use crate::probe::TlsConfigs;
use crate::probe::http::{self, Context};
use crate::request::{DiagnoseRequest, ProbeSettings};
use futures_util::future::join_all;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::time::Instant as TokioInstant;

/// At most this many ladders per run (origin × viewer path × CloudFront connection).
pub const MAX_LADDERS: usize = 8;
/// At most this many ladder requests in flight toward one origin host.
pub const PER_ORIGIN_CONCURRENCY: usize = 6;

/// One planned ladder: both sides of every attribute, from which any rung is built.
#[derive(Debug, Clone)]
pub struct LadderSpec {
    pub origin_id: String,
    pub viewer_path: String,
    /// The origin's domain name: where every rung connects, and the direct request's Host.
    pub origin_name: String,
    /// CloudFront's scheme and port.
    pub connection: (Scheme, u16),
    /// Other (scheme, port) pairs where the direct request is also sent: the origin's other
    /// configured port, and the standard port of each scheme.
    pub alternates: Vec<(Scheme, u16)>,
    /// The viewer's hostname (the first alias, else the distribution's name).
    pub viewer_host: String,
    /// The Host and TLS server name CloudFront sends.
    pub cloudfront_host: String,
    pub origin_path: String,
    /// The viewer's path and query, with the declared query strings.
    pub direct_path: String,
    /// The same with only the query strings the behavior forwards.
    pub cloudfront_path: String,
    pub direct_headers: Vec<(String, String)>,
    pub cloudfront_headers: Vec<(String, String)>,
    pub direct_authorization: Option<(String, String)>,
    pub cloudfront_authorization: Option<(String, String)>,
    pub direct_cookie: Option<String>,
    pub cloudfront_cookie: Option<String>,
    /// CloudFront's User-Agent (its own, or the viewer's when the behavior forwards it).
    pub cloudfront_user_agent: String,
    /// The custom origin headers with their real values (sent, never recorded).
    pub custom: Vec<(String, String)>,
    /// The differences, in ladder order (the connection is added when an alternate answers).
    pub differences: Vec<Difference>,
}

impl LadderSpec {
    fn switches(&self) -> Vec<Change> {
        self.differences.iter().map(|d| d.change).filter(|c| !matches!(c, Change::Host | Change::Sni)).collect()
    }

    fn sni(&self, scheme: Scheme, name: &str) -> Option<String> {
        (scheme == Scheme::Https).then(|| name.to_string())
    }

    /// The direct request on this connection with this Host.
    fn base(&self, (scheme, port): (Scheme, u16), host: &str) -> RungRequest {
        RungRequest {
            scheme,
            port,
            host: host.to_string(),
            sni: self.sni(scheme, &self.origin_name),
            cloudfront: Vec::new(),
        }
    }

    /// CloudFront's request.
    fn cloudfront(&self) -> RungRequest {
        let (scheme, port) = self.connection;
        RungRequest {
            scheme,
            port,
            host: self.cloudfront_host.clone(),
            sni: self.sni(scheme, &self.cloudfront_host),
            cloudfront: self.switches(),
        }
    }

    /// CloudFront's request with one difference reverted to the direct side.
    fn reverted(&self, c: Change) -> RungRequest {
        let mut r = self.cloudfront();
        match c {
            Change::Host => r.host = self.origin_name.clone(),
            Change::Sni => r.sni = self.sni(r.scheme, &self.origin_name),
            Change::Connection => {}
            other => r.cloudfront.retain(|x| *x != other),
        }
        r
    }

    /// The request bytes for a rung.
    pub fn exchange(&self, r: &RungRequest) -> Exchange {
        let cf = |c: Change| r.cloudfront.contains(&c);
        let path = if cf(Change::QueryStrings) { &self.cloudfront_path } else { &self.direct_path };
        let path_and_query =
            if cf(Change::OriginPath) { format!("{}{}", self.origin_path, path) } else { path.clone() };
        let mut headers = Vec::new();
        if cf(Change::CloudfrontHeaders) {
            headers.push(("User-Agent".to_string(), self.cloudfront_user_agent.clone()));
            headers.push(("X-Forwarded-For".to_string(), PROBE_VIEWER_IP.to_string()));
            headers.push(("Via".to_string(), "1.1 cf-origin-doctor.cloudfront.net (CloudFront)".to_string()));
            headers.push(("Accept-Encoding".to_string(), "gzip".to_string()));
        } else {
            headers.push(("User-Agent".to_string(), user_agent()));
        }
        headers.extend(if cf(Change::Headers) { self.cloudfront_headers.clone() } else { self.direct_headers.clone() });
        let auth = if cf(Change::Authorization) { &self.cloudfront_authorization } else { &self.direct_authorization };
        headers.extend(auth.iter().cloned());
        let cookie = if cf(Change::Cookies) { &self.cloudfront_cookie } else { &self.direct_cookie };
        if let Some(c) = cookie {
            headers.push(("Cookie".to_string(), c.clone()));
        }
        if cf(Change::CustomHeaders) {
            for (n, v) in &self.custom {
                headers.retain(|(h, _)| !h.eq_ignore_ascii_case(n));
                headers.push((n.clone(), v.clone()));
            }
        }
        Exchange {
            scheme: r.scheme,
            connect_host: self.origin_name.clone(),
            port: r.port,
            method: "GET".into(),
            path_and_query,
            host_header: r.host.clone(),
            sni: r.sni.clone(),
            headers,
            redact: self.custom.iter().map(|(n, _)| n.clone()).collect(),
            body: None,
        }
    }

    fn label(&self, r: &RungRequest) -> String {
        let cloudfront = self.cloudfront();
        if *r == cloudfront {
            return "CloudFront's request".into();
        }
        let base_conn = (r.scheme, r.port) != self.connection;
        let direct_host = r.host.eq_ignore_ascii_case(&self.origin_name);
        let direct_sni = r.sni.as_deref().is_none_or(|s| s.eq_ignore_ascii_case(&self.origin_name));
        let is_base =
            r.cloudfront.is_empty() && direct_sni && (direct_host || base_conn || r.host != self.cloudfront_host);
        if is_base {
            let mut s = "direct".to_string();
            if base_conn {
                s.push_str(&format!(" on {}:{}", r.scheme.as_str(), r.port));
            }
            if !r.host.eq_ignore_ascii_case(&self.origin_name) {
                s.push_str(&format!(", Host: {}", r.host));
            }
            return s;
        }
        let applied: Vec<&str> = Change::ALL
            .iter()
            .filter(|c| match c {
                Change::Host => !r.host.eq_ignore_ascii_case(&self.origin_name),
                Change::Sni => r.sni.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case(&self.origin_name)),
                Change::Connection => false,
                other => r.cloudfront.contains(other),
            })
            .map(|c| c.as_str())
            .collect();
        let reverted: Vec<&str> = cloudfront
            .cloudfront
            .iter()
            .filter(|c| !r.cloudfront.contains(c))
            .map(|c| c.as_str())
            .chain((r.host != cloudfront.host).then_some(Change::Host.as_str()))
            .chain((r.sni != cloudfront.sni && r.host == cloudfront.host).then_some(Change::Sni.as_str()))
            .collect();
        if reverted.len() == 1 && applied.len() > 1 {
            format!("CloudFront's request, {} as sent directly", reverted[0])
        } else {
            format!("direct + {}", applied.join(" + "))
        }
    }
}

/// Plans one ladder per CloudFront connection of each custom origin a probed GET path reaches.
pub fn plan(inventory: &Inventory, request: &DiagnoseRequest) -> Vec<LadderSpec> {
    let d = &inventory.distribution;
    let expect = &request.expect;
    let viewer_host = d.aliases.first().cloned().unwrap_or_else(|| d.domain_name.clone()).to_ascii_lowercase();
    let mut out = Vec::new();
    for path in &request.paths {
        let behavior = d.behavior_for_path(path);
        let Some(origin) = d.origin(&behavior.target_origin_id) else { continue };
        let OriginKind::Custom(custom) = &origin.kind else { continue };
        // Without the behavior's forwarding rules, CloudFront's side is not known.
        let Ok(fwd) = forwarding::for_behavior(behavior) else { continue };
        let origin_name = origin.domain_name.to_ascii_lowercase();
        let cloudfront_host = if fwd.forwards_host() { viewer_host.clone() } else { origin_name.clone() };
        let is_auth = |h: &str| h.eq_ignore_ascii_case("authorization");
        let all_declared = expected_headers(expect, |h| !is_auth(h), |_| false);
        let cf_declared = expected_headers(expect, |h| !is_auth(h) && fwd.headers.contains(h), |_| false);
        let auth = |keep: bool| {
            expect
                .headers
                .iter()
                .find(|h| is_auth(h))
                .filter(|_| keep)
                .map(|h| (h.clone(), crate::plan::PROBE_VALUE.to_string()))
        };
        let cookie = |keep: &dyn Fn(&str) -> bool| {
            expected_headers(expect, |_| false, keep).into_iter().find(|(n, _)| n == "Cookie").map(|(_, v)| v)
        };
        let direct_path = with_expected_query(path, &expect.query_strings, |_| true);
        let cloudfront_path =
            with_expected_query(&forwarded_query(path, &fwd.query_strings), &expect.query_strings, |n| {
                fwd.query_strings.contains(n)
            });
        let custom_headers: Vec<(String, String)> = origin
            .custom_headers
            .iter()
            .filter_map(|h| h.value.expose().map(|v| (h.name.clone(), v.to_string())))
            .collect();
        // With match-viewer, CloudFront uses HTTP toward the origin only for viewers it lets in
        // over HTTP (ViewerProtocolPolicy allow-all).
        let viewers_use_http = behavior.viewer_protocol_policy == crate::evidence::ViewerProtocolPolicy::AllowAll;
        let connections = custom.origin_connections().into_iter().filter(|(s, _)| {
            custom.protocol_policy != OriginProtocolPolicy::MatchViewer || *s == Scheme::Https || viewers_use_http
        });
        for (scheme, port) in connections {
            let mut spec = LadderSpec {
                origin_id: origin.id.clone(),
                viewer_path: path.clone(),
                origin_name: origin_name.clone(),
                connection: (scheme, port),
                alternates: Vec::new(),
                viewer_host: viewer_host.clone(),
                cloudfront_host: cloudfront_host.clone(),
                origin_path: origin.origin_path.clone(),
                direct_path: direct_path.clone(),
                cloudfront_path: cloudfront_path.clone(),
                direct_headers: all_declared.clone(),
                cloudfront_headers: cf_declared.clone(),
                direct_authorization: auth(true),
                cloudfront_authorization: auth(fwd.forwards_authorization()),
                direct_cookie: cookie(&|_| true),
                cloudfront_cookie: cookie(&|c| fwd.cookies.contains(c)),
                cloudfront_user_agent: if fwd.headers.contains("user-agent") {
                    user_agent()
                } else {
                    "Amazon CloudFront".to_string()
                },
                custom: custom_headers.clone(),
                differences: Vec::new(),
            };
            let other = match scheme {
                Scheme::Http => Scheme::Https,
                Scheme::Https => Scheme::Http,
            };
            // The other protocol on CloudFront's own port first: a port that speaks the other
            // protocol is the commonest mismatch.
            for alt in [
                (other, port),
                match scheme {
                    Scheme::Http => (Scheme::Https, custom.https_port),
                    Scheme::Https => (Scheme::Http, custom.http_port),
                },
                (Scheme::Http, 80),
                (Scheme::Https, 443),
            ] {
                if alt != (scheme, port) && !spec.alternates.contains(&alt) {
                    spec.alternates.push(alt);
                }
            }
            spec.differences = differences(&spec, &fwd);
            out.push(spec);
        }
    }
    fair_share(out)
}

/// At most [`MAX_LADDERS`], taken in turn from each origin (in the order the paths name them), so
/// that the first paths do not leave a later origin without a ladder.
fn fair_share(specs: Vec<LadderSpec>) -> Vec<LadderSpec> {
    let mut by_origin: Vec<(String, std::collections::VecDeque<LadderSpec>)> = Vec::new();
    for s in specs {
        match by_origin.iter_mut().find(|(o, _)| *o == s.origin_id) {
            Some((_, q)) => q.push_back(s),
            None => by_origin.push((s.origin_id.clone(), std::collections::VecDeque::from([s]))),
        }
    }
    let mut out = Vec::new();
    while out.len() < MAX_LADDERS {
        let before = out.len();
        for (_, q) in &mut by_origin {
            if out.len() < MAX_LADDERS {
                out.extend(q.pop_front());
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

fn differences(s: &LadderSpec, fwd: &forwarding::Forwarding) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut add = |change: Change, direct: String, cloudfront: String| {
        out.push(Difference { change, direct, cloudfront });
    };
    let forwarded = if fwd.forwards_host() { " (the viewer's, forwarded)" } else { "" };
    if s.connection.0 == Scheme::Https && s.cloudfront_host != s.origin_name {
        add(Change::Sni, format!("SNI {}", s.origin_name), format!("SNI {}{forwarded}", s.cloudfront_host));
    }
    if s.cloudfront_host != s.origin_name {
        add(Change::Host, format!("Host: {}", s.origin_name), format!("Host: {}{forwarded}", s.cloudfront_host));
    }
    if !s.origin_path.is_empty() {
        add(Change::OriginPath, s.direct_path.clone(), format!("{}{}", s.origin_path, s.direct_path));
    }
    if s.cloudfront_path != s.direct_path {
        add(Change::QueryStrings, s.direct_path.clone(), s.cloudfront_path.clone());
    }
    if s.cloudfront_cookie != s.direct_cookie {
        add(Change::Cookies, names_of_cookies(&s.direct_cookie), names_of_cookies(&s.cloudfront_cookie));
    }
    if s.cloudfront_headers != s.direct_headers {
        add(Change::Headers, names(&s.direct_headers), names(&s.cloudfront_headers));
    }
    if s.cloudfront_authorization != s.direct_authorization {
        add(Change::Authorization, "Authorization sent".into(), "Authorization dropped".into());
    }
    add(
        Change::CloudfrontHeaders,
        format!("User-Agent: {}", user_agent()),
        format!("User-Agent: {}, Via, X-Forwarded-For", s.cloudfront_user_agent),
    );
    if !s.custom.is_empty() {
        let names: Vec<String> = s.custom.iter().map(|(n, _)| format!("{n}: <redacted>")).collect();
        add(Change::CustomHeaders, "none".into(), names.join(", "));
    }
    out
}

fn names(headers: &[(String, String)]) -> String {
    if headers.is_empty() {
        return "none".into();
    }
    headers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
}

fn names_of_cookies(cookie: &Option<String>) -> String {
    match cookie {
        None => "no cookies".into(),
        Some(c) => {
            let names: Vec<&str> = c.split("; ").map(|kv| kv.split('=').next().unwrap_or("")).collect();
            format!("Cookie: {}", names.join(", "))
        }
    }
}

/// The first round: the direct requests (on CloudFront's connection, on the alternates, and
/// with the viewer's Host when CloudFront sends another), each single change from the direct
/// request, and CloudFront's request.
fn first_round(s: &LadderSpec) -> Vec<(RungRequest, bool)> {
    // The two ends first: against a slow origin, the rungs that go out in the first wave of the
    // per-origin limit are the ones that decide whether there is a difference at all.
    let mut rungs: Vec<(RungRequest, bool)> =
        vec![(s.base(s.connection, &s.origin_name), true), (s.cloudfront(), false)];
    for alt in &s.alternates {
        rungs.push((s.base(*alt, &s.origin_name), true));
    }
    if s.viewer_host != s.cloudfront_host && s.viewer_host != s.origin_name {
        rungs.push((s.base(s.connection, &s.viewer_host), true));
    }
    let direct = s.base(s.connection, &s.origin_name);
    for d in &s.differences {
        let mut r = direct.clone();
        match d.change {
            Change::Host => r.host = s.cloudfront_host.clone(),
            Change::Sni => r.sni = s.sni(r.scheme, &s.cloudfront_host),
            Change::Connection => continue,
            other => r.cloudfront.push(other),
        }
        rungs.push((r, false));
    }
    dedup(rungs)
}

fn dedup(rungs: Vec<(RungRequest, bool)>) -> Vec<(RungRequest, bool)> {
    let mut out: Vec<(RungRequest, bool)> = Vec::new();
    for (r, base) in rungs {
        match out.iter_mut().find(|(x, _)| *x == r) {
            Some(existing) => existing.1 |= base,
            None => out.push((r, base)),
        }
    }
    out
}

/// Runs every planned ladder within the phase's deadline.
pub async fn run(
    specs: &[LadderSpec],
    settings: &ProbeSettings,
    tls: &TlsConfigs,
    deadline: TokioInstant,
) -> Vec<Ladder> {
    let mut limits: HashMap<&str, Arc<Semaphore>> = HashMap::new();
    for s in specs {
        limits.entry(s.origin_name.as_str()).or_insert_with(|| Arc::new(Semaphore::new(PER_ORIGIN_CONCURRENCY)));
    }
    join_all(specs.iter().map(|s| {
        let limit = limits.get(s.origin_name.as_str()).cloned().unwrap_or_else(|| Arc::new(Semaphore::new(1)));
        run_one(s, settings, tls, deadline, limit)
    }))
    .await
}

async fn run_one(
    spec: &LadderSpec,
    settings: &ProbeSettings,
    tls: &TlsConfigs,
    deadline: TokioInstant,
    limit: Arc<Semaphore>,
) -> Ladder {
    let rungs = send(spec, &first_round(spec), settings, tls, deadline, &limit).await;
    let cloudfront = spec.cloudfront();
    let mut ladder = Ladder {
        origin_id: spec.origin_id.clone(),
        origin_name: spec.origin_name.clone(),
        viewer_path: spec.viewer_path.clone(),
        scheme: spec.connection.0,
        port: spec.connection.1,
        differences: spec.differences.clone(),
        cloudfront_rung: rungs.iter().position(|r| r.request == cloudfront).unwrap_or(0),
        rungs,
    };
    // Where the application answers, when it does not on CloudFront's connection.
    let direct_here = spec.base(spec.connection, &spec.origin_name);
    let fails_here = ladder.rungs.iter().any(|r| r.request == direct_here && ladder.answer(r) == Answer::Fails);
    let elsewhere = ladder
        .rungs
        .iter()
        .find(|r| r.base && (r.request.scheme, r.request.port) != spec.connection && ladder.answer(r) == Answer::Works);
    if let (true, Some(alt)) = (fails_here, elsewhere) {
        let (scheme, port) = (alt.request.scheme, alt.request.port);
        ladder.differences.insert(
            0,
            Difference {
                change: Change::Connection,
                direct: format!("{}:{port} (where the origin answers)", scheme.as_str()),
                cloudfront: format!("{}:{}", spec.connection.0.as_str(), spec.connection.1),
            },
        );
    }
    if matches!(ladder.conclusion(), Conclusion::NotIsolated { .. }) {
        let second: Vec<(RungRequest, bool)> = spec
            .differences
            .iter()
            .map(|d| (spec.reverted(d.change), false))
            .filter(|(r, _)| !ladder.rungs.iter().any(|x| x.request == *r))
            .collect();
        let more = send(spec, &dedup(second), settings, tls, deadline, &limit).await;
        ladder.rungs.extend(more);
    }
    ladder
}

async fn send(
    spec: &LadderSpec,
    rungs: &[(RungRequest, bool)],
    settings: &ProbeSettings,
    tls: &TlsConfigs,
    deadline: TokioInstant,
    limit: &Semaphore,
) -> Vec<Rung> {
    join_all(rungs.iter().map(|(r, base)| async move {
        let exchange = spec.exchange(r);
        let mut rung = Rung {
            label: spec.label(r),
            base: *base,
            request: r.clone(),
            path_and_query: exchange.path_and_query.clone(),
            request_headers: exchange.recorded_headers().into_iter().skip(1).collect(),
            hop: None,
            not_run: None,
        };
        let Ok(_permit) = limit.acquire().await else {
            rung.not_run = Some("the ladder's request limit was closed".into());
            return rung;
        };
        if TokioInstant::now() >= deadline {
            rung.not_run = Some("the probe phase's time budget ran out".into());
            return rung;
        }
        let config = match r.scheme {
            Scheme::Https => Arc::clone(&tls.cloudfront_to_origin),
            Scheme::Http => Arc::clone(&tls.viewer),
        };
        let ctx = Context {
            limits: &settings.limits,
            overrides: &settings.connect_to,
            allow_private: settings.allow_private_targets,
            tls: config,
            deadline,
            dns_server: settings.dns_server,
        };
        rung.hop = Some(http::run(&exchange, &ctx).await);
        rung
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{CustomHeader, Expectations, OriginProtocolPolicy, SecretValue};

    fn inventory(cache_policy: &str, orp: Option<&str>, policy: OriginProtocolPolicy) -> Inventory {
        let mut ev = crate::testing::evidence(
            crate::testing::custom_origin("o1", "app.example.org", policy),
            crate::evidence::Fetch::NotApplicable { reason: "t".into() },
        );
        ev.inventory.distribution.aliases = vec!["www.example.com".into()];
        ev.inventory.distribution.default_behavior.cache_policy_id = Some(cache_policy.into());
        ev.inventory.distribution.default_behavior.origin_request_policy_id = orp.map(str::to_string);
        ev.inventory.distribution.origins[0].custom_headers =
            vec![CustomHeader { name: "X-Origin-Verify".into(), value: SecretValue::new("s3cr3t") }];
        ev.inventory
    }

    const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
    const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
    const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";

    fn header<'a>(e: &'a Exchange, name: &str) -> Option<&'a str> {
        e.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_direct_request_and_cloudfronts_differ_in_what_the_behavior_drops() {
        let inv = inventory(CACHING_OPTIMIZED, None, OriginProtocolPolicy::HttpOnly);
        let req = DiagnoseRequest::new("EABC", &["/search?q=x".into()]).unwrap();
        let specs = plan(&inv, &req);
        assert_eq!(specs.len(), 1);
        let s = &specs[0];
        let changes: Vec<Change> = s.differences.iter().map(|d| d.change).collect();
        assert_eq!(changes, vec![Change::QueryStrings, Change::CloudfrontHeaders, Change::CustomHeaders]);
        let direct = s.exchange(&s.base(s.connection, &s.origin_name));
        assert_eq!(direct.path_and_query, "/search?q=x");
        assert_eq!(direct.host_header, "app.example.org");
        assert_eq!(header(&direct, "X-Origin-Verify"), None);
        let cf = s.exchange(&s.cloudfront());
        assert_eq!(cf.path_and_query, "/search");
        assert_eq!(header(&cf, "User-Agent"), Some("Amazon CloudFront"));
        assert_eq!(header(&cf, "X-Origin-Verify"), Some("s3cr3t"));
        assert!(cf.recorded_headers().iter().all(|h| h.value != "s3cr3t"));
        // The alternates: the other protocol on CloudFront's port, the other configured port and
        // the standard ports, not CloudFront's own.
        assert_eq!(s.alternates, vec![(Scheme::Https, 80), (Scheme::Https, 443)]);
        assert!(!s.alternates.contains(&s.connection));
    }

    #[test]
    fn the_first_round_has_the_bases_each_single_change_and_cloudfronts_request_once_each() {
        let inv = inventory(CACHING_DISABLED, Some(ALL_VIEWER), OriginProtocolPolicy::HttpsOnly);
        let req = DiagnoseRequest::new("EABC", &["/".into()]).unwrap();
        let s = &plan(&inv, &req)[0];
        let changes: Vec<Change> = s.differences.iter().map(|d| d.change).collect();
        assert_eq!(changes, vec![Change::Sni, Change::Host, Change::CloudfrontHeaders, Change::CustomHeaders]);
        let round = first_round(s);
        // direct, direct on http:443 and on http:80 (the HTTPPort and the standard one
        // coincide), the four singles, CloudFront's request; the viewer's Host is CloudFront's,
        // so no extra base.
        assert_eq!(round.len(), 8, "{round:#?}");
        assert_eq!(round.iter().filter(|(_, base)| *base).count(), 3);
        assert_eq!(round.get(1).map(|(r, _)| r), Some(&s.cloudfront()), "the two ends go out first");
        let cf = s.exchange(&s.cloudfront());
        assert_eq!(cf.host_header, "www.example.com");
        assert_eq!(cf.sni.as_deref(), Some("www.example.com"));
        // With the viewer's User-Agent forwarded, CloudFront passes it on.
        assert_ne!(header(&cf, "User-Agent"), Some("Amazon CloudFront"));
        let labels: Vec<String> = round.iter().map(|(r, _)| s.label(r)).collect();
        assert_eq!(
            labels,
            [
                "direct",
                "CloudFront's request",
                "direct on http:443",
                "direct on http:80",
                "direct + TLS server name",
                "direct + Host",
                "direct + CloudFront's own headers",
                "direct + custom origin headers",
            ]
        );
    }

    #[test]
    fn declared_needs_are_on_the_direct_side_and_only_forwarded_ones_on_cloudfronts() {
        let inv = inventory(CACHING_OPTIMIZED, None, OriginProtocolPolicy::HttpOnly);
        let req = DiagnoseRequest::new("EABC", &["/".into()])
            .unwrap()
            .with_expectations(
                Expectations {
                    headers: vec!["Authorization".into(), "X-Tenant".into()],
                    cookies: vec!["session".into()],
                    ..Default::default()
                },
                None,
            )
            .unwrap();
        let s = &plan(&inv, &req)[0];
        let changes: Vec<Change> = s.differences.iter().map(|d| d.change).collect();
        assert_eq!(
            changes,
            vec![
                Change::Cookies,
                Change::Headers,
                Change::Authorization,
                Change::CloudfrontHeaders,
                Change::CustomHeaders
            ]
        );
        let direct = s.exchange(&s.base(s.connection, &s.origin_name));
        assert!(header(&direct, "Authorization").is_some() && header(&direct, "X-Tenant").is_some());
        assert!(header(&direct, "Cookie").is_some_and(|c| c.starts_with("session=")));
        let cf = s.exchange(&s.cloudfront());
        assert!(header(&cf, "Authorization").is_none() && header(&cf, "X-Tenant").is_none());
        assert!(header(&cf, "Cookie").is_none());
        let auth_only = s
            .exchange(&RungRequest { cloudfront: vec![Change::Authorization], ..s.base(s.connection, &s.origin_name) });
        assert!(header(&auth_only, "Authorization").is_none() && header(&auth_only, "X-Tenant").is_some());
    }

    #[test]
    fn match_viewer_climbs_over_http_only_for_viewers_let_in_over_http() {
        use crate::evidence::ViewerProtocolPolicy;
        let mut inv = inventory(CACHING_OPTIMIZED, None, OriginProtocolPolicy::MatchViewer);
        let req = DiagnoseRequest::new("EABC", &["/".into()]).unwrap();
        inv.distribution.default_behavior.viewer_protocol_policy = ViewerProtocolPolicy::RedirectToHttps;
        let schemes: Vec<Scheme> = plan(&inv, &req).iter().map(|s| s.connection.0).collect();
        assert_eq!(schemes, vec![Scheme::Https]);
        inv.distribution.default_behavior.viewer_protocol_policy = ViewerProtocolPolicy::AllowAll;
        assert_eq!(plan(&inv, &req).len(), 2);
    }

    #[test]
    fn ladders_are_shared_among_origins_within_the_bound() {
        let mut inv = inventory(CACHING_OPTIMIZED, None, OriginProtocolPolicy::HttpOnly);
        let mut second = inv.distribution.origins[0].clone();
        second.id = "api".into();
        second.domain_name = "api.example.org".into();
        inv.distribution.origins.push(second);
        let mut api = inv.distribution.default_behavior.clone();
        api.path_pattern = Some("/api/*".into());
        api.target_origin_id = "api".into();
        inv.distribution.behaviors.push(api);
        let paths: Vec<String> = (0..12).map(|i| format!("/page{i}")).chain(["/api/status".to_string()]).collect();
        let specs = plan(&inv, &DiagnoseRequest::new("EABC", &paths).unwrap());
        assert_eq!(specs.len(), MAX_LADDERS);
        assert!(specs.iter().any(|s| s.origin_id == "api"), "the last path's origin still gets a ladder");
    }
}
