//! Finding the distribution behind a URL or hostname, for callers who know the failing address
//! but not the distribution id: `https://www.example.com/checkout`, `www.example.com` or
//! `d111111abcdef8.cloudfront.net`.
//!
//! The name is matched against every distribution's CloudFront domain name and alternate domain
//! names (`ListDistributions`, every page). An exact alias or domain name outranks a wildcard
//! alias; CloudFront routes a request to the distribution holding the most specific matching
//! alternate domain name
//! (<https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-wildcard>).
//! A wildcard covers one label, as the viewer certificate that must cover it does.

use crate::error::DiagnoseError;
use crate::inventory::{ApiError, AwsApi, DistributionSummary};
use crate::request::{DistributionId, InvalidRequest};

/// How many candidates an error lists.
const MAX_LISTED: usize = 10;
/// The longest name DNS allows.
const MAX_HOST: usize = 253;

/// What the caller named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A distribution id.
    Id(String),
    /// A hostname, with the URL's path and query when a URL was given.
    Host { host: String, path: Option<String> },
}

/// Reads a distribution id, a URL (`http://` or `https://`) or a bare hostname (optionally with
/// a path). Never panics; anything else is an [`InvalidRequest`].
pub fn parse_target(input: &str) -> Result<Target, InvalidRequest> {
    let input = input.trim();
    if DistributionId::parse(input).is_ok() {
        return Ok(Target::Id(input.to_string()));
    }
    let invalid = |why: &str| {
        InvalidRequest(format!(
            "{:?} is neither a distribution id (E2QWRUHEXAMPLE) nor a URL or hostname: {why}",
            clip(input)
        ))
    };
    let rest = match input.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http") => rest,
        Some(_) => return Err(invalid("only http:// and https:// URLs are accepted")),
        None => input,
    };
    // The fragment never reaches a server.
    let rest = rest.split('#').next().unwrap_or_default();
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    if authority.contains('@') {
        return Err(invalid("a URL with credentials is not accepted"));
    }
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        Some(_) => return Err(invalid("the port is not a number")),
        None => authority,
    };
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    if host.is_empty() || host.len() > MAX_HOST {
        return Err(invalid("no hostname"));
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !l.starts_with('-')
    };
    if !host.split('.').all(label_ok) || !host.contains('.') {
        return Err(invalid("not a hostname (letters, digits and hyphens in dot-separated labels)"));
    }
    let path = match path {
        "" | "/" => None,
        p if p.starts_with('?') => Some(format!("/{p}")),
        p => Some(p.to_string()),
    };
    Ok(Target::Host { host, path })
}

/// How well one name of a distribution matches the host; higher is more specific.
fn rank(name: &str, host: &str) -> Option<usize> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    if name == host {
        // An exact name outranks every wildcard.
        return Some(usize::MAX);
    }
    let suffix = name.strip_prefix("*.")?;
    let (first, parent) = host.split_once('.')?;
    (!first.is_empty() && parent == suffix).then_some(suffix.len())
}

/// The best name of `d` matching `host` and its rank.
fn best(d: &DistributionSummary, host: &str) -> Option<(usize, String)> {
    std::iter::once(&d.domain_name)
        .chain(&d.aliases)
        .filter_map(|n| rank(n, host).map(|r| (r, n.clone())))
        .max_by_key(|(r, _)| *r)
}

/// One line per distribution: `E123 (d1.cloudfront.net; www.example.com, *.example.com)`.
fn describe(d: &DistributionSummary) -> String {
    if d.aliases.is_empty() {
        format!("{} ({})", d.id, d.domain_name)
    } else {
        format!("{} ({}; {})", d.id, d.domain_name, d.aliases.join(", "))
    }
}

fn listing<'a>(ds: impl Iterator<Item = &'a DistributionSummary>, total: usize) -> String {
    let mut out: Vec<String> = ds.take(MAX_LISTED).map(describe).collect();
    if total > MAX_LISTED {
        out.push(format!("and {} more", total - MAX_LISTED));
    }
    out.join("; ")
}

/// The distribution serving `host`, and how it was found. Several at the same best rank are
/// ambiguous; none is an error that lists the account's distributions nearest the name.
pub fn match_host(host: &str, distributions: &[DistributionSummary]) -> Result<(String, String), DiagnoseError> {
    let ranked: Vec<(usize, String, &DistributionSummary)> =
        distributions.iter().filter_map(|d| best(d, host).map(|(r, n)| (r, n, d))).collect();
    let Some(top) = ranked.iter().map(|(r, _, _)| *r).max() else {
        // The distributions sharing the name's parent domain are the likely intended ones.
        let parent = host.split_once('.').map_or(host, |(_, p)| p);
        let near: Vec<&DistributionSummary> = distributions
            .iter()
            .filter(|d| d.aliases.iter().any(|a| a.to_ascii_lowercase().ends_with(parent)))
            .collect();
        let candidates = if near.is_empty() {
            match distributions.len() {
                0 => "the account has no distributions".to_string(),
                n => format!("the account's distributions: {}", listing(distributions.iter(), n)),
            }
        } else {
            format!("distributions under {parent}: {}", listing(near.iter().copied(), near.len()))
        };
        return Err(DiagnoseError::NoDistributionFor(format!(
            "no distribution has {host} as its domain name or an alternate domain name; {candidates}"
        )));
    };
    let winners: Vec<&(usize, String, &DistributionSummary)> = ranked.iter().filter(|(r, _, _)| *r == top).collect();
    match winners.as_slice() {
        [(_, name, d)] => {
            let how = if name.eq_ignore_ascii_case(host) {
                if name.eq_ignore_ascii_case(&d.domain_name) {
                    format!("from {host}: the distribution's CloudFront domain name")
                } else {
                    format!("from {host}: alternate domain name {name}")
                }
            } else {
                format!("from {host}: wildcard alternate domain name {name}")
            };
            Ok((d.id.clone(), how))
        }
        _ => Err(DiagnoseError::AmbiguousTarget(format!(
            "{host} matches {} distributions equally ({}); name one by its id",
            winners.len(),
            listing(winners.iter().map(|(_, _, d)| *d), winners.len())
        ))),
    }
}

/// Lists the account's distributions and finds the one serving `host`; returns its id and how
/// it was found.
pub async fn locate<A: AwsApi>(api: &A, host: &str) -> Result<(String, String), DiagnoseError> {
    let distributions = api.list_distributions().await.map_err(list_error)?;
    match_host(host, &distributions)
}

/// A failed `ListDistributions`, as the error that ends the run.
pub fn list_error(e: ApiError) -> DiagnoseError {
    match e {
        ApiError::Denied { message } => DiagnoseError::AccessDenied(format!(
            "the identity in use may not call cloudfront:ListDistributions ({message}): grant it that action, or choose another identity with --profile or --role-arn"
        )),
        ApiError::Throttled { message } => DiagnoseError::Throttled(message),
        ApiError::NoCredentials { message } => DiagnoseError::NoCredentials(message),
        other => DiagnoseError::AwsUnavailable(format!("cloudfront:ListDistributions: {other}")),
    }
}

fn clip(s: &str) -> String {
    s.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(id: &str, domain: &str, aliases: &[&str]) -> DistributionSummary {
        DistributionSummary {
            id: id.into(),
            domain_name: domain.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
        }
    }

    #[test]
    fn parses_urls_hosts_and_ids() {
        assert_eq!(parse_target("E2QWRUHEXAMPLE").unwrap(), Target::Id("E2QWRUHEXAMPLE".into()));
        assert_eq!(
            parse_target("https://WWW.Example.com:8443/checkout?a=1#top").unwrap(),
            Target::Host { host: "www.example.com".into(), path: Some("/checkout?a=1".into()) }
        );
        assert_eq!(
            parse_target("www.example.com.").unwrap(),
            Target::Host { host: "www.example.com".into(), path: None }
        );
        assert_eq!(
            parse_target("http://d1.cloudfront.net?x").unwrap(),
            Target::Host { host: "d1.cloudfront.net".into(), path: Some("/?x".into()) }
        );
        for bad in
            ["", "ftp://x.com/", "https://u:p@x.com/", "x.com:port", "localhost", "a..b", "exa mple.com", "\u{0}"]
        {
            assert!(parse_target(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn exact_alias_outranks_wildcard_and_wildcard_covers_one_label() {
        let all = [
            d("EWILD", "d1.cloudfront.net", &["*.example.com"]),
            d("EEXACT", "d2.cloudfront.net", &["www.example.com"]),
        ];
        assert_eq!(match_host("www.example.com", &all).unwrap().0, "EEXACT");
        let (id, how) = match_host("shop.example.com", &all).unwrap();
        assert_eq!(id, "EWILD");
        assert!(how.contains("wildcard"), "{how}");
        assert_eq!(match_host("d1.cloudfront.net", &all).unwrap().0, "EWILD");
        assert!(matches!(match_host("a.shop.example.com", &all), Err(DiagnoseError::NoDistributionFor(_))));
    }

    #[test]
    fn ties_and_misses_list_candidates() {
        let all =
            [d("EONE", "d1.cloudfront.net", &["*.example.com"]), d("ETWO", "d2.cloudfront.net", &["*.example.com"])];
        let Err(DiagnoseError::AmbiguousTarget(m)) = match_host("www.example.com", &all) else { panic!() };
        assert!(m.contains("EONE") && m.contains("ETWO"), "{m}");
        let Err(DiagnoseError::NoDistributionFor(m)) = match_host("www.other.org", &all) else { panic!() };
        assert!(m.contains("EONE") && m.contains("ETWO"), "{m}");
    }
}
