//! Typed fixes several checks share: the forwarding changes that make a behavior send (or stop
//! sending) a header, worked out on a copy of the behavior and kept only when the forwarding
//! they lead to is the one wanted.
//!
//! A behavior with a cache policy forwards what its cache policy and its origin request policy
//! name together; one without uses the legacy `ForwardedValues`:
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html>.

use crate::evidence::{Behavior, CustomOriginConfig, Distribution, Origin, OriginProtocolPolicy, Scheme};
use crate::fix::{BehaviorRef, Change, ConfigChange};
use crate::forwarding::{NameSet, for_behavior, managed_policy_id};

/// The behaviors with these labels ([`Behavior::label`]), in the distribution's order.
pub(super) fn behaviors_labelled<'a>(d: &'a Distribution, labels: &[String]) -> Vec<&'a Behavior> {
    std::iter::once(&d.default_behavior).chain(&d.behaviors).filter(|b| labels.contains(&b.label())).collect()
}

/// The change that makes behavior `b` of `d` forward (`forward = true`) or stop forwarding the
/// header `name`, or `None` when no single change does it (a custom policy, a cache policy that
/// itself names the header, legacy forwarding of every header).
pub(super) fn header_forwarding(d: &Distribution, b: &Behavior, name: &str, forward: bool) -> Option<ConfigChange> {
    let behavior = BehaviorRef::of(b);
    let candidates: Vec<ConfigChange> = match (&b.cache_policy_id, &b.forwarded_values) {
        (None, Some(fv)) => {
            if fv.headers.iter().any(|h| h == "*") {
                return None;
            }
            let mut value: Vec<String> = fv.headers.iter().filter(|h| !h.eq_ignore_ascii_case(name)).cloned().collect();
            if forward {
                value.push(name.to_string());
            }
            vec![ConfigChange::ForwardedHeaders { behavior, value }]
        }
        (None, None) => return None,
        (Some(_), _) => {
            let policies: &[&str] = match (forward, name.eq_ignore_ascii_case("host")) {
                (true, true) => &["HostHeaderOnly", "AllViewer"],
                (true, false) => &["AllViewerExceptHostHeader", "AllViewer"],
                (false, true) => &["AllViewerExceptHostHeader"],
                (false, false) => &[],
            };
            let mut c: Vec<ConfigChange> = policies
                .iter()
                .filter_map(|p| managed_policy_id(p))
                .map(|id| ConfigChange::OriginRequestPolicy { behavior: behavior.clone(), policy_id: Some(id.into()) })
                .collect();
            if !forward {
                c.push(ConfigChange::OriginRequestPolicy { behavior, policy_id: None });
            }
            c
        }
    };
    let before = for_behavior(b).ok();
    candidates.into_iter().find(|change| {
        let mut copy = d.clone();
        if change.apply(&mut copy).is_err() {
            return false;
        }
        let after = std::iter::once(&copy.default_behavior)
            .chain(&copy.behaviors)
            .find(|x| x.path_pattern == b.path_pattern)
            .and_then(|x| for_behavior(x).ok());
        let Some(after) = after else {
            return false;
        };
        // Forwarding a header must not stop forwarding what was forwarded before (a narrower
        // origin request policy would): the change is kept only when nothing else is lost.
        let keeps_the_rest = !forward
            || before.as_ref().is_none_or(|f| {
                subset(&f.headers, &after.headers)
                    && subset(&f.cookies, &after.cookies)
                    && subset(&f.query_strings, &after.query_strings)
            });
        after.headers.contains(name) == forward && keeps_the_rest
    })
}

/// Whether every name in `a` is in `b`.
fn subset(a: &NameSet, b: &NameSet) -> bool {
    match (a, b) {
        (NameSet::None, _) | (_, NameSet::All) => true,
        (NameSet::Only(names), b) => names.iter().all(|n| b.contains(n)),
        (NameSet::AllExcept(ea), NameSet::AllExcept(eb)) => {
            eb.iter().all(|n| ea.iter().any(|x| x.eq_ignore_ascii_case(n)))
        }
        _ => false,
    }
}

/// The changes that make every one of `behaviors` forward (or stop forwarding) `name`, or
/// `None` when one of them has no such change.
pub(super) fn header_forwarding_all(
    d: &Distribution,
    behaviors: &[&Behavior],
    name: &str,
    forward: bool,
) -> Option<Vec<Change>> {
    behaviors.iter().map(|b| header_forwarding(d, b, name, forward).map(Change::Config)).collect()
}

/// Sets the port CloudFront uses for `scheme` on a custom origin (`HTTPPort` or `HTTPSPort`).
pub(super) fn port_change(origin_id: &str, scheme: Scheme, port: u16) -> Change {
    let origin_id = origin_id.to_string();
    Change::Config(match scheme {
        Scheme::Https => ConfigChange::OriginHttpsPort { origin_id, value: port },
        Scheme::Http => ConfigChange::OriginHttpPort { origin_id, value: port },
    })
}

/// Makes CloudFront use only `scheme` toward the origin, on `port`: the protocol policy, and
/// the port when it differs from the configured one.
pub(super) fn protocol_change(o: &Origin, custom: &CustomOriginConfig, scheme: Scheme, port: u16) -> Vec<Change> {
    let (policy, current) = match scheme {
        Scheme::Https => (OriginProtocolPolicy::HttpsOnly, custom.https_port),
        Scheme::Http => (OriginProtocolPolicy::HttpOnly, custom.http_port),
    };
    let mut changes =
        vec![Change::Config(ConfigChange::OriginProtocolPolicy { origin_id: o.id.clone(), value: policy })];
    if current != port {
        changes.push(port_change(&o.id, scheme, port));
    }
    changes
}
