//! Secret values (custom origin header values, ALB header-rule values) and the scrubber that
//! keeps them out of everything a run records.
//!
//! The plain value lives only in memory, for the probe that must send it. It is never
//! serialized, printed or logged: evidence files and reports carry a fingerprint, an
//! HMAC-SHA256 under a key drawn at random once per process and never written anywhere. Two
//! values can still be compared within one run (equal values, equal fingerprints), but a
//! low-entropy secret cannot be confirmed offline by hashing guesses, as an unkeyed digest
//! would allow (RFC 2104 for HMAC).
//!
//! A hostile origin can also reflect a secret back: echo the request in its body, put it in a
//! `Location` or a cookie, encode it on the way. [`Scrubber`] replaces every form of every
//! secret the run knows with `<redacted>` in what the probes record.

use ring::hmac;
use ring::rand::SystemRandom;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::sync::OnceLock;

/// What a scrubbed secret becomes.
pub const REDACTED: &str = "<redacted>";

#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct SecretValue {
    #[serde(skip)]
    plain: Option<String>,
    /// `hmac:` and the first 16 hex digits of the HMAC-SHA256 of the value under this run's key
    /// (evidence recorded by older versions holds 16 hex digits of an unkeyed SHA-256).
    pub fingerprint: String,
}

/// The key fingerprints are made with. Random, held only in memory.
pub struct FingerprintKey(Option<hmac::Key>);

impl FingerprintKey {
    /// A fresh random key. Should the system's random source fail, values get no fingerprint
    /// rather than one made under a guessable key.
    pub fn generate() -> Self {
        FingerprintKey(hmac::Key::generate(hmac::HMAC_SHA256, &SystemRandom::new()).ok())
    }

    fn fingerprint(&self, value: &str) -> String {
        match &self.0 {
            Some(key) => {
                let tag = hmac::sign(key, value.as_bytes());
                let hex: String = tag.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
                format!("hmac:{hex}")
            }
            None => "unavailable".into(),
        }
    }
}

/// The key of this process: one CLI run, or one Lambda execution environment.
fn run_key() -> &'static FingerprintKey {
    static KEY: OnceLock<FingerprintKey> = OnceLock::new();
    KEY.get_or_init(FingerprintKey::generate)
}

impl SecretValue {
    pub fn new(plain: impl Into<String>) -> Self {
        Self::with_key(plain, run_key())
    }

    /// As [`SecretValue::new`], fingerprinted under `key` instead of this run's.
    pub fn with_key(plain: impl Into<String>, key: &FingerprintKey) -> Self {
        let plain = plain.into();
        let fingerprint = key.fingerprint(&plain);
        SecretValue { plain: Some(plain), fingerprint }
    }

    /// The value to put on the wire. `None` after a replay from a recorded file.
    pub fn expose(&self) -> Option<&str> {
        self.plain.as_deref()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted {}>", self.fingerprint)
    }
}

/// Replaces every secret of a run, in every form an origin could reflect it in, with
/// [`REDACTED`]: the value in any letter case, percent-encoded (upper or lower hex, `+` for a
/// space, encoded twice as `%25XX`, or partly encoded: RFC 3986 section 2.1 lets an encoder
/// choose), and base64 of it (RFC 4648 standard and URL-safe alphabets, padded or not, at any
/// alignment inside a longer encoded text). A string the probes cut short (a capped body sample
/// or header value, marked with `…`) whose end is the start of a secret loses that end too; a
/// string that ends where its writer ended it is left alone (an enum name such as `origin` is
/// not the start of a secret `original`).
#[derive(Clone, Default)]
pub struct Scrubber {
    patterns: Vec<Pattern>,
}

#[derive(Clone, PartialEq, Eq)]
struct Pattern {
    bytes: Vec<u8>,
    /// ASCII letters match in either case (the raw value); base64 text is case-sensitive.
    fold_case: bool,
    /// For base64 text: the characters just before (when the secret starts inside one) and
    /// just after it (with any `=` padding) also carry a few of its bits, and go with it.
    straddles: Option<Straddle>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Straddle {
    before: bool,
}

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Base64 runs shorter than this are not looked for: they would match unrelated text, and the
/// secret they stand for is short enough to be matched in its raw form anyway.
const MIN_BASE64_CHARS: usize = 4;
/// A cut string that ends with this many bytes (or more) of a secret's start loses them.
const MIN_TAIL_BYTES: usize = 3;
/// How the probes and the bounds mark text they cut (`evidence::bound`, the header cap, the
/// body sample).
const CUT_MARK: &str = "…";

impl Scrubber {
    pub fn new<I, S>(secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut patterns = Vec::new();
        for secret in secrets {
            let secret = secret.as_ref();
            if secret.is_empty() {
                continue;
            }
            patterns.push(Pattern { bytes: secret.as_bytes().to_vec(), fold_case: true, straddles: None });
            for variant in [secret.to_string(), secret.to_ascii_lowercase(), secret.to_ascii_uppercase()] {
                for offset in 0..3 {
                    let core = base64_core(variant.as_bytes(), offset);
                    if core.len() < MIN_BASE64_CHARS {
                        continue;
                    }
                    let url_safe: Vec<u8> = core
                        .iter()
                        .map(|&c| match c {
                            b'+' => b'-',
                            b'/' => b'_',
                            c => c,
                        })
                        .collect();
                    let straddles = Some(Straddle { before: offset > 0 });
                    patterns.push(Pattern { bytes: core, fold_case: false, straddles });
                    patterns.push(Pattern { bytes: url_safe, fold_case: false, straddles });
                }
            }
        }
        // Longest first, so that a value is replaced whole before a shorter form of it matches.
        patterns.sort_by(|a, b| {
            b.bytes.len().cmp(&a.bytes.len()).then_with(|| (&a.bytes, a.fold_case).cmp(&(&b.bytes, b.fold_case)))
        });
        patterns.dedup();
        Scrubber { patterns }
    }

    /// The scrubber of a run: every secret its inventory holds in plain (the distribution's
    /// custom origin header values, the load balancers' `http-header` rule values).
    pub fn for_inventory(inventory: &super::Inventory) -> Self {
        Self::for_inventories(&[inventory])
    }

    /// The secrets of several inventories (a live distribution and a proposed configuration).
    pub fn for_inventories(inventories: &[&super::Inventory]) -> Self {
        let origins =
            inventories.iter().flat_map(|i| &i.distribution.origins).flat_map(|o| &o.custom_headers).map(|h| &h.value);
        let rules = inventories
            .iter()
            .flat_map(|i| &i.origins)
            .filter_map(|o| match o.resource.value() {
                Some(super::OriginResource::LoadBalancer(lb)) => lb.listeners.value(),
                _ => None,
            })
            .flatten()
            .filter_map(|l| l.rules.value())
            .flatten()
            .flat_map(|r| &r.conditions)
            .flat_map(|c| &c.secret_values);
        Scrubber::new(origins.chain(rules).filter_map(SecretValue::expose))
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// `text` with every form of every secret replaced by [`REDACTED`].
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.patterns.is_empty() {
            return Cow::Borrowed(text);
        }
        let h = text.as_bytes();
        let mut out: Vec<u8> = Vec::with_capacity(h.len());
        let mut changed = false;
        let mut i = 0;
        'outer: while i < h.len() {
            for p in &self.patterns {
                match match_at(h, i, p) {
                    Match::Whole(mut end) => {
                        if let Some(straddle) = p.straddles {
                            if straddle.before && out.last().is_some_and(|&b| is_base64_char(b)) {
                                out.pop();
                            }
                            if h.get(end).is_some_and(|&b| is_base64_char(b)) {
                                end += 1;
                            }
                            while h.get(end) == Some(&b'=') {
                                end += 1;
                            }
                        }
                        out.extend_from_slice(REDACTED.as_bytes());
                        changed = true;
                        i = end;
                        continue 'outer;
                    }
                    Match::Tail => {
                        out.extend_from_slice(REDACTED.as_bytes());
                        changed = true;
                        out.extend_from_slice(CUT_MARK.as_bytes());
                        break 'outer;
                    }
                    Match::No => {}
                }
            }
            out.push(h[i]);
            i += 1;
        }
        if !changed {
            return Cow::Borrowed(text);
        }
        // Matches start and end on character boundaries (they begin with a secret's first
        // byte, and only ASCII is decoded or case-folded), so this is never lossy in practice.
        Cow::Owned(String::from_utf8_lossy(&out).into_owned())
    }

    /// Scrubs every string in a JSON value, object keys included.
    pub fn scrub_json(&self, value: &mut serde_json::Value) {
        use serde_json::Value;
        match value {
            Value::String(s) => {
                if let Cow::Owned(new) = self.scrub(s) {
                    *s = new;
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.scrub_json(v)),
            Value::Object(map) => {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    self.scrub_json(&mut v);
                    map.insert(self.scrub(&k).into_owned(), v);
                }
            }
            _ => {}
        }
    }

    /// Scrubs every string of a recorded value by walking its serialized form, so that no field
    /// (present or added later) escapes. A value that does not survive the round trip (a bug in
    /// the type's serde attributes, which the unit tests would show) is an error, never passed
    /// on unscrubbed.
    pub fn scrub_record<T>(&self, record: T) -> Result<T, serde_json::Error>
    where
        T: Serialize + serde::de::DeserializeOwned,
    {
        if self.is_empty() {
            return Ok(record);
        }
        let mut json = serde_json::to_value(&record)?;
        self.scrub_json(&mut json);
        serde_json::from_value(json)
    }
}

enum Match {
    No,
    /// The whole secret, ending before this index.
    Whole(usize),
    /// The text was cut ([`CUT_MARK`]) inside the secret, after at least [`MIN_TAIL_BYTES`].
    Tail,
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The byte a percent-escape at `h[j..]` stands for and the escape's length: `%XX`, or `%25XX`
/// (encoded twice).
fn percent_escape(h: &[u8], j: usize) -> Option<(u8, usize)> {
    if h.get(j) != Some(&b'%') {
        return None;
    }
    let hi = hex(*h.get(j + 1)?)?;
    let lo = hex(*h.get(j + 2)?)?;
    let byte = hi << 4 | lo;
    if byte == b'%' {
        if let (Some(hi), Some(lo)) = (h.get(j + 3).and_then(|&b| hex(b)), h.get(j + 4).and_then(|&b| hex(b))) {
            return Some((hi << 4 | lo, 5));
        }
    }
    Some((byte, 3))
}

fn match_at(h: &[u8], start: usize, p: &Pattern) -> Match {
    let same = |a: u8, b: u8| if p.fold_case { a.eq_ignore_ascii_case(&b) } else { a == b };
    let mut j = start;
    for (k, &b) in p.bytes.iter().enumerate() {
        let rest = &h[j..];
        if rest == CUT_MARK.as_bytes() {
            return if k >= MIN_TAIL_BYTES.min(p.bytes.len()) && k > 0 { Match::Tail } else { Match::No };
        }
        if rest.is_empty() {
            return Match::No;
        }
        if same(rest[0], b) {
            j += 1;
        } else if let Some((_, len)) = percent_escape(h, j).filter(|(d, _)| same(*d, b)) {
            j += len;
        } else if b == b' ' && rest[0] == b'+' {
            j += 1;
        } else {
            return Match::No;
        }
    }
    Match::Whole(j)
}

/// The base64 characters of `bytes` that do not depend on what surrounds them when they sit
/// `offset` bytes (0, 1 or 2) into a longer encoded text: a character covers six bits, so the
/// ones that straddle the secret's first or last byte are left out.
fn base64_core(bytes: &[u8], offset: usize) -> Vec<u8> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut padded = vec![0u8; offset];
    padded.extend_from_slice(bytes);
    let mut chars = Vec::with_capacity(padded.len() * 4 / 3 + 4);
    for group in padded.chunks(3) {
        let n = group.len();
        let word = u32::from(group[0]) << 16
            | u32::from(*group.get(1).unwrap_or(&0)) << 8
            | u32::from(*group.get(2).unwrap_or(&0));
        for c in 0..=n {
            chars.push(ALPHABET[(word >> (18 - 6 * c) & 63) as usize]);
        }
    }
    let first = (8 * offset).div_ceil(6);
    let end = (8 * (offset + bytes.len()) / 6).min(chars.len());
    if first >= end { Vec::new() } else { chars[first..end].to_vec() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "origin-secret 5f1e/2d3c+4b5a?";

    /// Standard base64 with padding, written out independently of [`base64_core`].
    fn b64(input: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in input.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let idx = [b[0] >> 2, (b[0] & 3) << 4 | b[1] >> 4, (b[1] & 15) << 2 | b[2] >> 6, b[2] & 63];
            for (i, &x) in idx.iter().enumerate() {
                out.push(if i <= chunk.len() { A[x as usize] as char } else { '=' });
            }
        }
        out
    }

    fn percent(s: &str, upper: bool, plus: bool) -> String {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                b' ' if plus => "+".into(),
                _ if upper => format!("%{b:02X}"),
                _ => format!("%{b:02x}"),
            })
            .collect()
    }

    fn forms(secret: &str) -> Vec<String> {
        let mut out = vec![
            secret.to_string(),
            secret.to_ascii_uppercase(),
            secret.to_ascii_lowercase(),
            percent(secret, true, false),
            percent(secret, false, false),
            percent(secret, true, true),
            percent(&secret.to_ascii_uppercase(), false, true),
            // Every byte escaped, and escaped twice.
            secret.bytes().map(|b| format!("%{b:02X}")).collect(),
            secret.bytes().map(|b| format!("%25{b:02x}")).collect(),
        ];
        for v in [secret.to_string(), secret.to_ascii_uppercase(), secret.to_ascii_lowercase()] {
            // Alone and inside longer encoded texts, at each alignment.
            for prefix in ["", "t=", "to=", "tok="] {
                let std = b64(format!("{prefix}{v}&x=1").as_bytes());
                out.push(std.clone());
                out.push(std.trim_end_matches('=').to_string());
                out.push(std.replace('+', "-").replace('/', "_"));
                out.push(std.replace('+', "-").replace('/', "_").trim_end_matches('=').to_string());
                out.push(percent(&std, true, false));
            }
            out.push(b64(v.as_bytes()));
        }
        out
    }

    /// What an observer could still learn: any 6 consecutive characters of any form.
    fn leaks(text: &str, secret: &str) -> Option<String> {
        let lower = text.to_ascii_lowercase();
        if lower.contains(&secret.to_ascii_lowercase()) {
            return Some("raw".into());
        }
        for v in [secret.to_string(), secret.to_ascii_uppercase(), secret.to_ascii_lowercase()] {
            for off in 0..3 {
                let core = String::from_utf8(base64_core(v.as_bytes(), off)).unwrap();
                let url = core.replace('+', "-").replace('/', "_");
                for c in [core, url] {
                    if text.contains(&c) {
                        return Some(format!("base64 {c}"));
                    }
                }
            }
        }
        None
    }

    #[test]
    fn every_form_of_a_secret_is_scrubbed_and_other_text_is_kept() {
        let s = Scrubber::new([SECRET]);
        for form in forms(SECRET) {
            let text = format!("before {form} after");
            let out = s.scrub(&text);
            assert!(out.contains(REDACTED), "{form:?} not scrubbed: {out}");
            assert!(out.starts_with("before ") && out.ends_with(" after"), "{form:?}: {out}");
            assert_eq!(leaks(&out, SECRET), None, "{form:?} leaks in {out}");
            let form_lower = form.to_ascii_lowercase();
            assert!(!out.to_ascii_lowercase().contains(&form_lower), "{form:?} survives in {out}");
        }
        // The straddling base64 characters and the padding go too.
        let alone = b64(SECRET.as_bytes());
        assert_eq!(s.scrub(&format!("b={alone}&c=1")), "b=<redacted>&c=1");
        let plain = "GET /landing?next=%2Fhome HTTP/1.1 Zm9vYmFy";
        assert_eq!(s.scrub(plain), plain);
        assert!(matches!(s.scrub(plain), Cow::Borrowed(_)));
    }

    #[test]
    fn a_string_cut_inside_a_secret_loses_the_cut_start() {
        let s = Scrubber::new([SECRET]);
        assert_eq!(s.scrub("x-origin-verify: origin-sec…"), "x-origin-verify: <redacted>…");
        assert_eq!(s.scrub("value ORIGIN-SECRET 5f…"), "value <redacted>…");
        // Two bytes are too few to tell from ordinary text.
        assert_eq!(s.scrub("a or…"), "a or…");
    }

    #[test]
    fn a_string_that_ends_where_its_writer_ended_it_is_not_a_cut_secret() {
        // Recorded enum names and ordinary words that happen to start a secret survive, so a
        // record with them still deserializes after the scrub.
        let s = Scrubber::new(["original"]);
        assert_eq!(s.scrub("origin"), "origin");
        assert_eq!(s.scrub("the origin"), "the origin");
        let target = serde_json::json!({"target": "origin", "note": "seen by the origin"});
        let mut scrubbed = target.clone();
        s.scrub_json(&mut scrubbed);
        assert_eq!(scrubbed, target);
        assert_eq!(s.scrub("the origi…"), "the <redacted>…");
    }

    #[test]
    fn records_are_scrubbed_in_every_string_and_key() {
        let s = Scrubber::new(["s3cr3t-value"]);
        let mut v = serde_json::json!({"a": ["x S3CR3T-VALUE y", 3], "s3cr3t-value": {"k": "czNjcjN0LXZhbHVl"}});
        s.scrub_json(&mut v);
        let text = v.to_string();
        assert!(!text.to_ascii_lowercase().contains("s3cr3t"), "{text}");
        assert!(!text.contains("czNjcjN0LXZhbHVl"), "{text}");
        assert!(Scrubber::new([""]).is_empty());
    }

    #[test]
    fn fingerprints_are_keyed_per_run() {
        let run1 = FingerprintKey::generate();
        let run2 = FingerprintKey::generate();
        let a = SecretValue::with_key("guessable", &run1);
        let b = SecretValue::with_key("guessable", &run1);
        let other = SecretValue::with_key("other", &run1);
        let next_run = SecretValue::with_key("guessable", &run2);
        assert_eq!(a.fingerprint, b.fingerprint, "equal values compare equal within a run");
        assert_ne!(a.fingerprint, other.fingerprint);
        assert_ne!(a.fingerprint, next_run.fingerprint, "another run's key gives another fingerprint");
        // Not the unkeyed digest an offline guess could reproduce.
        let unkeyed: String = ring::digest::digest(&ring::digest::SHA256, b"guessable").as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(!a.fingerprint.contains(&unkeyed));
        assert!(a.fingerprint.starts_with("hmac:") && a.fingerprint.len() == 21, "{}", a.fingerprint);
        assert_eq!(SecretValue::new("x").fingerprint, SecretValue::new("x").fingerprint);
        assert!(!format!("{a:?}").contains("guessable"));
    }
}
