//! Typed fixes several checks share: the forwarding changes that make a behavior send (or stop
//! sending) a header, worked out on a copy of the behavior and kept only when the forwarding
//! they lead to is the one wanted.
//!
//! A behavior with a cache policy forwards what its cache policy and its origin request policy
//! name together; one without uses the legacy `ForwardedValues`:
//! <https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/controlling-origin-requests.html>.

use crate::evidence::NetworkAcl;
use crate::evidence::{Behavior, CustomOriginConfig, Distribution, Origin, OriginProtocolPolicy, Scheme};
use crate::fix::{BehaviorRef, Change, ConfigChange, Fix, NetworkChange};
use crate::forwarding::{Forwarding, NameSet, for_behavior, managed_policy_id};

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
    candidates.into_iter().find(|change| {
        forwarding_after(d, b, change).is_some_and(|(before, after)| {
            // Forwarding a header must not stop forwarding what was forwarded before (a
            // narrower origin request policy would).
            after.headers.contains(name) == forward && (!forward || before.is_none_or(|f| keeps(&f, &after)))
        })
    })
}

/// The behavior's forwarding before and after `change`, when both are known.
fn forwarding_after(d: &Distribution, b: &Behavior, change: &ConfigChange) -> Option<(Option<Forwarding>, Forwarding)> {
    let mut copy = d.clone();
    change.apply(&mut copy).ok()?;
    let after =
        std::iter::once(&copy.default_behavior).chain(&copy.behaviors).find(|x| x.path_pattern == b.path_pattern)?;
    Some((for_behavior(b).ok(), for_behavior(after).ok()?))
}

/// Whether `after` forwards everything `before` did.
fn keeps(before: &Forwarding, after: &Forwarding) -> bool {
    subset(&before.headers, &after.headers)
        && subset(&before.cookies, &after.cookies)
        && subset(&before.query_strings, &after.query_strings)
}

/// The origin request policy that makes behavior `b` forward every viewer header, cookie and
/// query string, keeping whether Host is forwarded: AllViewerExceptHostHeader or AllViewer.
/// `None` for a behavior without a cache policy (legacy forwarding takes no origin request
/// policy) or when the change is not a widening.
pub(super) fn forward_all_viewer(d: &Distribution, b: &Behavior) -> Option<ConfigChange> {
    b.cache_policy_id.as_ref()?;
    let host = for_behavior(b).ok()?.forwards_host();
    let id = managed_policy_id(if host { "AllViewer" } else { "AllViewerExceptHostHeader" })?;
    if b.origin_request_policy_id.as_deref() == Some(id) {
        return None;
    }
    let change = ConfigChange::OriginRequestPolicy { behavior: BehaviorRef::of(b), policy_id: Some(id.to_string()) };
    let (before, after) = forwarding_after(d, b, &change)?;
    (before.is_some_and(|f| keeps(&f, &after)) && after.forwards_host() == host).then_some(change)
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

/// The fix that makes behavior `b` forward the viewer's Authorization header: one change where
/// one does it (legacy forwarding naming it, or an origin request policy of every viewer header
/// under a cache policy that disables caching); else, under an AWS-managed cache policy,
/// disabling caching (CachingDisabled) together with that origin request policy; and always the
/// owner's alternative of a cache policy whose cache key names Authorization (an origin request
/// policy cannot name it: <https://repost.aws/knowledge-center/cloudfront-authorization-header>).
pub(super) fn authorization_fix(d: &Distribution, b: &Behavior) -> Fix {
    let cache_key = vec![Change::Other {
        what: format!(
            "attach to behavior {} a cache policy whose cache key includes the Authorization header (create-cache-policy with HeadersConfig HeaderBehavior whitelist, Items [Authorization])",
            b.label()
        ),
    }];
    if let Some(one) = header_forwarding(d, b, "authorization", true) {
        return Fix::alternatives([vec![Change::Config(one)], cache_key]);
    }
    let uncached = b.cache_policy_id.as_deref().filter(|id| crate::forwarding::is_managed(id)).and_then(|_| {
        let disabled = managed_policy_id("CachingDisabled")?;
        let mut copy = d.clone();
        let behavior = BehaviorRef::of(b);
        let caching = ConfigChange::CachePolicy { behavior, policy_id: disabled.to_string() };
        caching.apply(&mut copy).ok()?;
        let after = std::iter::once(&copy.default_behavior)
            .chain(&copy.behaviors)
            .find(|x| x.path_pattern == b.path_pattern)?;
        let all = header_forwarding(&copy, after, "authorization", true)?;
        Some(vec![Change::Config(caching), Change::Config(all)])
    });
    match uncached {
        Some(changes) => Fix::alternatives([cache_key, changes]),
        None => Fix::alternatives([cache_key]),
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

/// An allow entry of `acl` for tcp `from`-`to` with `cidr`, numbered below every deny entry of
/// that direction and on a number the ACL does not use (entries are evaluated lowest number
/// first, and the implicit `*` deny last):
/// <https://docs.aws.amazon.com/vpc/latest/userguide/nacl-rules.html>. `None` when no number
/// is free below the first deny.
pub(super) fn acl_allow(
    acl: &NetworkAcl,
    region: Option<&str>,
    egress: bool,
    (from, to): (u16, u16),
    cidr: &str,
    taken: &[NetworkChange],
) -> Option<NetworkChange> {
    // Numbers of the ACL, and those given to other entries of the same fix.
    let used: Vec<i32> = acl
        .entries
        .iter()
        .filter(|e| e.egress == egress)
        .map(|e| e.rule_number)
        .chain(taken.iter().filter_map(|t| match t {
            NetworkChange::NetworkAclEntry { acl_id, egress: e, rule_number, .. }
                if *acl_id == acl.network_acl_id && *e == egress =>
            {
                Some(*rule_number)
            }
            _ => None,
        }))
        .collect();
    let first_deny = acl
        .entries
        .iter()
        .filter(|e| e.egress == egress && e.rule_action.eq_ignore_ascii_case("deny"))
        .map(|e| e.rule_number)
        .min();
    let rule_number = match first_deny {
        Some(deny) => (1..deny).rev().find(|n| !used.contains(n))?,
        None => (used.iter().copied().max().unwrap_or(0) + 1).clamp(1, 32766),
    };
    if used.contains(&rule_number) {
        return None;
    };
    Some(NetworkChange::NetworkAclEntry {
        acl_id: acl.network_acl_id.clone(),
        region: region.map(str::to_string),
        egress,
        rule_number,
        port_from: from,
        port_to: to,
        cidr: cidr.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::{LegacyForwarding, NaclEntry};
    use crate::testing::{behavior, custom_origin, evidence, nacl_entry};

    fn dist_with(b: Behavior) -> Distribution {
        let mut ev = evidence(
            custom_origin("o1", "app.example.com", OriginProtocolPolicy::HttpsOnly),
            crate::evidence::Fetch::NotApplicable { reason: "x".into() },
        );
        ev.inventory.distribution.default_behavior = b;
        ev.inventory.distribution
    }

    fn policy(name: &str) -> Option<String> {
        managed_policy_id(name).map(str::to_string)
    }

    #[test]
    fn host_forwarding_changes_are_kept_only_when_they_do_what_is_wanted() {
        // AllViewer forwards Host: AllViewerExceptHostHeader stops it.
        let b = Behavior { origin_request_policy_id: policy("AllViewer"), ..behavior("o1") };
        let d = dist_with(b.clone());
        assert_eq!(
            header_forwarding(&d, &b, "host", false),
            Some(ConfigChange::OriginRequestPolicy {
                behavior: BehaviorRef::default_behavior(),
                policy_id: policy("AllViewerExceptHostHeader")
            })
        );
        // Forwarding it back must not narrow the rest: AllViewer, not HostHeaderOnly.
        let b = behavior("o1");
        let d = dist_with(b.clone());
        assert_eq!(
            header_forwarding(&d, &b, "host", true),
            Some(ConfigChange::OriginRequestPolicy {
                behavior: BehaviorRef::default_behavior(),
                policy_id: policy("AllViewer")
            })
        );
        // A cache policy that itself forwards Host: no origin request policy stops it.
        let b = Behavior { cache_policy_id: policy("Amplify"), origin_request_policy_id: None, ..behavior("o1") };
        assert_eq!(header_forwarding(&dist_with(b.clone()), &b, "host", false), None);
        // Authorization: an origin request policy forwards it only with every viewer header
        // (it cannot name it alone), and only while caching is disabled; legacy forwarding can
        // name it.
        let b = Behavior { origin_request_policy_id: None, ..behavior("o1") };
        assert_eq!(header_forwarding(&dist_with(b.clone()), &b, "authorization", true), None, "caching is on");
        let uncached =
            Behavior { cache_policy_id: policy("CachingDisabled"), origin_request_policy_id: None, ..behavior("o1") };
        assert_eq!(
            header_forwarding(&dist_with(uncached.clone()), &uncached, "authorization", true),
            Some(ConfigChange::OriginRequestPolicy {
                behavior: BehaviorRef::default_behavior(),
                policy_id: policy("AllViewerExceptHostHeader")
            })
        );
        // Under a managed caching policy: the cache key (the owner's), or caching disabled with
        // every viewer header, both changes together.
        let fix = authorization_fix(&dist_with(b.clone()), &b);
        let Fix::Changes { alternatives } = &fix else { panic!("{fix:?}") };
        assert!(matches!(alternatives[0].changes[..], [Change::Other { .. }]), "{fix:?}");
        assert_eq!(
            alternatives[1].changes,
            vec![
                Change::Config(ConfigChange::CachePolicy {
                    behavior: BehaviorRef::default_behavior(),
                    policy_id: policy("CachingDisabled").unwrap()
                }),
                Change::Config(ConfigChange::OriginRequestPolicy {
                    behavior: BehaviorRef::default_behavior(),
                    policy_id: policy("AllViewerExceptHostHeader")
                }),
            ]
        );
        let mut d = dist_with(b.clone());
        for c in &alternatives[1].changes {
            let Change::Config(c) = c else { unreachable!() };
            c.apply(&mut d).unwrap();
        }
        assert!(for_behavior(&d.default_behavior).unwrap().forwards_authorization(), "the pair forwards it");
        let legacy = Behavior {
            cache_policy_id: None,
            origin_request_policy_id: None,
            forwarded_values: Some(LegacyForwarding {
                query_string: false,
                query_string_cache_keys: vec![],
                cookies_forward: "none".into(),
                cookie_names: vec![],
                headers: vec!["Host".into(), "Origin".into()],
            }),
            ..behavior("o1")
        };
        let d = dist_with(legacy.clone());
        assert_eq!(
            header_forwarding(&d, &legacy, "host", false),
            Some(ConfigChange::ForwardedHeaders {
                behavior: BehaviorRef::default_behavior(),
                value: vec!["Origin".into()]
            })
        );
        assert_eq!(
            header_forwarding(&d, &legacy, "authorization", true),
            Some(ConfigChange::ForwardedHeaders {
                behavior: BehaviorRef::default_behavior(),
                value: vec!["Host".into(), "Origin".into(), "authorization".into()]
            })
        );
    }

    #[test]
    fn forwarding_every_viewer_parameter_keeps_host_as_it_was() {
        let b = Behavior { origin_request_policy_id: None, ..behavior("o1") };
        let d = dist_with(b.clone());
        assert_eq!(
            forward_all_viewer(&d, &b),
            Some(ConfigChange::OriginRequestPolicy {
                behavior: BehaviorRef::default_behavior(),
                policy_id: policy("AllViewerExceptHostHeader")
            })
        );
        // Already attached: nothing to change.
        let b = behavior("o1");
        assert_eq!(forward_all_viewer(&dist_with(b.clone()), &b), None);
    }

    #[test]
    fn an_acl_entry_goes_below_the_first_deny_on_a_free_number() {
        let acl = |entries: Vec<NaclEntry>| NetworkAcl {
            network_acl_id: "acl-1".into(),
            vpc_id: "vpc-1".into(),
            is_default: false,
            subnet_ids: vec![],
            entries,
        };
        let number = |c: Option<NetworkChange>| match c {
            Some(NetworkChange::NetworkAclEntry { rule_number, .. }) => Some(rule_number),
            _ => None,
        };
        let a =
            acl(vec![nacl_entry(50, false, false, "0.0.0.0/0", None), nacl_entry(49, false, true, "10.0.0.0/8", None)]);
        let first = acl_allow(&a, None, false, (443, 443), "0.0.0.0/0", &[]);
        assert_eq!(number(first.clone()), Some(48));
        let taken = vec![first.unwrap()];
        assert_eq!(number(acl_allow(&a, None, false, (80, 80), "0.0.0.0/0", &taken)), Some(47));
        // The outbound direction has its own numbers.
        assert_eq!(number(acl_allow(&a, None, true, (1024, 65535), "0.0.0.0/0", &taken)), Some(1));
        let full = acl(vec![nacl_entry(1, false, false, "0.0.0.0/0", None)]);
        assert_eq!(acl_allow(&full, None, false, (443, 443), "0.0.0.0/0", &[]), None);
    }
}
