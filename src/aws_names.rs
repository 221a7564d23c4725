//! What the AWS CLI's settings name, checked before any call so that a mistake gets one line
//! that says what to do: a region no AWS partition has, an SSO profile whose cached session
//! has expired.
//!
//! Regions: every AWS partition declares the pattern of its region names (the SDKs' endpoint
//! rules, `partitions.json`); a name outside all of them has no endpoints.
//! SSO: <https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-sso.html> (the
//! `sso-session` section, `aws sso login`, the token cache in `~/.aws/sso/cache`).

use std::path::PathBuf;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The region-name prefixes of the AWS partitions (aws, aws-cn, aws-us-gov, aws-iso,
/// aws-iso-b, aws-iso-e, aws-iso-f, aws-eusc): a region is `<prefix>-<name>-<number>`.
const PARTITION_PREFIXES: &[&str] = &[
    "us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx", "cn", "us-gov", "us-iso", "us-isob", "eu-isoe", "us-isof",
    "eusc-de",
];

/// True when some AWS partition has region names shaped like `region` (e.g. `eu-west-1`).
pub fn region_in_a_partition(region: &str) -> bool {
    let Some((rest, number)) = region.rsplit_once('-') else { return false };
    let Some((prefix, name)) = rest.rsplit_once('-') else { return false };
    !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric())
        && PARTITION_PREFIXES.contains(&prefix)
}

/// The regional endpoint host of EC2 in `region`, for the partitions whose DNS suffix is public.
pub fn ec2_endpoint(region: &str) -> Option<String> {
    if region.starts_with("cn-") {
        Some(format!("ec2.{region}.amazonaws.com.cn"))
    } else if ["us-iso", "eu-iso", "eusc-"].iter().any(|p| region.starts_with(p)) {
        None
    } else {
        Some(format!("ec2.{region}.amazonaws.com"))
    }
}

/// The shared config file the SDK reads: `AWS_CONFIG_FILE`, else `~/.aws/config`.
fn config_file() -> Option<PathBuf> {
    match std::env::var_os("AWS_CONFIG_FILE") {
        Some(p) => Some(PathBuf::from(p)),
        None => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".aws").join("config")),
    }
}

/// The `key = value` lines of one `[section]` of an INI-style AWS config file.
fn section(text: &str, wanted: &str) -> Option<Vec<(String, String)>> {
    let mut inside = false;
    let mut found = None::<Vec<(String, String)>>;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') && line.ends_with(']') {
            let name = line[1..line.len() - 1].split_whitespace().collect::<Vec<_>>().join(" ");
            inside = name == wanted;
            if inside && found.is_none() {
                found = Some(Vec::new());
            }
            continue;
        }
        if let (true, Some(v), Some((k, val))) = (inside, found.as_mut(), line.split_once('=')) {
            v.push((k.trim().to_ascii_lowercase(), val.trim().to_string()));
        }
    }
    found
}

fn value<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The profile in effect: the flag, else `AWS_PROFILE`, else `default`.
pub fn profile_in_effect(flag: Option<&str>) -> String {
    flag.map(str::to_string)
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_string())
}

/// For an SSO profile (an `sso_session`, or the older `sso_start_url`): whether its cached
/// token is missing or past its `expiresAt`. `None` for any other profile, or when the config
/// cannot be read.
pub fn sso_session_expired(profile: &str) -> Option<bool> {
    let text = std::fs::read_to_string(config_file()?).ok()?;
    let kv = section(&text, &format!("profile {profile}"))
        .or_else(|| (profile == "default").then(|| section(&text, "default")).flatten())?;
    // The cache file is named by the SHA-1 of the session's name, or of the start URL for a
    // profile without a session (the AWS CLI's and the SDKs' shared convention).
    let key = match (value(&kv, "sso_session"), value(&kv, "sso_start_url")) {
        (Some(session), _) => session.to_string(),
        (None, Some(url)) => url.to_string(),
        (None, None) => return None,
    };
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, key.as_bytes());
    let name: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let home = std::env::var_os("HOME")?;
    let path = PathBuf::from(home).join(".aws").join("sso").join("cache").join(format!("{name}.json"));
    let Ok(raw) = std::fs::read(path) else { return Some(true) };
    let cached: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    let expires = cached.get("expiresAt")?.as_str()?;
    utc_stamp_passed(expires, &OffsetDateTime::now_utc().format(&Rfc3339).ok()?)
}

/// Whether the UTC stamp `at` (`2026-01-01T00:00:00Z`, fraction allowed) is not after `now`
/// (the same form): the two compare as text to the second. Any other spelling decides nothing.
fn utc_stamp_passed(at: &str, now: &str) -> Option<bool> {
    Some(utc_seconds(at)? <= utc_seconds(now)?)
}

fn utc_seconds(s: &str) -> Option<&str> {
    (s.len() >= 20 && s.ends_with('Z') && s.as_bytes().get(10) == Some(&b'T')).then(|| s.get(..19)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_follow_the_partitions() {
        for ok in ["us-east-1", "eu-west-3", "ap-southeast-5", "us-gov-west-1", "cn-north-1", "il-central-1"] {
            assert!(region_in_a_partition(ok), "{ok}");
        }
        for bad in ["xx-fake-9", "us-east", "useast-1", "eu-west-x", "us--1", "moon-base-1"] {
            assert!(!region_in_a_partition(bad), "{bad}");
        }
        assert_eq!(ec2_endpoint("cn-north-1").as_deref(), Some("ec2.cn-north-1.amazonaws.com.cn"));
    }

    #[test]
    fn cached_token_stamps_compare_to_the_second() {
        let now = "2026-12-07T00:40:00.123Z";
        assert_eq!(utc_stamp_passed("2020-01-01T00:00:00Z", now), Some(true));
        assert_eq!(utc_stamp_passed("2026-12-07T00:40:00Z", now), Some(true));
        assert_eq!(utc_stamp_passed("2030-01-01T00:00:00.5Z", now), Some(false));
        assert_eq!(utc_stamp_passed("2030-01-01T00:00:00UTC", now), None);
    }

    #[test]
    fn sections_are_read_by_name() {
        let text = "[default]\nregion=us-east-1\n[profile  oncall ]\nsso_session = corp\n[sso-session corp]\nsso_region = eu-west-1\n";
        assert_eq!(section(text, "profile oncall").unwrap(), vec![("sso_session".into(), "corp".into())]);
        assert_eq!(value(&section(text, "default").unwrap(), "region"), Some("us-east-1"));
        assert!(section(text, "profile other").is_none());
    }
}
