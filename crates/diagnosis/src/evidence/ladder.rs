//! The request ladder: from the request that works when the origin is hit directly (the origin's
//! own name as Host, the viewer's full path and query, a curl-like client, over the scheme and
//! port the origin serves) to the request CloudFront sends, one difference at a time. The first
//! difference that turns a working answer into a failing one names the cause, proven by the
//! origin's own answers rather than inferred from the configuration.
//!
//! This module holds the recorded ladder and the pure reasoning over it ([`Ladder::conclusion`]),
//! which both the probes (to decide whether a second round is needed) and the checks read.
//! What CloudFront changes in the origin request is described in "Request and response behavior
//! for custom origins":
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html>.

use super::{Header, Hop, HopResult, HttpResponse, ProbeStage, ResponseDefect, Scheme, TlsErrorKind};
use serde::{Deserialize, Serialize};

/// One way CloudFront's origin request can differ from the request that works directly, in the
/// order the ladder climbs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// CloudFront's scheme and port (origin protocol policy, `HTTPPort`/`HTTPSPort`) instead of
    /// where the origin answers.
    Connection,
    /// The TLS server name CloudFront sends (the forwarded Host when the behavior forwards it).
    Sni,
    /// The Host header CloudFront sends (the viewer's when forwarded, else the origin's name).
    Host,
    /// The origin path CloudFront puts in front of the viewer's path.
    OriginPath,
    /// The query strings the behavior does not forward, dropped.
    QueryStrings,
    /// The cookies the behavior does not forward, dropped.
    Cookies,
    /// The viewer headers the behavior does not forward (Authorization apart), dropped.
    Headers,
    /// The viewer's `Authorization` header, dropped.
    Authorization,
    /// CloudFront's own request headers: `User-Agent: Amazon CloudFront`, `Via`,
    /// `X-Forwarded-For`, `Accept-Encoding`.
    CloudfrontHeaders,
    /// The distribution's custom origin headers (their values are never recorded).
    CustomHeaders,
}

impl Change {
    /// Every change, in ladder order.
    pub const ALL: [Change; 10] = [
        Change::Connection,
        Change::Sni,
        Change::Host,
        Change::OriginPath,
        Change::QueryStrings,
        Change::Cookies,
        Change::Headers,
        Change::Authorization,
        Change::CloudfrontHeaders,
        Change::CustomHeaders,
    ];

    /// The name in reports and evidence files (as serialized).
    pub fn id(self) -> &'static str {
        match self {
            Change::Connection => "connection",
            Change::Sni => "sni",
            Change::Host => "host",
            Change::OriginPath => "origin_path",
            Change::QueryStrings => "query_strings",
            Change::Cookies => "cookies",
            Change::Headers => "headers",
            Change::Authorization => "authorization",
            Change::CloudfrontHeaders => "cloudfront_headers",
            Change::CustomHeaders => "custom_headers",
        }
    }

    /// For a person.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Connection => "scheme and port",
            Change::Sni => "TLS server name",
            Change::Host => "Host",
            Change::OriginPath => "origin path",
            Change::QueryStrings => "query strings dropped",
            Change::Cookies => "cookies dropped",
            Change::Headers => "headers dropped",
            Change::Authorization => "Authorization dropped",
            Change::CloudfrontHeaders => "CloudFront's own headers",
            Change::CustomHeaders => "custom origin headers",
        }
    }

    /// The attribute is a value the rung carries (connection, Host, SNI) rather than a switch.
    fn is_value(self) -> bool {
        matches!(self, Change::Connection | Change::Sni | Change::Host)
    }
}

/// One difference between the direct request and CloudFront's, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Difference {
    pub change: Change,
    /// The direct request's side, e.g. `Host: app.example.com`.
    pub direct: String,
    /// CloudFront's side, e.g. `Host: www.example.com (forwarded from the viewer)`.
    pub cloudfront: String,
}

/// What one rung sent, as attributes: which side of each difference it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RungRequest {
    pub scheme: Scheme,
    pub port: u16,
    pub host: String,
    /// The TLS server name (None over plain HTTP).
    pub sni: Option<String>,
    /// The switch-like differences (every [`Change`] but connection, SNI and Host) that carry
    /// CloudFront's side.
    pub cloudfront: Vec<Change>,
}

/// One request of the ladder and its first answer (redirects are not followed: the answer itself
/// is what the comparison reads).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// e.g. `direct`, `+ Host`, `CloudFront's request`, `CloudFront's request, Host as direct`.
    pub label: String,
    /// A request an engineer sends "directly": CloudFront's side of no difference but, at most,
    /// another connection (where the origin answers) or the viewer's Host (when CloudFront does
    /// not send it).
    #[serde(default)]
    pub base: bool,
    pub request: RungRequest,
    /// The path and query sent (after the origin path when that side was taken).
    pub path_and_query: String,
    /// Headers sent after Host; secret values appear as `<redacted>`.
    pub request_headers: Vec<Header>,
    /// What came back; None when the rung was not sent (see `not_run`).
    pub hop: Option<Hop>,
    /// Why the rung was not sent (the phase's time budget ran out).
    #[serde(default)]
    pub not_run: Option<String>,
}

/// How a rung's answer reads for the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// A 2xx or 3xx from the origin itself.
    Works,
    /// An HTTP error status, a failed connection or TLS handshake, an unreadable answer.
    Fails,
    /// Not sent, or not observable by the probe's own TLS stack.
    Unknown,
}

impl Rung {
    pub fn response(&self) -> Option<&HttpResponse> {
        self.hop.as_ref().and_then(|h| h.response())
    }

    pub fn answer(&self) -> Answer {
        let Some(hop) = &self.hop else { return Answer::Unknown };
        match &hop.result {
            HopResult::Response(r) if r.cloudfront_error.is_some() => Answer::Fails,
            HopResult::Response(r) if (200..300).contains(&r.status) => Answer::Works,
            // A redirect works as an answer only when it stays where it was sent (a trailing
            // slash, a login page); one to another scheme or host proves neither way.
            HopResult::Response(r) if (300..400).contains(&r.status) => {
                if self.redirect_stays(hop, r) {
                    Answer::Works
                } else {
                    Answer::Unknown
                }
            }
            // Misdirected (an SNI-routed server given another Host than its TLS name, which
            // CloudFront never sends), throttled or briefly unavailable: not the request's fault.
            HopResult::Response(r)
                if r.status == 421 || r.status == 429 || (r.status == 503 && r.header("retry-after").is_some()) =>
            {
                Answer::Unknown
            }
            HopResult::Response(_) => Answer::Fails,
            HopResult::Error(e) => match e.stage {
                ProbeStage::Budget | ProbeStage::Refused | ProbeStage::TlsNotSpokenByProbe => Answer::Unknown,
                _ => Answer::Fails,
            },
        }
    }

    fn redirect_stays(&self, hop: &Hop, r: &HttpResponse) -> bool {
        let (Some(location), Ok(base)) = (r.header("location"), url::Url::parse(&hop.url)) else { return false };
        let Ok(next) = base.join(location) else { return false };
        let host_sent = self.request.host.split(':').next().unwrap_or_default();
        next.scheme() == base.scheme()
            && next.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host_sent) || Some(h) == base.host_str())
    }

    /// A short description of the answer: `200`, `404`, `connection refused`, `TLS: not TLS`.
    pub fn describe_answer(&self) -> String {
        match self.hop.as_ref().map(|h| &h.result) {
            None => self.not_run.clone().map(|r| format!("not sent ({r})")).unwrap_or_else(|| "not sent".into()),
            Some(HopResult::Response(r)) => format!("{} {}", r.status, r.reason).trim_end().to_string(),
            Some(HopResult::Error(e)) => match e.stage {
                ProbeStage::Connect if e.refused => "connection refused".into(),
                ProbeStage::Connect => "connection failed".into(),
                ProbeStage::ConnectTimeout => "connection timed out".into(),
                ProbeStage::Dns => "name did not resolve".into(),
                ProbeStage::Tls => match &e.tls {
                    Some(TlsErrorKind::NotTls) => "TLS handshake answered with plain HTTP".into(),
                    Some(TlsErrorKind::NameMismatch) => "TLS: certificate not valid for the name".into(),
                    Some(TlsErrorKind::Expired) => "TLS: certificate expired".into(),
                    Some(TlsErrorKind::UnknownIssuer) => "TLS: certificate not trusted".into(),
                    Some(TlsErrorKind::Alert(a)) => format!("TLS alert {a}"),
                    _ => "TLS handshake failed".into(),
                },
                ProbeStage::FirstByteTimeout => "no answer within the first-byte bound".into(),
                _ => "no HTTP answer".into(),
            },
        }
    }

    /// What kind of connection-level failure the rung met, if any.
    pub fn transport_failure(&self) -> Option<TransportFailure> {
        let hop = self.hop.as_ref()?;
        match &hop.result {
            HopResult::Error(e) => match (&e.stage, &e.tls) {
                (ProbeStage::Connect, _) if e.refused => Some(TransportFailure::Refused),
                (ProbeStage::ConnectTimeout, _) => Some(TransportFailure::TimedOut),
                (ProbeStage::Dns, _) => Some(TransportFailure::Dns),
                (ProbeStage::Tls, Some(TlsErrorKind::NotTls)) => Some(TransportFailure::PlainHttpOnTlsPort),
                (ProbeStage::Tls, _) => Some(TransportFailure::Tls),
                (ProbeStage::Http, _) if hop.response_defects.contains(&ResponseDefect::TlsRecord) => {
                    Some(TransportFailure::TlsOnPlainPort)
                }
                _ => None,
            },
            HopResult::Response(r) => {
                let tls_answer = hop.response_defects.contains(&ResponseDefect::TlsRecord)
                    || (r.status == 400 && says_plain_http_to_tls_port(&r.body_sample).is_some());
                tls_answer.then_some(TransportFailure::TlsOnPlainPort)
            }
        }
    }
}

/// What nginx and Apache write in the 400 they answer when plain HTTP reaches a port where they
/// expect TLS (nginx's `The plain HTTP request was sent to HTTPS port`, Apache's `speaking plain
/// HTTP to an SSL-enabled server port`): the phrase the body carries, compared case-insensitively.
pub fn says_plain_http_to_tls_port(body: &str) -> Option<&'static str> {
    const PHRASES: [&str; 2] =
        ["the plain http request was sent to https port", "speaking plain http to an ssl-enabled server port"];
    let b = body.to_ascii_lowercase();
    PHRASES.into_iter().find(|p| b.contains(p))
}

/// A failure below HTTP, by what it says about the port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportFailure {
    /// Connection refused: nothing listens there.
    Refused,
    TimedOut,
    Dns,
    /// A TLS hello got a plain HTTP answer: the port speaks HTTP.
    PlainHttpOnTlsPort,
    /// A plain request got TLS (a record, or a server's "plain HTTP to HTTPS port" page).
    TlsOnPlainPort,
    /// Another TLS failure (certificate, negotiation).
    Tls,
}

/// The ladder for one origin, viewer path and CloudFront connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    pub origin_id: String,
    /// The origin's domain name: the direct request's Host and TLS server name.
    #[serde(default)]
    pub origin_name: String,
    pub viewer_path: String,
    /// CloudFront's scheme and port toward the origin.
    pub scheme: Scheme,
    pub port: u16,
    /// What differs between the direct request and CloudFront's, in ladder order.
    pub differences: Vec<Difference>,
    pub rungs: Vec<Rung>,
    /// Index in `rungs` of CloudFront's own request.
    pub cloudfront_rung: usize,
}

/// What the ladder shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conclusion {
    /// CloudFront's request was not sent (the budget ran out) or its answer is not observable.
    Unverified { reason: String },
    /// CloudFront's request works when sent from here: the origin itself accepts it.
    CloudfrontRequestWorks,
    /// No rung works, the direct request included: the origin fails whatever is sent.
    DirectFails { direct: usize },
    /// Applying these changes (one, or several needed together) to a working request makes it
    /// fail. `working` and `failing` are the rungs that show it.
    Breaks { changes: Vec<Change>, working: usize, failing: usize },
    /// A request works and CloudFront's fails, but no change or set of changes was isolated
    /// within the ladder's bound.
    NotIsolated { working: usize },
}

impl Ladder {
    pub fn cloudfront(&self) -> Option<&Rung> {
        self.rungs.get(self.cloudfront_rung)
    }

    /// The changes that lead from `w` to `r`, when `r` differs from `w` only by taking
    /// CloudFront's side of some differences; None when they differ any other way.
    pub fn steps(&self, w: &RungRequest, r: &RungRequest) -> Option<Vec<Change>> {
        let f = &self.cloudfront()?.request;
        let mut out = Vec::new();
        for c in Change::ALL {
            let (wv, rv, fv) = (self.value(w, c), self.value(r, c), self.value(f, c));
            if wv == rv {
                continue;
            }
            if rv != fv {
                return None;
            }
            out.push(c);
        }
        Some(out)
    }

    fn is_base(&self, r: &Rung) -> bool {
        r.base && r.request.cloudfront.is_empty()
    }

    /// The changes that break a working request, judged from the rungs that were answered.
    ///
    /// First, a single change that turns a direct request (a base) that works into one that
    /// fails: the first such in ladder order names the cause. Failing that, the changes that
    /// each, reverted alone from CloudFront's request, make it work: together they are the cause.
    pub fn conclusion(&self) -> Conclusion {
        let Some(cf) = self.cloudfront() else {
            return Conclusion::Unverified { reason: "CloudFront's request is not in the ladder".into() };
        };
        match self.answer(cf) {
            Answer::Works => return Conclusion::CloudfrontRequestWorks,
            Answer::Unknown => {
                return Conclusion::Unverified {
                    reason: cf
                        .not_run
                        .clone()
                        .unwrap_or_else(|| "CloudFront's request got no observable answer".into()),
                };
            }
            Answer::Fails => {}
        }
        let working: Vec<usize> = (0..self.rungs.len())
            .filter(|&i| self.rungs.get(i).is_some_and(|r| self.answer(r) == Answer::Works))
            .collect();
        let Some(&first_working) = working.first() else {
            let direct = self.rungs.iter().position(|r| self.is_base(r)).unwrap_or(self.cloudfront_rung);
            return Conclusion::DirectFails { direct };
        };
        // Single changes from a working base.
        if let Some(&(c, w, ri)) = self.breaking_singles().first() {
            return Conclusion::Breaks { changes: vec![c], working: w, failing: ri };
        }
        // Changes each of which, reverted alone, makes CloudFront's request work.
        let mut needed = Vec::new();
        let mut witness = first_working;
        for &w in &working {
            let Some(wr) = self.rungs.get(w) else { continue };
            if let Some(steps) = self.steps(&wr.request, &cf.request) {
                if let [c] = steps.as_slice() {
                    if !needed.contains(c) {
                        needed.push(*c);
                        witness = w;
                    }
                }
            }
        }
        if needed.is_empty() {
            return Conclusion::NotIsolated { working: first_working };
        }
        needed.sort();
        Conclusion::Breaks { changes: needed, working: witness, failing: self.cloudfront_rung }
    }
}

impl Ladder {
    /// A rung's side of one difference, as a comparable value. Without TLS the server name is
    /// the origin's own (what a TLS connection would send on the direct side).
    fn value(&self, r: &RungRequest, c: Change) -> String {
        match c {
            Change::Connection => format!("{}:{}", r.scheme.as_str(), r.port),
            Change::Host => r.host.to_ascii_lowercase(),
            Change::Sni => r.sni.as_deref().unwrap_or(&self.origin_name).to_ascii_lowercase(),
            other => {
                debug_assert!(!other.is_value());
                if r.cloudfront.contains(&other) { "cloudfront".into() } else { "direct".into() }
            }
        }
    }

    /// How a rung's answer reads here. CloudFront accepts an origin certificate that matches
    /// either the origin's domain or the forwarded Host it sends as the server name (AWS
    /// "HTTP 502 status code (Bad Gateway)": <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-502-bad-gateway.html>);
    /// the probe verifies against the one name it sent, so its name mismatch on another name
    /// than the origin's proves nothing.
    pub fn answer(&self, r: &Rung) -> Answer {
        let other_name = r.request.sni.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case(&self.origin_name));
        let name_mismatch = r
            .hop
            .as_ref()
            .is_some_and(|h| matches!(&h.result, HopResult::Error(e) if e.tls == Some(TlsErrorKind::NameMismatch)));
        if other_name && name_mismatch && !self.origin_name.is_empty() { Answer::Unknown } else { r.answer() }
    }

    /// Every single change that turns a working direct request (a base) into a failing one, with
    /// the rungs that show it, in ladder order (the first is the conclusion's).
    pub fn breaking_singles(&self) -> Vec<(Change, usize, usize)> {
        let mut out: Vec<(Change, usize, usize)> = Vec::new();
        for (w, wr) in self.rungs.iter().enumerate() {
            if !self.is_base(wr) || self.answer(wr) != Answer::Works {
                continue;
            }
            for (ri, r) in self.rungs.iter().enumerate() {
                if self.answer(r) != Answer::Fails {
                    continue;
                }
                if let Some([c]) = self.steps(&wr.request, &r.request).as_deref() {
                    if !out.iter().any(|(x, _, _)| x == c) {
                        out.push((*c, w, ri));
                    }
                }
            }
        }
        out.sort_by_key(|(c, _, _)| *c);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{ladder, rung};
    use Change::*;

    const HTTP80: (Scheme, u16) = (Scheme::Http, 80);
    const ALL_SWITCHES: &[Change] = &[QueryStrings, CloudfrontHeaders, CustomHeaders];

    fn cf(status: u16, host: &str, switches: &[Change]) -> Rung {
        rung("CloudFront's request", false, HTTP80, host, switches, Ok(status))
    }

    #[test]
    fn nothing_fails_when_cloudfronts_request_works() {
        let l = ladder(vec![rung("direct", true, HTTP80, "o", &[], Ok(200)), cf(200, "www", ALL_SWITCHES)], &[]);
        assert_eq!(l.conclusion(), Conclusion::CloudfrontRequestWorks);
    }

    #[test]
    fn the_direct_request_failing_too_means_the_origin_fails() {
        let l = ladder(
            vec![
                rung("direct", true, HTTP80, "o", &[], Ok(503)),
                rung("+ query", false, HTTP80, "o", &[QueryStrings], Ok(503)),
                cf(503, "www", ALL_SWITCHES),
            ],
            &[],
        );
        assert_eq!(l.conclusion(), Conclusion::DirectFails { direct: 0 });
    }

    #[test]
    fn the_first_single_change_that_breaks_a_working_base_is_the_cause() {
        let l = ladder(
            vec![
                rung("direct", true, HTTP80, "o", &[], Ok(200)),
                rung("+ Host", false, HTTP80, "www", &[], Ok(200)),
                rung("+ query", false, HTTP80, "o", &[QueryStrings], Ok(400)),
                rung("+ cf headers", false, HTTP80, "o", &[CloudfrontHeaders], Ok(200)),
                rung("+ custom", false, HTTP80, "o", &[CustomHeaders], Ok(200)),
                cf(400, "www", ALL_SWITCHES),
            ],
            &[],
        );
        assert_eq!(l.conclusion(), Conclusion::Breaks { changes: vec![QueryStrings], working: 0, failing: 2 });
    }

    #[test]
    fn two_changes_needed_together_are_named_together() {
        let l = ladder(
            vec![
                rung("direct", true, HTTP80, "o", &[], Ok(200)),
                rung("+ Host", false, HTTP80, "www", &[], Ok(200)),
                rung("+ query", false, HTTP80, "o", &[QueryStrings], Ok(200)),
                rung("+ cf headers", false, HTTP80, "o", &[CloudfrontHeaders], Ok(200)),
                cf(403, "www", &[QueryStrings, CloudfrontHeaders]),
                // Second round: CloudFront's request with one change reverted.
                rung("cf − Host", false, HTTP80, "o", &[QueryStrings, CloudfrontHeaders], Ok(200)),
                rung("cf − query", false, HTTP80, "www", &[CloudfrontHeaders], Ok(403)),
                rung("cf − cf headers", false, HTTP80, "www", &[QueryStrings], Ok(200)),
            ],
            &[],
        );
        assert_eq!(
            l.conclusion(),
            Conclusion::Breaks { changes: vec![Host, CloudfrontHeaders], working: 7, failing: 4 }
        );
    }

    #[test]
    fn a_refused_port_with_the_app_on_another_names_the_connection() {
        let l = ladder(
            vec![
                rung("direct", true, (Scheme::Http, 8080), "o", &[], Err(ProbeStage::Connect)),
                rung("direct on 80", true, HTTP80, "o", &[], Ok(200)),
                rung(
                    "CloudFront's request",
                    false,
                    (Scheme::Http, 8080),
                    "o",
                    &[CloudfrontHeaders],
                    Err(ProbeStage::Connect),
                ),
            ],
            &[],
        );
        assert_eq!(l.conclusion(), Conclusion::Breaks { changes: vec![Connection], working: 1, failing: 0 });
        assert_eq!(l.rungs[0].transport_failure(), Some(TransportFailure::Refused));
    }

    #[test]
    fn a_budget_that_ran_out_leaves_the_ladder_unverified_or_uses_the_rungs_done() {
        let mut l = ladder(
            vec![
                rung("direct", true, HTTP80, "o", &[], Ok(200)),
                rung("+ query", false, HTTP80, "o", &[QueryStrings], Ok(400)),
                cf(400, "o", &[QueryStrings, CloudfrontHeaders]),
            ],
            &[],
        );
        l.rungs[1].hop = None;
        l.rungs[1].not_run = Some("the probe phase's time budget ran out".into());
        // The single rung was not sent: what was answered does not isolate the change.
        assert_eq!(l.conclusion(), Conclusion::NotIsolated { working: 0 });
        l.rungs[2].hop = None;
        l.rungs[2].not_run = Some("budget".into());
        assert_eq!(l.conclusion(), Conclusion::Unverified { reason: "budget".into() });
    }

    #[test]
    fn a_base_with_the_viewers_host_that_works_names_host_when_cloudfront_sends_the_origins_name() {
        let l = ladder(
            vec![
                rung("direct", true, HTTP80, "o", &[], Ok(404)),
                rung("direct, viewer Host", true, HTTP80, "www", &[], Ok(200)),
                cf(404, "o", &[CloudfrontHeaders]),
            ],
            &[],
        );
        assert_eq!(l.conclusion(), Conclusion::Breaks { changes: vec![Host], working: 1, failing: 0 });
    }

    #[test]
    fn a_plain_answer_from_a_tls_port_reads_as_such() {
        assert!(
            says_plain_http_to_tls_port("<center>The plain HTTP request was sent to HTTPS port</center>").is_some()
        );
        assert!(says_plain_http_to_tls_port("You're speaking plain HTTP to an SSL-enabled server port.").is_some());
        assert!(says_plain_http_to_tls_port("<h1>Bad Request</h1>").is_none());
    }

    #[test]
    fn a_redirect_works_only_when_it_stays_on_the_scheme_and_host_sent() {
        use crate::evidence::Header;
        let mut r = rung("direct", true, HTTP80, "origin.example", &[], Ok(301));
        let set_location = |r: &mut Rung, to: &str| {
            if let Some(HopResult::Response(resp)) = r.hop.as_mut().map(|h| &mut h.result) {
                resp.headers = vec![Header { name: "Location".into(), value: to.into() }];
            }
        };
        set_location(&mut r, "/login");
        assert_eq!(r.answer(), Answer::Works);
        set_location(&mut r, "https://origin.example/");
        assert_eq!(r.answer(), Answer::Unknown, "to HTTPS: proves neither way");
        set_location(&mut r, "http://elsewhere.example/");
        assert_eq!(r.answer(), Answer::Unknown);
        let throttled = rung("direct", true, HTTP80, "origin.example", &[], Ok(429));
        assert_eq!(throttled.answer(), Answer::Unknown);
    }
}
