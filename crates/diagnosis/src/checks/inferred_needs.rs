//! What the application needs, read from its own answers when the caller declared nothing.
//!
//! An origin says what it takes: a 405 names the methods the resource accepts in `Allow`
//! (RFC 9110 15.5.6, 10.2.1), as does an `OPTIONS` answer (and, for a CORS preflight,
//! `Access-Control-Allow-Methods`); a 401 carries a `WWW-Authenticate` challenge, which clients
//! answer with `Authorization` (RFC 9110 11.6.1, 11.6.2); `Vary` names the request headers the
//! answer depends on (RFC 9110 12.5.5); and a probed viewer path such as `/search?q=x` carries
//! the query strings the application reads. The checks `method-not-allowed`,
//! `authorization-stripped` and `params-not-forwarded` compare these with what the behavior
//! allows and forwards (CloudFront forwards only the headers, cookies and query strings its
//! policies name:
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html>).
//!
//! Pure over the recorded evidence, so a replay infers the same. An inferred need is weaker
//! than a declared one: its findings carry a lower confidence, mark their evidence as inferred
//! and say how to declare the need to test it directly.

use super::probe_view::{ShapePair, behavior_of, first, is_success, shape_pairs};
use super::{EvidenceItem, Source};
use crate::evidence::{Behavior, Distribution, Evidence, HttpResponse, ProbeRecord, ProbeTarget, RequestShape};
use crate::request::KNOWN_METHODS;

/// The subject of every evidence item that carries an inferred need.
pub(super) const INFERRED_SUBJECT: &str = "inferred need (not declared)";

/// One need the application's answers imply, under the behavior the answering path falls in.
#[derive(Debug, Clone)]
pub(super) struct Inferred<'a> {
    pub behavior: &'a Behavior,
    /// The method, header (`Cookie` for cookies in general) or query-string name.
    pub name: String,
    /// The answer that implies it, one line.
    pub clue: String,
    /// True when a request without it was refused: a 405 to a GET or HEAD, a 401 challenge,
    /// or a CloudFront-shaped request that failed where the viewer's succeeded.
    pub refused: bool,
}

/// Adds a need, once per behavior and name (names compared case-insensitively); a second clue
/// can only strengthen it.
fn add<'a>(out: &mut Vec<Inferred<'a>>, behavior: &'a Behavior, name: &str, clue: &str, refused: bool) {
    let same = |i: &Inferred<'a>| std::ptr::eq(i.behavior, behavior) && i.name.eq_ignore_ascii_case(name);
    match out.iter_mut().find(|i| same(i)) {
        Some(i) if refused && !i.refused => {
            i.refused = true;
            i.clue = clue.to_string();
        }
        Some(_) => {}
        None => out.push(Inferred { behavior, name: name.to_string(), clue: clue.to_string(), refused }),
    }
}

/// One answer of the application (CloudFront's own error pages left out).
struct Answer<'a> {
    probe: &'a ProbeRecord,
    url: &'a str,
    response: &'a HttpResponse,
    behavior: &'a Behavior,
}

impl Answer<'_> {
    fn line(&self, header: &str, value: &str) -> String {
        format!("{} {} → {} {header}: {value}", self.probe.method, self.url, self.response.status)
    }
}

/// The application's answers: the first hop of every probe straight to an origin (later hops
/// follow redirects as a viewer would) and every hop of a probe through the distribution to
/// one of its hostnames (the origin's answer passed on), each with the behavior of its path.
fn answers(ev: &Evidence) -> Vec<Answer<'_>> {
    let d = &ev.inventory.distribution;
    let hostnames = d.viewer_hostnames();
    let mut out = Vec::new();
    for p in &ev.observations.probes {
        match &p.target {
            ProbeTarget::Origin { .. } => {
                if let (Some(h), Some(r)) = (p.hops.first(), p.first_response()) {
                    out.push(Answer { probe: p, url: &h.url, response: r, behavior: behavior_of(d, p) });
                }
            }
            ProbeTarget::Edge { .. } if !p.get_with_body() => {
                for h in &p.hops {
                    let Some(r) = h.response() else { continue };
                    if let Some(behavior) = edge_behavior(d, &hostnames, &h.url) {
                        out.push(Answer { probe: p, url: &h.url, response: r, behavior });
                    }
                }
            }
            ProbeTarget::Edge { .. } => {}
        }
    }
    out.retain(|a| a.response.cloudfront_error.is_none());
    out
}

/// The behavior a URL through the distribution falls under, when it names one of its hostnames.
fn edge_behavior<'a>(d: &'a Distribution, hostnames: &[String], url: &str) -> Option<&'a Behavior> {
    let u = url::Url::parse(url).ok()?;
    let host = u.host_str()?;
    hostnames.iter().any(|n| n.eq_ignore_ascii_case(host)).then(|| d.behavior_for_path(u.path()))
}

/// The methods of a comma-separated list that a behavior can allow (CloudFront's seven).
fn method_list(value: &str) -> impl Iterator<Item = &'static str> + '_ {
    value.split(',').filter_map(|m| KNOWN_METHODS.iter().find(|k| k.eq_ignore_ascii_case(m.trim())).copied())
}

/// The methods the application says it accepts: every method of the `Allow` of a 405, and of
/// the `Allow` or `Access-Control-Allow-Methods` of an answer to `OPTIONS`. `OPTIONS` itself
/// counts only from an answer to a CORS preflight (`Access-Control-Allow-Methods`): frameworks
/// list it in every `Allow` whether or not browsers ever preflight there. Refused when the
/// application answered a GET or HEAD with 405.
pub(super) fn methods(ev: &Evidence) -> Vec<Inferred<'_>> {
    let mut out = Vec::new();
    for a in answers(ev) {
        let r = a.response;
        let allow = r.header("allow");
        if r.status == 405 {
            let Some(allow) = allow else { continue };
            let clue = a.line("Allow", allow);
            // A viewer's plain request refused: the path is served by the methods named only.
            let refused = matches!(a.probe.method.as_str(), "GET" | "HEAD");
            for m in method_list(allow).filter(|m| *m != "OPTIONS") {
                add(&mut out, a.behavior, m, &clue, refused);
            }
        } else if a.probe.method == "OPTIONS" && is_success(r) {
            let preflight = r.header("access-control-allow-methods");
            for (header, value) in [("Allow", allow), ("Access-Control-Allow-Methods", preflight)] {
                let Some(value) = value else { continue };
                let clue = a.line(header, value);
                for m in method_list(value).filter(|m| *m != "OPTIONS" || preflight.is_some()) {
                    add(&mut out, a.behavior, m, &clue, false);
                }
            }
        }
    }
    out
}

/// `Authorization`, where CloudFront's request got a 401 with a `WWW-Authenticate` challenge:
/// the answer to a CloudFront-shaped probe straight to the origin or the origin's answer
/// through the distribution. A 401 without a challenge (a session cookie's application, say)
/// does not say that viewers send `Authorization`.
pub(super) fn authorization(ev: &Evidence) -> Vec<Inferred<'_>> {
    let mut out = Vec::new();
    for a in answers(ev) {
        let cloudfront_shaped =
            matches!(a.probe.target, ProbeTarget::Edge { .. }) || a.probe.shape == RequestShape::Cloudfront;
        let challenge = a.response.header("www-authenticate");
        if let (true, 401, Some(challenge)) = (cloudfront_shaped, a.response.status, challenge) {
            add(&mut out, a.behavior, "Authorization", &a.line("WWW-Authenticate", challenge), true);
        }
    }
    out
}

/// The names of the query-string parameters of a path or URL, as sent (not decoded), in order.
fn query_names(path_or_url: &str) -> Vec<&str> {
    let Some((_, query)) = path_or_url.split('#').next().unwrap_or("").split_once('?') else {
        return Vec::new();
    };
    let mut names: Vec<&str> = Vec::new();
    for name in query.split('&').map(|kv| kv.split('=').next().unwrap_or("")) {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The names of the cookies in a request's `Cookie` headers.
fn cookie_names(p: &ProbeRecord) -> Vec<&str> {
    p.request_headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("cookie"))
        .flat_map(|h| h.value.split(';'))
        .map(|c| c.split('=').next().unwrap_or("").trim())
        .filter(|c| !c.is_empty())
        .collect()
}

/// Headers the viewer-shaped probe sends as a plain client does (`Accept`) or that differ by
/// value only: not what the application reads, unless its `Vary` says so.
const PROBE_OWN_HEADERS: &[&str] = &["host", "user-agent", "accept", "cookie", "content-length"];

/// What the viewer-shaped request of a pair kept and the CloudFront-shaped one dropped.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Dropped {
    pub query_strings: Vec<String>,
    pub cookies: Vec<String>,
    pub headers: Vec<String>,
}

impl Dropped {
    pub(super) fn is_empty(&self) -> bool {
        self.query_strings.is_empty() && self.cookies.is_empty() && self.headers.is_empty()
    }
}

/// What the pair's viewer-shaped request carried that the CloudFront-shaped one did not, read
/// from the recorded requests: query strings and cookies, and headers other than the probe's
/// own (a header the origin names in `Vary` counts whatever it is). When it is not empty, a
/// different answer may come from any of these, not from CloudFront's User-Agent alone.
pub(super) fn dropped_by_cloudfront(pair: &ShapePair<'_>) -> Dropped {
    let Some(viewer) = pair.viewer else { return Dropped::default() };
    let url = |p: &ProbeRecord| p.hops.first().map(|h| h.url.clone()).unwrap_or_default();
    let (cf_url, viewer_url) = (url(pair.cf), url(viewer));
    let cf_query = query_names(&cf_url);
    let cf_cookies = cookie_names(pair.cf);
    let varied: Vec<String> = [pair.cf, viewer]
        .iter()
        .filter_map(|p| first(p))
        .flat_map(|r| vary_names(r).collect::<Vec<_>>())
        .map(str::to_string)
        .collect();
    let sent = |p: &ProbeRecord, name: &str| p.request_headers.iter().any(|h| h.name.eq_ignore_ascii_case(name));
    let mut headers: Vec<String> = Vec::new();
    for h in &viewer.request_headers {
        let own = PROBE_OWN_HEADERS.contains(&h.name.to_ascii_lowercase().as_str());
        let named = varied.iter().any(|v| v.eq_ignore_ascii_case(&h.name)) && !h.name.eq_ignore_ascii_case("cookie");
        if (!own || named) && !sent(pair.cf, &h.name) && !headers.iter().any(|x| x.eq_ignore_ascii_case(&h.name)) {
            headers.push(h.name.clone());
        }
    }
    Dropped {
        query_strings: query_names(&viewer_url)
            .into_iter()
            .filter(|n| !cf_query.contains(n))
            .map(str::to_string)
            .collect(),
        cookies: cookie_names(viewer).into_iter().filter(|c| !cf_cookies.contains(c)).map(str::to_string).collect(),
        headers,
    }
}

/// When CloudFront's request shape fails at the origin where the viewer's succeeds, and
/// neither Host nor `OriginPath` explains it (the viewer's request with CloudFront's Host
/// succeeds too, and no `OriginPath` is prepended): the two answers.
pub(super) fn fails_only_as_cloudfront<'a>(
    ev: &Evidence,
    pair: &ShapePair<'a>,
) -> Option<(&'a HttpResponse, &'a HttpResponse)> {
    let cf = first(pair.cf)?;
    let v = pair.viewer.and_then(first)?;
    if cf.status < 400 || cf.cloudfront_error.is_some() || !is_success(v) {
        return None;
    }
    let host = |p: &ProbeRecord| p.hops.first().map(|h| h.host_header.to_ascii_lowercase());
    let same_host = pair.viewer.is_some_and(|v| host(v) == host(pair.cf));
    let host_cleared = same_host || pair.viewer_cf_host.and_then(first).is_some_and(is_success);
    let origin_path = ev.inventory.distribution.origin(pair.origin_id).map(|o| o.origin_path.as_str()).unwrap_or("");
    (host_cleared && origin_path.is_empty()).then_some((cf, v))
}

/// The query strings the probed viewer paths carry that CloudFront's request went without.
/// Refused when that request failed where the viewer's, which kept them, succeeded (Host and
/// `OriginPath` ruled out).
pub(super) fn query_strings(ev: &Evidence) -> Vec<Inferred<'_>> {
    let d = &ev.inventory.distribution;
    let mut out = Vec::new();
    for pair in shape_pairs(ev) {
        let Some(path) = pair.cf.viewer_path.as_deref() else { continue };
        let sent = pair.cf.hops.first().map(|h| query_names(&h.url)).unwrap_or_default();
        let dropped: Vec<&str> = query_names(path).into_iter().filter(|n| !sent.contains(n)).collect();
        if dropped.is_empty() {
            continue;
        }
        let failed = fails_only_as_cloudfront(ev, &pair).is_some();
        let sent_url = pair.cf.hops.first().map(|h| h.url.as_str()).unwrap_or("?");
        let clue = format!(
            "the probed path {path} carries {}; CloudFront's request went without (GET {sent_url})",
            dropped.join(", ")
        );
        for name in dropped {
            add(&mut out, behavior_of(d, pair.cf), name, &clue, failed);
        }
    }
    out
}

/// The request-header names of a response's `Vary` (all its `Vary` fields), `*` and
/// `Accept-Encoding` left out: CloudFront handles compression itself.
fn vary_names(r: &HttpResponse) -> impl Iterator<Item = &str> {
    r.headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("vary"))
        .flat_map(|h| h.value.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "*" && !n.eq_ignore_ascii_case("accept-encoding"))
}

/// The request headers (`Cookie` for cookies) the application's `Vary` names, read from the
/// answers straight from the origin (through the distribution, `Vary` may be CloudFront's own,
/// e.g. from a response headers policy). Refused when a pair under the same behavior fails only
/// as CloudFront sends it and the viewer's request carried that header (or a cookie) where
/// CloudFront's did not.
pub(super) fn varied(ev: &Evidence) -> Vec<Inferred<'_>> {
    let d = &ev.inventory.distribution;
    let failing: Vec<(&Behavior, Dropped)> = shape_pairs(ev)
        .iter()
        .filter(|pair| fails_only_as_cloudfront(ev, pair).is_some())
        .map(|pair| (behavior_of(d, pair.cf), dropped_by_cloudfront(pair)))
        .collect();
    let mut out = Vec::new();
    for a in answers(ev).into_iter().filter(|a| matches!(a.probe.target, ProbeTarget::Origin { .. })) {
        let Some(value) = a.response.header("vary") else { continue };
        let clue = a.line("Vary", value);
        for name in vary_names(a.response) {
            let cookie = name.eq_ignore_ascii_case("cookie");
            let refused = failing.iter().any(|(b, dropped)| {
                std::ptr::eq(*b, a.behavior)
                    && if cookie {
                        !dropped.cookies.is_empty()
                    } else {
                        dropped.headers.iter().any(|h| h.eq_ignore_ascii_case(name))
                    }
            });
            add(&mut out, a.behavior, if cookie { "Cookie" } else { name }, &clue, refused);
        }
    }
    out
}

/// The evidence item of inferred needs: what is needed and what says so.
pub(super) fn evidence_item(kind: &str, needs: &[&Inferred<'_>]) -> EvidenceItem {
    let names: Vec<&str> = needs.iter().map(|n| n.name.as_str()).collect();
    let mut clues: Vec<&str> = Vec::new();
    for n in needs {
        if !clues.contains(&n.clue.as_str()) {
            clues.push(&n.clue);
        }
    }
    EvidenceItem::new(
        Source::Probe,
        INFERRED_SUBJECT,
        format!("{kind} {}, inferred from: {}", names.join(", "), clues.join("; ")),
    )
}

/// How to declare the needs so that the next run tests them directly, e.g.
/// `--expect-method POST --expect-method PUT`; `flag` is `method`, `header` or `query` (a
/// `Cookie` header need is declared by cookie name).
pub(super) fn declare_hint(flag: &str, needs: &[&Inferred<'_>]) -> String {
    let flags: Vec<String> = needs
        .iter()
        .map(|n| match flag {
            "header" if n.name.eq_ignore_ascii_case("cookie") => "--expect-cookie <name>".to_string(),
            _ => format!("--expect-{flag} {}", n.name),
        })
        .collect();
    format!("inferred, not declared: declare it with {} to test it directly", flags.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{Fetch, Header, HopResult, OriginProtocolPolicy, OriginResource, Scheme};
    use crate::testing::*;

    fn ev() -> Evidence {
        let mut e = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpOnly),
            Fetch::fetched(OriginResource::OutsideAws { reason: "x".into() }),
        );
        let mut api = behavior("o1");
        api.path_pattern = Some("/api/*".into());
        e.inventory.distribution.behaviors = vec![api];
        e
    }

    fn answered(shape: RequestShape, path: &str, status: u16, headers: &[(&str, &str)]) -> ProbeRecord {
        origin_probe(shape, "app.example.com", path, HopResult::Response(response(status, headers)))
    }

    fn names(v: &[Inferred<'_>]) -> Vec<String> {
        v.iter().map(|i| format!("{}{}", i.name, if i.refused { "!" } else { "" })).collect()
    }

    #[test]
    fn a_405_names_the_methods_under_the_behavior_of_its_path_and_options_needs_a_preflight() {
        let mut e = ev();
        e.observations.probes.push(answered(
            RequestShape::Cloudfront,
            "/api/orders",
            405,
            &[("Allow", "POST, OPTIONS, TRACE")],
        ));
        let m = methods(&e);
        assert_eq!(names(&m), ["POST!"], "OPTIONS from a plain Allow and TRACE are left out");
        assert_eq!(m[0].behavior.path_pattern.as_deref(), Some("/api/*"));
        assert!(m[0].clue.contains("405 Allow: POST, OPTIONS"), "{}", m[0].clue);

        // An OPTIONS answer: its Allow without refusal; OPTIONS itself only with a preflight answer.
        let mut e = ev();
        let mut options = answered(RequestShape::Cloudfront, "/", 200, &[("Allow", "GET, HEAD, OPTIONS, PUT")]);
        options.method = "OPTIONS".into();
        e.observations.probes.push(options.clone());
        assert_eq!(names(&methods(&e)), ["GET", "HEAD", "PUT"]);
        options.hops[0].result = HopResult::Response(response(
            204,
            &[("Access-Control-Allow-Methods", "GET, POST"), ("Access-Control-Allow-Origin", "*")],
        ));
        e.observations.probes = vec![options];
        assert_eq!(names(&methods(&e)), ["GET", "POST"]);
        let HopResult::Response(r) = &mut e.observations.probes[0].hops[0].result else { unreachable!() };
        r.headers.push(Header { name: "Allow".into(), value: "OPTIONS, GET".into() });
        assert_eq!(names(&methods(&e)), ["OPTIONS", "GET", "POST"]);

        // A healthy GET, a 405 without Allow, and CloudFront's own page say nothing.
        let mut e = ev();
        e.observations.probes.push(answered(RequestShape::Cloudfront, "/", 200, &[("Allow", "GET, POST")]));
        e.observations.probes.push(answered(RequestShape::Cloudfront, "/x", 405, &[]));
        let mut page = cloudfront_page(403, crate::evidence::CloudFrontReason::MethodNotAllowed);
        page.headers.push(Header { name: "Allow".into(), value: "POST".into() });
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "POST",
            "/",
            HopResult::Response(page),
        ));
        assert!(methods(&e).is_empty());
        // A 405 to an OPTIONS probe names methods without refusing a viewer's plain request.
        let mut e = ev();
        let mut options = answered(RequestShape::Cloudfront, "/", 405, &[("Allow", "GET, POST")]);
        options.method = "OPTIONS".into();
        e.observations.probes.push(options);
        assert_eq!(names(&methods(&e)), ["GET", "POST"]);
    }

    #[test]
    fn an_edge_answer_counts_under_the_behavior_of_its_url_and_only_on_the_distributions_names() {
        let mut e = ev();
        let r = || HopResult::Response(response(405, &[("Allow", "PUT")]));
        e.observations.probes.push(edge_probe("d111.cloudfront.net", Scheme::Https, "GET", "/api/x", r()));
        e.observations.probes.push(edge_probe("elsewhere.example", Scheme::Https, "GET", "/", r()));
        let m = methods(&e);
        assert_eq!(names(&m), ["PUT!"]);
        assert_eq!(m[0].behavior.path_pattern.as_deref(), Some("/api/*"));
    }

    #[test]
    fn a_401_challenge_to_cloudfronts_request_implies_authorization_and_a_bare_401_does_not() {
        let mut e = ev();
        e.observations.probes.push(answered(RequestShape::Viewer, "/", 401, &[("WWW-Authenticate", "Basic")]));
        e.observations.probes.push(answered(RequestShape::Cloudfront, "/", 401, &[]));
        assert!(authorization(&e).is_empty(), "a viewer-shaped 401 or a 401 without a challenge");
        e.observations.probes.push(answered(
            RequestShape::Cloudfront,
            "/api/me",
            401,
            &[("WWW-Authenticate", "Bearer realm=\"api\"")],
        ));
        let a = authorization(&e);
        assert_eq!(names(&a), ["Authorization!"]);
        assert_eq!(a[0].behavior.path_pattern.as_deref(), Some("/api/*"));
        assert!(a[0].clue.contains("Bearer realm"), "{}", a[0].clue);
    }

    fn pair(e: &mut Evidence, path: &str, cf_status: u16, viewer_status: u16) {
        let mut cf = answered(RequestShape::Cloudfront, path, cf_status, &[]);
        cf.hops[0].url = format!("http://app-1.us-east-1.elb.amazonaws.com{}", path.split('?').next().unwrap());
        e.observations.probes.push(cf);
        e.observations.probes.push(answered(RequestShape::Viewer, path, viewer_status, &[]));
    }

    #[test]
    fn query_strings_of_the_path_that_cloudfront_dropped_are_refused_only_when_the_answers_differ() {
        let mut e = ev();
        pair(&mut e, "/search?q=x&lang=en", 400, 200);
        assert_eq!(names(&query_strings(&e)), ["q!", "lang!"]);
        let p = shape_pairs(&e);
        assert_eq!(dropped_by_cloudfront(&p[0]).query_strings, ["q", "lang"]);

        let mut e = ev();
        pair(&mut e, "/search?q=x", 200, 200);
        assert_eq!(names(&query_strings(&e)), ["q"], "dropped, but nothing came of it");
        // With an OriginPath, the two requests differ in path too.
        let mut e = ev();
        e.inventory.distribution.origins[0].origin_path = "/v1".into();
        pair(&mut e, "/search?q=x", 400, 200);
        assert_eq!(names(&query_strings(&e)), ["q"]);
        // Kept by CloudFront's request: nothing to infer.
        let mut e = ev();
        e.observations.probes.push(answered(RequestShape::Cloudfront, "/search?q=x", 400, &[]));
        e.observations.probes.push(answered(RequestShape::Viewer, "/search?q=x", 200, &[]));
        assert!(query_strings(&e).is_empty());
    }

    #[test]
    fn a_host_difference_not_cleared_keeps_the_query_from_being_the_cause() {
        let mut e = ev();
        let mut cf = answered(RequestShape::Cloudfront, "/s?q=1", 404, &[]);
        cf.hops[0].url = "http://app-1.us-east-1.elb.amazonaws.com/s".into();
        cf.hops[0].host_header = "app.example.com".into();
        e.observations.probes.push(cf);
        let mut v = answered(RequestShape::Viewer, "/s?q=1", 200, &[]);
        v.hops[0].host_header = "www.example.com".into();
        e.observations.probes.push(v);
        assert_eq!(names(&query_strings(&e)), ["q"]);
        let mut twin = answered(RequestShape::ViewerWithCloudfrontHost, "/s?q=1", 200, &[]);
        twin.hops[0].host_header = "app.example.com".into();
        e.observations.probes.push(twin);
        assert_eq!(names(&query_strings(&e)), ["q!"]);
    }

    #[test]
    fn vary_names_headers_and_cookies_and_is_refused_only_with_a_dropped_header_and_a_failure() {
        let mut e = ev();
        e.observations.probes.push(answered(
            RequestShape::Cloudfront,
            "/",
            200,
            &[("Vary", "Accept-Encoding, Accept-Language"), ("vary", "cookie, *")],
        ));
        assert_eq!(names(&varied(&e)), ["Accept-Language", "Cookie"]);
        let through = HopResult::Response(response(200, &[("Vary", "Origin")]));
        e.observations.probes.push(edge_probe("d111.cloudfront.net", Scheme::Https, "GET", "/", through));
        assert_eq!(names(&varied(&e)), ["Accept-Language", "Cookie"], "a Vary through CloudFront may be its own");

        // CloudFront's request lacks Accept and fails; the viewer's has it and succeeds.
        let mut e = ev();
        let mut cf = answered(RequestShape::Cloudfront, "/", 406, &[("Vary", "Accept")]);
        cf.request_headers = vec![Header { name: "User-Agent".into(), value: "Amazon CloudFront".into() }];
        let mut v = answered(RequestShape::Viewer, "/", 200, &[("Vary", "Accept")]);
        v.request_headers = vec![
            Header { name: "User-Agent".into(), value: "x".into() },
            Header { name: "Accept".into(), value: "*/*".into() },
        ];
        e.observations.probes.extend([cf.clone(), v.clone()]);
        assert_eq!(names(&varied(&e)), ["Accept!"]);
        assert_eq!(dropped_by_cloudfront(&shape_pairs(&e)[0]).headers, ["Accept"]);
        // Without the Vary, Accept is the probe's own header, not a need.
        let HopResult::Response(r) = &mut cf.hops[0].result else { unreachable!() };
        r.headers.clear();
        let HopResult::Response(r) = &mut v.hops[0].result else { unreachable!() };
        r.headers.clear();
        e.observations.probes = vec![cf, v];
        assert!(dropped_by_cloudfront(&shape_pairs(&e)[0]).is_empty());
    }

    #[test]
    fn cookies_and_declared_headers_the_viewer_kept_are_dropped() {
        let mut e = ev();
        let mut cf = answered(RequestShape::Cloudfront, "/", 403, &[]);
        cf.request_headers = vec![Header { name: "Cookie".into(), value: "a=1".into() }];
        let mut v = answered(RequestShape::Viewer, "/", 200, &[]);
        v.request_headers = vec![
            Header { name: "Cookie".into(), value: "a=1; session=cf-origin-doctor-probe".into() },
            Header { name: "X-Tenant".into(), value: "cf-origin-doctor-probe".into() },
        ];
        e.observations.probes.extend([cf, v]);
        let d = dropped_by_cloudfront(&shape_pairs(&e)[0]);
        assert_eq!(
            (d.cookies, d.headers, d.query_strings.len()),
            (vec!["session".to_string()], vec!["X-Tenant".to_string()], 0)
        );
    }

    /// The whole evaluation (checks, verdict, report) over one scenario's evidence: the
    /// behavior forwards nothing (CachingOptimized alone), the distribution answers as the
    /// origin does to CloudFront's request.
    fn evaluated(path: &str, cf: HttpResponseFixture, viewer: HttpResponseFixture) -> crate::Diagnosis {
        let mut e = ev();
        e.inventory.distribution.default_behavior.origin_request_policy_id = None;
        e.inventory.distribution.behaviors.clear();
        e.request.paths = vec![path.into()];
        let mut p = answered(RequestShape::Cloudfront, path, cf.0, cf.1);
        p.hops[0].url = format!("http://app-1.us-east-1.elb.amazonaws.com{}", path.split('?').next().unwrap());
        e.observations.probes.push(p);
        e.observations.probes.push(answered(RequestShape::Viewer, path, viewer.0, viewer.1));
        e.observations.probes.push(edge_probe(
            "d111.cloudfront.net",
            Scheme::Https,
            "GET",
            path,
            HopResult::Response(response(cf.0, cf.1)),
        ));
        let d = crate::evaluate(e);
        eprintln!("{}", crate::report::text::render(&d.report, crate::report::text::Style { color: false }));
        d
    }

    type HttpResponseFixture<'a> = (u16, &'a [(&'a str, &'a str)]);

    #[test]
    fn each_inferred_need_is_the_verdict_of_its_scenario_and_a_vary_hint_keeps_a_healthy_pass() {
        use crate::verdict::Status;
        let d = evaluated("/search?q=x", (400, &[("Server", "app")]), (200, &[]));
        assert_eq!(d.verdict.primary.as_deref(), Some("params-not-forwarded"), "{}", d.verdict.summary);
        assert!(d.verdict.findings.iter().all(|f| f.id != "origin-rejects-cloudfront-shaped-requests"));

        let allow: &[(&str, &str)] = &[("Allow", "POST, OPTIONS")];
        let d = evaluated("/api/orders", (405, allow), (405, allow));
        assert_eq!(d.verdict.primary.as_deref(), Some("method-not-allowed"), "{}", d.verdict.summary);

        let challenge: &[(&str, &str)] = &[("WWW-Authenticate", "Basic realm=\"staff\"")];
        let d = evaluated("/", (401, challenge), (401, challenge));
        assert_eq!(d.verdict.primary.as_deref(), Some("authorization-stripped"), "{}", d.verdict.summary);

        let d = evaluated("/", (200, &[("Vary", "Accept-Language, Cookie")]), (200, &[]));
        assert_eq!(d.verdict.status, Status::Pass, "{}", d.verdict.summary);
        assert_eq!(d.verdict.findings.len(), 1);
        assert_eq!(d.verdict.findings[0].severity, super::super::Severity::Info);
    }
}
