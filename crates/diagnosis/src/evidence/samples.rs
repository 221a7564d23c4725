//! Repeated probes (`--samples N`) and the origin's idle keep-alive, measured.
//!
//! One request says little about a failure that comes and goes: CloudFront's 502 on one request
//! in twenty, a first byte that crosses `OriginReadTimeout` only sometimes, an origin that closes
//! idle connections while CloudFront still reuses them. A series repeats one edge or origin
//! probe within the probe phase's budget and records each answer's class and timings, so the
//! checks and the verdict read a rate instead of one draw.
//!
//! `OriginReadTimeout` and `OriginKeepaliveTimeout`:
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginKeepaliveTimeout>

use super::{CloudFrontReason, ProbeStage, ProbeTarget};
use serde::{Deserialize, Serialize};

/// The most samples a request may ask for: enough to see a failure in one request in ten, few
/// enough to stay a diagnosis rather than a load test.
pub const MAX_SAMPLES: u32 = 50;

/// How long past CloudFront's `OriginKeepaliveTimeout` the keep-alive probe keeps waiting: an
/// origin that closes within this margin still closes connections CloudFront may be sending on.
pub const KEEPALIVE_MARGIN_MS: u64 = 1000;

/// One probe repeated.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleSeries {
    /// The id of the probe repeated (`edge:https:/`, `origin:app:http:/`).
    pub probe_id: String,
    pub target: ProbeTarget,
    /// The URL requested (the first hop; redirects are not followed by samples).
    pub url: String,
    /// The viewer path this probe stands for.
    #[serde(default)]
    pub viewer_path: Option<String>,
    /// Samples asked for.
    pub requested: u32,
    /// One per request sent, in order.
    pub samples: Vec<Sample>,
    /// Requests not sent, or cut before an answer, because the probe phase's budget ran out.
    pub not_sent: u32,
}

/// One request of a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub class: AnswerClass,
    /// The response status, when there was a response.
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub connect_ms: Option<u64>,
    /// From sending the request to the first response byte.
    #[serde(default)]
    pub first_byte_ms: Option<u64>,
    pub total_ms: u64,
}

/// What kind of answer a sample got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case", deny_unknown_fields)]
pub enum AnswerClass {
    /// 1xx or 2xx (after interim responses, the final answer).
    Success,
    Redirect,
    /// A 4xx that is not CloudFront's own page.
    ClientError,
    /// A 5xx that is not CloudFront's own page (the origin's, or a load balancer's).
    ServerError,
    /// CloudFront's own error page, with its reason sentence when it had a known one.
    Cloudfront {
        status: u16,
        #[serde(default)]
        reason: Option<CloudFrontReason>,
    },
    /// The TCP connect failed (refused, reset, unreachable).
    ConnectFailure,
    TlsFailure,
    /// No connect, no first byte or no complete answer within the probe's bounds.
    Timeout,
    /// The connection closed without an answer, or the answer was not HTTP/1.x.
    BrokenAnswer,
    /// Not attempted: the name did not resolve or the address may not be probed.
    NotReached,
}

impl AnswerClass {
    /// The class of a probe stage's failure (`None` for the budget: that sample was not sent).
    pub fn of_error(stage: ProbeStage) -> Option<AnswerClass> {
        Some(match stage {
            ProbeStage::Budget => return None,
            ProbeStage::Refused | ProbeStage::Dns => AnswerClass::NotReached,
            ProbeStage::Connect => AnswerClass::ConnectFailure,
            ProbeStage::ConnectTimeout | ProbeStage::FirstByteTimeout => AnswerClass::Timeout,
            ProbeStage::Tls | ProbeStage::TlsNotSpokenByProbe => AnswerClass::TlsFailure,
            ProbeStage::Http => AnswerClass::BrokenAnswer,
        })
    }

    /// The class of an answer with this status (`reason`: CloudFront's, when its own page).
    pub fn of_status(status: u16, cloudfront_page: bool, reason: Option<CloudFrontReason>) -> AnswerClass {
        match status {
            _ if cloudfront_page && status >= 400 => AnswerClass::Cloudfront { status, reason },
            300..=399 => AnswerClass::Redirect,
            400..=499 => AnswerClass::ClientError,
            500.. => AnswerClass::ServerError,
            _ => AnswerClass::Success,
        }
    }

    /// A short name for reports: `2xx`, `CloudFront's 502`, `a connect failure`.
    pub fn label(&self) -> String {
        match self {
            AnswerClass::Success => "2xx".into(),
            AnswerClass::Redirect => "3xx".into(),
            AnswerClass::ClientError => "4xx".into(),
            AnswerClass::ServerError => "5xx".into(),
            AnswerClass::Cloudfront { status, .. } => format!("CloudFront's {status}"),
            AnswerClass::ConnectFailure => "connect failure".into(),
            AnswerClass::TlsFailure => "TLS failure".into(),
            AnswerClass::Timeout => "timeout".into(),
            AnswerClass::BrokenAnswer => "connection closed without an answer".into(),
            AnswerClass::NotReached => "not reached (name or address)".into(),
        }
    }

    /// The label as the object of "got": `CloudFront's 502`, `a connect failure`.
    pub fn phrase(&self) -> String {
        match self {
            AnswerClass::Success
            | AnswerClass::Redirect
            | AnswerClass::ClientError
            | AnswerClass::ServerError
            | AnswerClass::Cloudfront { .. } => self.label(),
            AnswerClass::BrokenAnswer => "the connection closed without an answer".into(),
            other => format!("a {}", other.label()),
        }
    }

    /// A failure whatever the other samples got: 5xx, CloudFront's page, no answer.
    fn always_failure(&self) -> bool {
        !matches!(self, AnswerClass::Success | AnswerClass::Redirect | AnswerClass::ClientError)
    }

    /// True for the failures CloudFront reports as a connection the origin closed or refused
    /// (its 502 and 504 pages, a closed or reset connection): what a keep-alive race looks like.
    pub fn is_connection_failure(&self) -> bool {
        match self {
            AnswerClass::Cloudfront { status, reason } => {
                matches!(status, 502 | 504) && !matches!(reason, Some(CloudFrontReason::OriginDnsFailure))
            }
            AnswerClass::ConnectFailure | AnswerClass::BrokenAnswer => true,
            _ => false,
        }
    }
}

/// First-byte times of a series, nearest-rank percentiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentiles {
    pub p50: u64,
    pub p90: u64,
    pub max: u64,
}

/// Nearest-rank percentile of sorted values (`pct` in 1..=100).
fn nearest_rank(sorted: &[u64], pct: usize) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (pct.saturating_mul(sorted.len())).div_ceil(100).max(1);
    sorted.get(rank.saturating_sub(1)).copied()
}

impl Percentiles {
    pub fn of(values: impl IntoIterator<Item = u64>) -> Option<Percentiles> {
        let mut v: Vec<u64> = values.into_iter().collect();
        v.sort_unstable();
        Some(Percentiles { p50: nearest_rank(&v, 50)?, p90: nearest_rank(&v, 90)?, max: *v.last()? })
    }
}

/// How many samples of a series got one class, and how fast.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassCount {
    pub class: AnswerClass,
    pub count: u32,
    /// Median total time of those samples.
    pub median_ms: u64,
    pub failure: bool,
}

impl SampleSeries {
    pub fn sent(&self) -> u32 {
        self.samples.len() as u32
    }

    fn any_success(&self) -> bool {
        self.samples.iter().any(|s| matches!(s.class, AnswerClass::Success | AnswerClass::Redirect))
    }

    /// True when this sample counts as a failure within its series: 5xx, CloudFront's page and
    /// no answer always; a 4xx only where other samples of the same request succeeded (a 4xx
    /// every time is the application's answer, judged by the checks, not a flaky one).
    pub fn is_failure(&self, s: &Sample) -> bool {
        s.class.always_failure() || (s.class == AnswerClass::ClientError && self.any_success())
    }

    pub fn failures(&self) -> u32 {
        self.samples.iter().filter(|s| self.is_failure(s)).count() as u32
    }

    /// Some samples failed and some did not.
    pub fn intermittent(&self) -> bool {
        let f = self.failures();
        f > 0 && f < self.sent()
    }

    pub fn first_byte(&self) -> Option<Percentiles> {
        Percentiles::of(self.samples.iter().filter_map(|s| s.first_byte_ms))
    }

    pub fn connect(&self) -> Option<Percentiles> {
        Percentiles::of(self.samples.iter().filter_map(|s| s.connect_ms))
    }

    /// Each class seen, most frequent first (ties in order of first appearance).
    pub fn classes(&self) -> Vec<ClassCount> {
        let mut out: Vec<(AnswerClass, Vec<u64>, bool)> = Vec::new();
        for s in &self.samples {
            let failure = self.is_failure(s);
            match out.iter_mut().find(|(c, _, _)| *c == s.class) {
                Some((_, times, _)) => times.push(s.total_ms),
                None => out.push((s.class.clone(), vec![s.total_ms], failure)),
            }
        }
        let mut counts: Vec<ClassCount> = out
            .into_iter()
            .map(|(class, times, failure)| ClassCount {
                class,
                count: times.len() as u32,
                median_ms: Percentiles::of(times).map_or(0, |p| p.p50),
                failure,
            })
            .collect();
        counts.sort_by_key(|c| std::cmp::Reverse(c.count));
        counts
    }

    /// The most frequent failure class.
    pub fn main_failure(&self) -> Option<AnswerClass> {
        self.classes().into_iter().find(|c| c.failure).map(|c| c.class)
    }

    /// What failed, in one phrase: `3 of 20 requests got CloudFront's 502 in 0.1 s`, with the
    /// other failure classes after it. `None` when nothing failed.
    pub fn describe_failures(&self) -> Option<String> {
        let failures = self.failures();
        if failures == 0 {
            return None;
        }
        let failed: Vec<ClassCount> = self.classes().into_iter().filter(|c| c.failure).collect();
        let secs = |c: &ClassCount| c.median_ms as f64 / 1000.0;
        let detail = match failed.as_slice() {
            [one] => format!("got {} in {:.1} s", one.class.phrase(), secs(one)),
            many => {
                let parts: Vec<String> =
                    many.iter().map(|c| format!("{} {} in {:.1} s", c.count, c.class.label(), secs(c))).collect();
                format!("failed ({})", parts.join(", "))
            }
        };
        let not_sent = if self.not_sent > 0 { format!("; {} not sent (budget)", self.not_sent) } else { String::new() };
        Some(format!("{failures} of {} requests to {} {detail}{not_sent}", self.sent(), self.url))
    }

    /// One line: the failure rate, the classes and the first-byte percentiles.
    pub fn describe(&self) -> String {
        let classes: Vec<String> = self.classes().iter().map(|c| format!("{} {}", c.count, c.class.label())).collect();
        let fb = self
            .first_byte()
            .map(|p| format!("; first byte p50 {} ms, p90 {} ms, max {} ms", p.p50, p.p90, p.max))
            .unwrap_or_default();
        let not_sent = if self.not_sent > 0 { format!(", {} not sent (budget)", self.not_sent) } else { String::new() };
        format!(
            "{}: {} of {} failed ({}{not_sent}){fb}",
            self.url,
            self.failures(),
            self.sent(),
            if classes.is_empty() { "none sent".to_string() } else { classes.join(", ") }
        )
    }
}

/// How long an origin kept an idle keep-alive connection open, measured: one request on a
/// persistent connection, then waiting for the origin to close it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeepaliveObservation {
    pub origin_id: String,
    /// The request sent on the connection, as CloudFront sends it (scheme, port, Host, SNI).
    pub url: String,
    pub outcome: KeepaliveOutcome,
    /// The origin's `Keep-Alive` response header, when it sent one.
    #[serde(default)]
    pub keep_alive_header: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum KeepaliveOutcome {
    /// The origin closed the idle connection this long after the response ended.
    ClosedIdle { after_ms: u64 },
    /// Still open when the wait ended (CloudFront's keep-alive plus a margin, or the budget).
    StillOpen { after_ms: u64 },
    /// The origin does not keep connections open (`Connection: close`, or closed at once):
    /// CloudFront then opens a new connection per request and no idle connection can race.
    NotKept { detail: String },
    /// Not measured: the request did not get a complete answer.
    NotMeasured { reason: String },
}

impl KeepaliveObservation {
    /// One line for reports.
    pub fn describe(&self) -> String {
        match &self.outcome {
            KeepaliveOutcome::ClosedIdle { after_ms } => {
                format!("{}: the origin closed the idle connection after {:.1} s", self.url, *after_ms as f64 / 1000.0)
            }
            KeepaliveOutcome::StillOpen { after_ms } => {
                format!("{}: the idle connection was still open after {:.1} s", self.url, *after_ms as f64 / 1000.0)
            }
            KeepaliveOutcome::NotKept { detail } => format!("{}: no keep-alive ({detail})", self.url),
            KeepaliveOutcome::NotMeasured { reason } => format!("{}: not measured ({reason})", self.url),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(classes: &[(AnswerClass, u64)]) -> SampleSeries {
        SampleSeries {
            probe_id: "edge:https:/".into(),
            target: ProbeTarget::Edge { hostname: "d.example".into(), scheme: super::super::Scheme::Https },
            url: "https://d.example/".into(),
            viewer_path: Some("/".into()),
            requested: classes.len() as u32,
            samples: classes
                .iter()
                .map(|(c, ms)| Sample {
                    class: c.clone(),
                    status: None,
                    connect_ms: Some(1),
                    first_byte_ms: Some(*ms),
                    total_ms: *ms,
                })
                .collect(),
            not_sent: 0,
        }
    }

    #[test]
    fn a_series_counts_failures_by_class_and_says_the_rate() {
        let cf502 = AnswerClass::Cloudfront { status: 502, reason: Some(CloudFrontReason::ConnectionFailedOrClosed) };
        let mut v = vec![(AnswerClass::Success, 20); 17];
        v.extend([(cf502.clone(), 100), (cf502.clone(), 120), (cf502, 80)]);
        let s = series(&v);
        assert_eq!(s.failures(), 3);
        assert!(s.intermittent());
        assert_eq!(
            s.describe_failures().unwrap(),
            "3 of 20 requests to https://d.example/ got CloudFront's 502 in 0.1 s"
        );
        let p = s.first_byte().unwrap();
        assert_eq!((p.p50, p.p90, p.max), (20, 80, 120));
        assert!(s.main_failure().unwrap().is_connection_failure());
    }

    #[test]
    fn a_4xx_fails_only_beside_successes() {
        assert_eq!(series(&vec![(AnswerClass::ClientError, 1); 3]).failures(), 0);
        assert_eq!(series(&[(AnswerClass::ClientError, 1), (AnswerClass::Success, 1)]).failures(), 1);
        assert_eq!(series(&vec![(AnswerClass::ServerError, 1); 2]).failures(), 2);
        assert!(!series(&vec![(AnswerClass::ServerError, 1); 2]).intermittent());
    }

    #[test]
    fn percentiles_are_nearest_rank_and_classes_round_trip() {
        let p = Percentiles::of([5, 1, 3, 2, 4]).unwrap();
        assert_eq!((p.p50, p.p90, p.max), (3, 5, 5));
        assert!(Percentiles::of([]).is_none());
        assert_eq!(AnswerClass::of_error(ProbeStage::Budget), None);
        assert_eq!(AnswerClass::of_status(502, true, None), AnswerClass::Cloudfront { status: 502, reason: None });
        assert_eq!(AnswerClass::of_status(502, false, None), AnswerClass::ServerError);
        let s = series(&[(AnswerClass::Cloudfront { status: 504, reason: None }, 3)]);
        let back: SampleSeries = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back.samples, s.samples);
    }
}
