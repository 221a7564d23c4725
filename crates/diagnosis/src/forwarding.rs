//! What a cache behavior sends to its origin: Host, other headers, cookies, query strings.
//!
//! AWS-managed cache and origin request policies are fixed, so their definitions live here and
//! no API call is spent on them (AWS "Use managed cache policies" and "Use managed origin
//! request policies"). A behavior without a cache policy uses the
//! legacy `ForwardedValues`. With a cache policy, anything in neither the cache policy nor the
//! origin request policy is not forwarded.

use crate::evidence::{Behavior, Fetch, LegacyForwarding, PolicyDefinition};
use serde::{Deserialize, Serialize};

pub use crate::evidence::NameSet;

const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const AUTHORIZATION: &str = "Authorization";

impl NameSet {
    /// The set with `name` taken out.
    fn without(self, name: &str) -> NameSet {
        use NameSet::*;
        match self {
            All => AllExcept(vec![name.to_string()]),
            AllExcept(mut ex) => {
                if !ex.iter().any(|e| e.eq_ignore_ascii_case(name)) {
                    ex.push(name.to_string());
                }
                AllExcept(ex)
            }
            Only(names) => Only(names.into_iter().filter(|n| !n.eq_ignore_ascii_case(name)).collect()),
            None => None,
        }
    }

    fn union(self, other: NameSet) -> NameSet {
        use NameSet::*;
        match (self, other) {
            (All, _) | (_, All) => All,
            (None, x) | (x, None) => x,
            (Only(mut a), Only(b)) => {
                for n in b {
                    if !a.iter().any(|x| x.eq_ignore_ascii_case(&n)) {
                        a.push(n);
                    }
                }
                Only(a)
            }
            (AllExcept(ex), Only(inc)) | (Only(inc), AllExcept(ex)) => {
                AllExcept(ex.into_iter().filter(|e| !inc.iter().any(|i| i.eq_ignore_ascii_case(e))).collect())
            }
            (AllExcept(a), AllExcept(b)) => {
                AllExcept(a.into_iter().filter(|e| b.iter().any(|x| x.eq_ignore_ascii_case(e))).collect())
            }
        }
    }
}

/// The origin-facing request shape of one behavior.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forwarding {
    pub headers: NameSet,
    pub cookies: NameSet,
    pub query_strings: NameSet,
    /// Where each part came from, for evidence (e.g. `OriginRequestPolicy AllViewer`).
    pub sources: Vec<String>,
}

impl Forwarding {
    /// CloudFront sends the viewer's Host only when it is forwarded; otherwise Host is the
    /// origin's domain name (and so is the TLS SNI).
    pub fn forwards_host(&self) -> bool {
        self.headers.contains("host")
    }

    pub fn forwards_authorization(&self) -> bool {
        self.headers.contains("authorization")
    }
}

/// Why a behavior's forwarding could not be worked out: a custom policy whose definition was
/// not read (or whose `GetCachePolicy` / `GetOriginRequestPolicy` call was denied or failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} {id} is a custom policy; {reason}")]
pub struct UnknownPolicy {
    pub kind: &'static str,
    pub id: String,
    /// e.g. `its definition was not read`, `access denied for cloudfront:GetCachePolicy`.
    pub reason: String,
}

struct ManagedPolicy {
    id: &'static str,
    name: &'static str,
    headers: &'static [&'static str],
    all_headers: bool,
    all_headers_except: &'static [&'static str],
    all_cookies: bool,
    all_query_strings: bool,
    query_strings: &'static [&'static str],
}

const fn policy(id: &'static str, name: &'static str) -> ManagedPolicy {
    ManagedPolicy {
        id,
        name,
        headers: &[],
        all_headers: false,
        all_headers_except: &[],
        all_cookies: false,
        all_query_strings: false,
        query_strings: &[],
    }
}

const MANAGED_CACHE_POLICIES: &[ManagedPolicy] = &[
    policy("658327ea-f89d-4fab-a63d-7e88639e58f6", "CachingOptimized"),
    policy("b2884449-e4de-46a7-ac36-70bc7f1ddd6d", "CachingOptimizedForUncompressedObjects"),
    policy("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "CachingDisabled"),
    ManagedPolicy {
        headers: &["Authorization", "CloudFront-Viewer-Country", "Host"],
        all_cookies: true,
        all_query_strings: true,
        ..policy("2e54312d-136d-493c-8eb9-b001f22f67d2", "Amplify")
    },
    ManagedPolicy {
        headers: &["Origin"],
        query_strings: &["aws.manifestfilter", "start", "end", "m"],
        ..policy("08627262-05a9-4f76-9ded-b50ca2e3a84f", "Elemental-MediaPackage")
    },
    ManagedPolicy {
        headers: &["Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"],
        all_cookies: true,
        ..policy("83da9c7e-98b4-4e11-a168-04f0df8e2c65", "UseOriginCacheControlHeaders")
    },
    ManagedPolicy {
        headers: &["Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"],
        all_cookies: true,
        all_query_strings: true,
        ..policy("4cc15a8a-d715-48a4-82b8-cc0b614638fe", "UseOriginCacheControlHeaders-QueryStrings")
    },
];

const MANAGED_ORIGIN_REQUEST_POLICIES: &[ManagedPolicy] = &[
    ManagedPolicy {
        all_headers: true,
        all_cookies: true,
        all_query_strings: true,
        ..policy("216adef6-5c7f-47e4-b989-5492eafa07d3", "AllViewer")
    },
    ManagedPolicy {
        all_headers: true,
        all_cookies: true,
        all_query_strings: true,
        ..policy("33f36d7e-f396-46d9-90e0-52428a34d9dc", "AllViewerAndCloudFrontHeaders-2022-06")
    },
    ManagedPolicy {
        all_headers_except: &["Host"],
        all_cookies: true,
        all_query_strings: true,
        ..policy("b689b0a8-53d0-40ab-baf2-68738e2966ac", "AllViewerExceptHostHeader")
    },
    ManagedPolicy { headers: &["Origin"], ..policy("59781a5b-3903-41f3-afcb-af62929ccde1", "CORS-CustomOrigin") },
    ManagedPolicy {
        headers: &["Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"],
        ..policy("88a5eaf4-2fd4-4709-b370-b4c650ea3fcf", "CORS-S3Origin")
    },
    ManagedPolicy {
        headers: &["Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method", "User-Agent"],
        all_query_strings: true,
        ..policy("775133bc-15f2-49f9-abea-afb2e0bf67d2", "Elemental-MediaTailor-PersonalizedManifests")
    },
    ManagedPolicy { headers: &["Host"], ..policy("bf0718e1-ba1e-49d1-88b1-f726733018ae", "HostHeaderOnly") },
    ManagedPolicy {
        headers: &["User-Agent", "Referer"],
        all_query_strings: true,
        ..policy("acba4595-bd28-49b8-b9fe-13317c0390fa", "UserAgentRefererHeaders")
    },
];

impl ManagedPolicy {
    fn forwarding(&self, kind: &str) -> Forwarding {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let headers = if self.all_headers {
            NameSet::All
        } else if !self.all_headers_except.is_empty() {
            NameSet::AllExcept(names(self.all_headers_except))
        } else if self.headers.is_empty() {
            NameSet::None
        } else {
            NameSet::Only(names(self.headers))
        };
        let query_strings = if self.all_query_strings {
            NameSet::All
        } else if self.query_strings.is_empty() {
            NameSet::None
        } else {
            NameSet::Only(names(self.query_strings))
        };
        Forwarding {
            headers,
            cookies: if self.all_cookies { NameSet::All } else { NameSet::None },
            query_strings,
            sources: vec![format!("{kind} {} ({})", self.name, self.id)],
        }
    }
}

/// The id of the AWS-managed cache or origin request policy with this name.
pub fn managed_policy_id(name: &str) -> Option<&'static str> {
    MANAGED_CACHE_POLICIES.iter().chain(MANAGED_ORIGIN_REQUEST_POLICIES).find(|p| p.name == name).map(|p| p.id)
}

/// The managed policy name for an id, if AWS manages it.
pub fn managed_policy_name(id: &str) -> Option<&'static str> {
    MANAGED_CACHE_POLICIES.iter().chain(MANAGED_ORIGIN_REQUEST_POLICIES).find(|p| p.id == id).map(|p| p.name)
}

fn legacy(f: &LegacyForwarding) -> Forwarding {
    let headers = if f.headers.iter().any(|h| h == "*") {
        NameSet::All
    } else if f.headers.is_empty() {
        NameSet::None
    } else {
        NameSet::Only(f.headers.clone())
    };
    let cookies = match f.cookies_forward.as_str() {
        "all" => NameSet::All,
        "whitelist" => NameSet::Only(f.cookie_names.clone()),
        _ => NameSet::None,
    };
    Forwarding {
        headers,
        cookies,
        // Legacy QueryString=true forwards every query string; the cache keys only narrow caching.
        query_strings: if f.query_string { NameSet::All } else { NameSet::None },
        sources: vec!["ForwardedValues (legacy)".to_string()],
    }
}

fn nothing(source: &str) -> Forwarding {
    Forwarding {
        headers: NameSet::None,
        cookies: NameSet::None,
        query_strings: NameSet::None,
        sources: vec![source.to_string()],
    }
}

/// What a fetched custom policy sends to the origin.
fn custom(kind: &str, p: &PolicyDefinition) -> Forwarding {
    Forwarding {
        headers: p.headers.clone(),
        cookies: p.cookies.clone(),
        query_strings: p.query_strings.clone(),
        sources: vec![format!("{kind} {} ({}, custom)", p.name, p.id)],
    }
}

/// A policy's forwarding: managed ones from the table, custom ones from their fetched definition.
fn policy_forwarding(
    kind: &'static str,
    id: &str,
    managed: &[ManagedPolicy],
    fetched: Option<&Fetch<PolicyDefinition>>,
) -> Result<Forwarding, UnknownPolicy> {
    if let Some(p) = managed.iter().find(|p| p.id == id) {
        return Ok(p.forwarding(kind));
    }
    match fetched {
        Some(Fetch::Fetched { value }) => Ok(custom(kind, value)),
        Some(other) => {
            Err(UnknownPolicy { kind, id: id.to_string(), reason: other.missing_reason().unwrap_or_default() })
        }
        None => Err(UnknownPolicy { kind, id: id.to_string(), reason: "its definition was not read".into() }),
    }
}

/// Works out a behavior's forwarding from its policies, or says which custom policy is missing.
pub fn for_behavior(b: &Behavior) -> Result<Forwarding, UnknownPolicy> {
    let Some(cache_id) = b.cache_policy_id.as_deref() else {
        return Ok(b
            .forwarded_values
            .as_ref()
            .map(legacy)
            .unwrap_or_else(|| nothing("no cache policy and no ForwardedValues")));
    };
    let cache = policy_forwarding("CachePolicy", cache_id, MANAGED_CACHE_POLICIES, b.cache_policy.as_ref())?;
    let Some(orp_id) = b.origin_request_policy_id.as_deref() else {
        return Ok(cache);
    };
    let orp = policy_forwarding(
        "OriginRequestPolicy",
        orp_id,
        MANAGED_ORIGIN_REQUEST_POLICIES,
        b.origin_request_policy.as_ref(),
    )?;
    let mut sources = cache.sources;
    sources.extend(orp.sources);
    // An origin request policy cannot name Authorization, and one that forwards every viewer
    // header (AllViewer, AllViewerExceptHostHeader) carries it only while caching is disabled:
    // otherwise it must be in the cache key, so that the cache cannot answer one viewer with
    // another's response. A custom cache policy's TTLs are not read, so it is taken as written.
    // <https://repost.aws/knowledge-center/cloudfront-authorization-header>
    let orp_headers = if is_managed(cache_id) && cache_id != CACHING_DISABLED {
        orp.headers.without(AUTHORIZATION)
    } else {
        orp.headers
    };
    Ok(Forwarding {
        headers: cache.headers.union(orp_headers),
        cookies: cache.cookies.union(orp.cookies),
        query_strings: cache.query_strings.union(orp.query_strings),
        sources,
    })
}

/// Whether a policy id is one AWS manages (its definition is in this module, no call needed).
pub fn is_managed(id: &str) -> bool {
    managed_policy_name(id).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::ViewerProtocolPolicy;

    fn behavior(cache: Option<&str>, orp: Option<&str>, legacy_fv: Option<LegacyForwarding>) -> Behavior {
        Behavior {
            path_pattern: None,
            target_origin_id: "o".into(),
            viewer_protocol_policy: ViewerProtocolPolicy::AllowAll,
            allowed_methods: vec!["GET".into(), "HEAD".into()],
            cached_methods: vec!["GET".into(), "HEAD".into()],
            cache_policy_id: cache.map(str::to_string),
            origin_request_policy_id: orp.map(str::to_string),
            forwarded_values: legacy_fv,
            function_associations: vec![],
            lambda_associations: vec![],
            trusted_key_groups: vec![],
            cache_policy: None,
            origin_request_policy: None,
        }
    }

    const OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";

    #[test]
    fn every_viewer_header_includes_authorization_only_while_caching_is_disabled() {
        const ALL_VIEWER: &str = "216adef6-5c7f-47e4-b989-5492eafa07d3";
        const EXCEPT_HOST: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";
        for orp in [ALL_VIEWER, EXCEPT_HOST] {
            let cached = for_behavior(&behavior(Some(OPTIMIZED), Some(orp), None)).unwrap();
            assert!(!cached.forwards_authorization(), "{orp} with caching");
            assert!(cached.headers.contains("accept-language"), "every other header still goes");
            let uncached = for_behavior(&behavior(Some(CACHING_DISABLED), Some(orp), None)).unwrap();
            assert!(uncached.forwards_authorization(), "{orp} with caching disabled");
        }
        let amplify = for_behavior(&behavior(Some("2e54312d-136d-493c-8eb9-b001f22f67d2"), Some(ALL_VIEWER), None));
        assert!(amplify.unwrap().forwards_authorization(), "a cache key that names Authorization forwards it");
    }

    #[test]
    fn all_viewer_forwards_host_but_except_host_does_not() {
        let f = for_behavior(&behavior(Some(OPTIMIZED), Some("216adef6-5c7f-47e4-b989-5492eafa07d3"), None)).unwrap();
        assert!(f.forwards_host());
        let f = for_behavior(&behavior(Some(OPTIMIZED), Some("b689b0a8-53d0-40ab-baf2-68738e2966ac"), None)).unwrap();
        assert!(!f.forwards_host());
        assert_eq!(f.cookies, NameSet::All);
    }

    #[test]
    fn caching_optimized_alone_forwards_nothing() {
        let f = for_behavior(&behavior(Some(OPTIMIZED), None, None)).unwrap();
        assert!(!f.forwards_host());
        assert_eq!(f.query_strings, NameSet::None);
        assert_eq!(f.cookies, NameSet::None);
    }

    #[test]
    fn legacy_host_header_and_star_forward_host() {
        let fv =
            LegacyForwarding { headers: vec!["Host".into()], cookies_forward: "none".into(), ..Default::default() };
        assert!(for_behavior(&behavior(None, None, Some(fv))).unwrap().forwards_host());
        let fv = LegacyForwarding { headers: vec!["*".into()], cookies_forward: "all".into(), ..Default::default() };
        let f = for_behavior(&behavior(None, None, Some(fv))).unwrap();
        assert!(f.forwards_host() && f.headers.contains("x-anything"));
        assert_eq!(f.cookies, NameSet::All);
        let fv =
            LegacyForwarding { headers: vec!["Accept".into()], cookies_forward: "none".into(), ..Default::default() };
        assert!(!for_behavior(&behavior(None, None, Some(fv))).unwrap().forwards_host());
    }

    #[test]
    fn custom_policies_are_reported_unknown() {
        let e = for_behavior(&behavior(Some("11111111-2222-3333-4444-555555555555"), None, None)).unwrap_err();
        assert_eq!(e.kind, "CachePolicy");
        let e = for_behavior(&behavior(Some(OPTIMIZED), Some("custom-orp"), None)).unwrap_err();
        assert_eq!(e.kind, "OriginRequestPolicy");
    }

    #[test]
    fn name_set_union_keeps_inclusions_over_exclusions() {
        let u = NameSet::AllExcept(vec!["Host".into()]).union(NameSet::Only(vec!["host".into()]));
        assert!(u.contains("Host"));
    }

    fn definition(id: &str, headers: NameSet, cookies: NameSet, query_strings: NameSet) -> PolicyDefinition {
        PolicyDefinition { id: id.into(), name: format!("custom-{id}"), headers, cookies, query_strings }
    }

    #[test]
    fn a_fetched_custom_origin_request_policy_decides_host_cookies_and_query_strings() {
        let mut b = behavior(Some(OPTIMIZED), Some("orp-1"), None);
        b.origin_request_policy = Some(Fetch::fetched(definition(
            "orp-1",
            NameSet::Only(vec!["Host".into(), "X-Tenant".into()]),
            NameSet::Only(vec!["session".into()]),
            NameSet::AllExcept(vec!["utm_source".into()]),
        )));
        let f = for_behavior(&b).unwrap();
        assert!(f.forwards_host());
        assert!(!f.forwards_authorization());
        assert!(f.headers.contains("x-tenant"));
        assert!(f.cookies.contains("session") && !f.cookies.contains("other"));
        assert!(f.query_strings.contains("page") && !f.query_strings.contains("utm_source"));
        assert!(f.sources.iter().any(|s| s.contains("custom-orp-1")), "{:?}", f.sources);
    }

    #[test]
    fn a_custom_cache_policy_unions_with_a_managed_origin_request_policy() {
        let mut b = behavior(Some("cp-1"), Some("bf0718e1-ba1e-49d1-88b1-f726733018ae"), None);
        b.cache_policy = Some(Fetch::fetched(definition(
            "cp-1",
            NameSet::Only(vec!["Authorization".into()]),
            NameSet::None,
            NameSet::Only(vec!["lang".into()]),
        )));
        let f = for_behavior(&b).unwrap();
        assert!(f.forwards_host() && f.forwards_authorization());
        assert_eq!(f.query_strings, NameSet::Only(vec!["lang".into()]));
        assert_eq!(f.cookies, NameSet::None);
    }

    #[test]
    fn a_denied_policy_read_names_the_action() {
        let mut b = behavior(Some("cp-1"), None, None);
        b.cache_policy =
            Some(Fetch::Denied { action: "cloudfront:GetCachePolicy".into(), message: "not authorized".into() });
        let e = for_behavior(&b).unwrap_err();
        assert_eq!(e.id, "cp-1");
        assert!(e.to_string().contains("access denied for cloudfront:GetCachePolicy"), "{e}");
    }
}
