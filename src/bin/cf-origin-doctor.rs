//! Command-line front end: `cf-origin-doctor diagnose <URL | HOSTNAME | DISTRIBUTION_ID>`,
//! `sweep`, `replay`, `checks`, and `completions` / `man` generated from the same clap
//! definition.
//!
//! Exit codes: 0 completed with nothing at or above `--fail-on`; 1 completed with such a
//! finding; 2 could not diagnose (bad input, distribution not found, no credentials).

use anyhow::Context as _;
use cf_origin_doctor::checks::Severity;
use cf_origin_doctor::engine::{Diagnosis, Engine, evaluate};
use cf_origin_doctor::error::DiagnoseError;
use cf_origin_doctor::event::validate_role_arn;
use cf_origin_doctor::evidence::{Evidence, Expectations};
use cf_origin_doctor::inventory::aws::{AwsOptions, SdkApi, load_sdk_config_with};
use cf_origin_doctor::inventory::distribution_config::{self, MAX_DISTRIBUTION_CONFIG_BYTES, ProposedConfig};
use cf_origin_doctor::locate::{Target, locate, parse_target};
use cf_origin_doctor::report::text::{Style, render, render_markdown};
use cf_origin_doctor::report::v1::SeverityV1;
use cf_origin_doctor::request::{ConnectTo, DiagnoseRequest, ProbeSettings};
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cf-origin-doctor",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("CF_ORIGIN_DOCTOR_GIT_REV"), ")"),
    about = "Finds why a site that works on its origin fails through Amazon CloudFront"
)]
struct Cli {
    /// No progress lines on stderr: only the report (and errors), and the exit code.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Colour in the text report: auto (a terminal, and NO_COLOR unset or empty), always, never.
    #[arg(long, value_enum, default_value = "auto", global = true)]
    color: ColorChoice,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour what goes to stdout (<https://no-color.org>: a set, non-empty
    /// NO_COLOR turns colour off unless the user asks for it by flag).
    fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(clap::Args)]
struct Output {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Exit 1 when a finding at or above this severity is reported (info, low, medium, high, critical).
    #[arg(long, default_value = "high", value_parser = parse_severity)]
    fail_on: Severity,
}

/// What the application needs, declared by the caller (recorded in the evidence).
#[derive(clap::Args)]
struct ExpectArgs {
    /// A method the application needs viewers to use, e.g. POST (repeatable). OPTIONS is sent
    /// as a probe; write methods only to --method-probe-path.
    #[arg(long = "expect-method")]
    expect_methods: Vec<String>,
    /// A request header the application reads, e.g. Authorization (repeatable).
    #[arg(long = "expect-header")]
    expect_headers: Vec<String>,
    /// A cookie the application reads (repeatable).
    #[arg(long = "expect-cookie")]
    expect_cookies: Vec<String>,
    /// A query-string parameter the application reads (repeatable).
    #[arg(long = "expect-query")]
    expect_queries: Vec<String>,
    /// The application's clients send GET requests with a body (e.g. search APIs): one GET
    /// with a 2-byte body is then sent through the distribution.
    #[arg(long = "expect-get-body")]
    expect_get_body: bool,
    /// A path where sending the expected write methods is safe; without it they are never sent.
    #[arg(long)]
    method_probe_path: Option<String>,
}

/// CloudFront's own view: its metrics and access logs over a window ending now.
#[derive(clap::Args)]
struct ViewArgs {
    /// Minutes of CloudFront's metrics and access logs to read, ending now.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u32).range(1..=1440))]
    view_minutes: u32,
    /// Read neither CloudFront's metrics nor its access logs.
    #[arg(long)]
    no_cloudfront_view: bool,
    /// Do not read the access logs (the metrics are still read).
    #[arg(long)]
    no_access_logs: bool,
    /// A CloudWatch Logs group holding the distribution's standard logs (v2), read instead of the
    /// legacy S3 logs.
    #[arg(long)]
    log_group: Option<String>,
}

impl ViewArgs {
    fn request(self) -> cf_origin_doctor::request::ViewRequest {
        cf_origin_doctor::request::ViewRequest {
            enabled: !self.no_cloudfront_view,
            minutes: self.view_minutes,
            window: None,
            log_buckets: self.no_access_logs.then(Vec::new),
            log_groups: if self.no_access_logs { Vec::new() } else { self.log_group.into_iter().collect() },
        }
    }
}

/// Where the AWS settings come from, as the AWS CLI's global options say it: a flag outranks
/// the environment, which outranks the config files.
#[derive(clap::Args)]
struct AwsArgs {
    /// A profile of the shared config and credentials files (outranks AWS_PROFILE and
    /// credentials in the environment).
    #[arg(long)]
    profile: Option<String>,
    /// The region of origin-side calls whose region the origin's name does not give (outranks
    /// AWS_REGION and the profile's region); CloudFront is always read in us-east-1.
    #[arg(long)]
    region: Option<String>,
    /// Read AWS through this IAM role (sts:AssumeRole), from the credentials the other settings give.
    #[arg(long)]
    role_arn: Option<String>,
    /// The external id the role's trust policy requires.
    #[arg(long, requires = "role_arn")]
    external_id: Option<String>,
}

impl AwsArgs {
    /// Checks the flags, then loads the SDK configuration they describe.
    async fn load(self) -> Result<aws_config::SdkConfig, DiagnoseError> {
        if let Some(arn) = &self.role_arn {
            validate_role_arn(arn).map_err(|e| DiagnoseError::InvalidRequest(format!("--role-arn: {e}")))?;
        }
        if let Some(region) = &self.region {
            let ok = !region.is_empty()
                && region.len() <= 32
                && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err(DiagnoseError::InvalidRequest(format!(
                    "--region {:?} is not an AWS region name (like eu-west-1)",
                    region.chars().take(40).collect::<String>()
                )));
            }
            unknown_region(region).await?;
        }
        if let Some(id) = &self.external_id {
            // STS: 2 to 1224 characters of letters, digits and +=,.@:/-.
            let ok = (2..=1224).contains(&id.len())
                && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/-_".contains(&b));
            if !ok {
                return Err(DiagnoseError::InvalidRequest(
                    "--external-id must be 2 to 1224 characters of letters, digits and +=,.@:/-_".into(),
                ));
            }
        }
        let opts = AwsOptions {
            profile: self.profile,
            region: self.region,
            role_arn: self.role_arn,
            external_id: self.external_id,
        };
        Ok(load_sdk_config_with(&opts).await)
    }
}

/// A region no AWS partition names, or whose endpoints do not resolve while another region's
/// do: one line saying so, before any call goes to an endpoint that does not exist.
async fn unknown_region(region: &str) -> Result<(), DiagnoseError> {
    let advice =
        "use an existing region such as us-east-1 or eu-west-1 (`aws account list-regions` lists your account's)";
    if !cf_origin_doctor::aws_names::region_in_a_partition(region) {
        return Err(DiagnoseError::UnknownRegion(format!(
            "--region {region} is not a region AWS knows (no AWS partition has a region named like it, so it has no endpoints): {advice}"
        )));
    }
    // An endpoint override (the lab, a proxy) stands in for the regional endpoints.
    let overridden = std::env::vars_os().any(|(k, _)| k.to_string_lossy().starts_with("AWS_ENDPOINT_URL"));
    let Some(host) = cf_origin_doctor::aws_names::ec2_endpoint(region).filter(|_| !overridden) else {
        return Ok(());
    };
    let resolves = |h: String| async move {
        let lookup = tokio::net::lookup_host((h, 443));
        match tokio::time::timeout(std::time::Duration::from_secs(3), lookup).await {
            Ok(Ok(mut addrs)) => addrs.next().is_some(),
            _ => false,
        }
    };
    // Compared with a region that exists, so that a machine without DNS is not told the region
    // is unknown.
    let (mine, known) = tokio::join!(resolves(host.clone()), resolves("ec2.us-east-1.amazonaws.com".into()));
    if !mine && known {
        return Err(DiagnoseError::UnknownRegion(format!(
            "--region {region} is not a region AWS knows (its endpoint {host} does not resolve): {advice}"
        )));
    }
    Ok(())
}

#[derive(Subcommand)]
enum Command {
    /// Diagnose one distribution: read its configuration, probe origin and edge, report the cause.
    Diagnose {
        /// What to diagnose: the failing URL (https://www.example.com/checkout), a hostname
        /// (www.example.com, d111111abcdef8.cloudfront.net) or a distribution id (E2QWRUHEXAMPLE).
        /// A URL or hostname is matched against the account's distributions (ListDistributions);
        /// a URL's path and query are probed first.
        target: String,
        /// A viewer path to probe (repeatable; default "/").
        #[arg(long = "path")]
        paths: Vec<String>,
        /// curl-style HOST:PORT:ADDR:PORT: connect there instead of resolving HOST (repeatable).
        #[arg(long = "connect-to")]
        connect_to: Vec<String>,
        /// PEM file of extra trust anchors, added to Mozilla's roots.
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// Allow probing private and loopback addresses (link-local and metadata stay refused).
        #[arg(long)]
        allow_private_targets: bool,
        /// Save the evidence of this run to a file, for `replay` or a bug report (no secrets).
        #[arg(long)]
        record: Option<PathBuf>,
        /// Pre-flight a proposed configuration: a file holding what `aws cloudfront
        /// get-distribution-config` prints (or its DistributionConfig object), edited. Its
        /// origins are probed as CloudFront would reach them under it and its findings compared
        /// with the live configuration's; exit 1 when it introduces one at or above --fail-on.
        #[arg(long, value_name = "FILE")]
        distribution_config: Option<PathBuf>,
        /// Send each edge and origin probe N times (1 to 50) within the same probe budget, to
        /// catch failures that come and go: failure rate per answer class, first-byte
        /// percentiles, and how long each origin keeps an idle keep-alive connection open.
        #[arg(long, value_name = "N", default_value_t = 1)]
        samples: u32,
        #[command(flatten)]
        expect: Box<ExpectArgs>,
        #[command(flatten)]
        view: ViewArgs,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        output: Output,
    },
    /// List every check (finding id and title); `--markdown` prints docs/findings.md.
    Checks {
        #[arg(long)]
        markdown: bool,
    },
    /// Diagnose every distribution of the account (ListDistributions), a few at a time: one line
    /// each and a summary; with --format json, one report per line (summary on stderr).
    Sweep {
        /// A viewer path to probe on every distribution (repeatable; default "/").
        #[arg(long = "path")]
        paths: Vec<String>,
        /// Diagnoses at once (CloudFront's API is rate limited; keep this small).
        #[arg(long, default_value_t = cf_origin_doctor::sweep::DEFAULT_CONCURRENCY)]
        concurrency: usize,
        /// Diagnoses started per second at most (a token bucket; CloudFront throttles its
        /// control-plane API per account).
        #[arg(long, default_value_t = cf_origin_doctor::sweep::DEFAULT_RATE)]
        rate: f64,
        /// curl-style HOST:PORT:ADDR:PORT: connect there instead of resolving HOST (repeatable).
        #[arg(long = "connect-to")]
        connect_to: Vec<String>,
        /// PEM file of extra trust anchors, added to Mozilla's roots.
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// Allow probing private and loopback addresses (link-local and metadata stay refused).
        #[arg(long)]
        allow_private_targets: bool,
        #[command(flatten)]
        aws: AwsArgs,
        #[command(flatten)]
        output: Output,
    },
    /// Re-run checks and verdict on recorded evidence, offline.
    Replay {
        evidence: PathBuf,
        #[command(flatten)]
        output: Output,
    },
    /// Print a shell completion script, e.g. `cf-origin-doctor completions bash > /etc/bash_completion.d/cf-origin-doctor`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `cf-origin-doctor man > cf-origin-doctor.1`.
    Man,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("{s:?} is not one of info, low, medium, high, critical"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let profile = match &cli.command {
        Command::Diagnose { aws, .. } | Command::Sweep { aws, .. } => aws.profile.clone(),
        _ => None,
    };
    let sso_profile = cf_origin_doctor::aws_names::profile_in_effect(profile.as_deref());
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cf-origin-doctor: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(run(cli));
    // A system lookup abandoned at its deadline may still hold a blocking thread (getaddrinfo
    // cannot be cancelled): the report is out, so exit without waiting for it.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) => {
            // An SSO profile whose cached session has expired fails to load credentials, or to
            // refresh them (an unreachable sign-in endpoint): the remedy is to sign in again.
            let e = match e.downcast::<DiagnoseError>() {
                Ok(DiagnoseError::NoCredentials(_) | DiagnoseError::AwsUnavailable(_))
                    if cf_origin_doctor::aws_names::sso_session_expired(&sso_profile) == Some(true) =>
                {
                    anyhow::Error::new(DiagnoseError::SsoSessionExpired(sso_profile))
                }
                Ok(d) => anyhow::Error::new(d),
                Err(e) => e,
            };
            // The SDK cannot tell a profile without credentials from none at all; the flag can.
            let e = match (e.downcast::<DiagnoseError>(), profile) {
                (Ok(DiagnoseError::NoCredentials(_)), Some(p)) => anyhow::Error::new(DiagnoseError::NoCredentials(
                    format!("profile {p:?} is not in the config files or holds no usable credentials"),
                )),
                (Ok(d), _) => anyhow::Error::new(d),
                (Err(e), _) => e,
            };
            eprintln!("cf-origin-doctor: {}", one_line(&format!("{e:#}")));
            ExitCode::from(2)
        }
    }
}

fn one_line(s: &str) -> String {
    s.replace('\n', " ")
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let (quiet, color) = (cli.quiet, cli.color.enabled());
    match cli.command {
        Command::Diagnose {
            target,
            mut paths,
            connect_to,
            ca_file,
            allow_private_targets,
            record,
            distribution_config,
            samples,
            expect,
            view,
            aws,
            output,
        } => {
            let ExpectArgs {
                expect_methods,
                expect_headers,
                expect_cookies,
                expect_queries,
                expect_get_body,
                method_probe_path,
            } = *expect;
            let expect = Expectations {
                methods: expect_methods,
                headers: expect_headers,
                cookies: expect_cookies,
                query_strings: expect_queries,
                get_with_body: expect_get_body,
            };
            let target = parse_target(&target).map_err(DiagnoseError::from)?;
            if let Target::Host { path: Some(p), .. } = &target {
                paths.insert(0, p.clone());
            }
            // Everything the caller typed is checked before any AWS call.
            DiagnoseRequest::new("E", &paths)
                .and_then(|r| r.with_expectations(expect.clone(), method_probe_path.as_deref()))
                .and_then(|r| r.with_samples(samples))
                .map_err(DiagnoseError::from)?;
            let proposed = match &distribution_config {
                Some(path) => Some((read_distribution_config(path)?, source_name(path))),
                None => None,
            };
            let mut settings = ProbeSettings { allow_private_targets, ..ProbeSettings::default() };
            for c in &connect_to {
                settings.connect_to.push(ConnectTo::parse(c).map_err(DiagnoseError::from)?);
            }
            if let Some(path) = &ca_file {
                settings.extra_roots_pem =
                    Some(std::fs::read(path).with_context(|| format!("--ca-file {}", path.display()))?);
            }
            let api = SdkApi::new(aws.load().await?);
            let (distribution_id, located_by) = match target {
                Target::Id(id) => (id, None),
                Target::Host { host, .. } => {
                    let (id, how) = locate(&api, &host).await?;
                    if !quiet {
                        eprintln!("cf-origin-doctor: diagnosing {id}, found {how}");
                    }
                    (id, Some(how))
                }
            };
            let mut request = DiagnoseRequest::new(&distribution_id, &paths)
                .and_then(|r| r.with_expectations(expect, method_probe_path.as_deref()))
                .and_then(|r| r.with_samples(samples))
                .map_err(DiagnoseError::from)?;
            if let Some(how) = located_by {
                request = request.located_by(how);
            }
            request.view = view.request();
            let mut engine = Engine::new(api, settings, "this host (cf-origin-doctor CLI), not a CloudFront address")?;
            if std::io::stderr().is_terminal() && !quiet {
                engine = engine.with_progress(Box::new(|m| eprintln!("cf-origin-doctor: {m}…")));
            }
            let diagnosis = match &proposed {
                Some((config, source)) => engine.preflight(&request, config, source).await?,
                None => engine.diagnose(&request).await?,
            };
            if let Some(path) = &record {
                let json = serde_json::to_vec_pretty(&diagnosis.evidence)?;
                std::fs::write(path, json).with_context(|| format!("--record {}", path.display()))?;
            }
            emit(&diagnosis, &output, color)
        }
        Command::Checks { markdown } => {
            if markdown {
                print!("{}", cf_origin_doctor::checks::docs::findings_markdown());
            } else {
                for c in cf_origin_doctor::checks::ALL {
                    println!("{:<48} {}", c.meta.id, c.meta.title);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Sweep { paths, concurrency, rate, connect_to, ca_file, allow_private_targets, aws, output } => {
            let limits = cf_origin_doctor::sweep::SweepLimits::new(concurrency, rate)?;
            for p in &paths {
                cf_origin_doctor::request::validate_path(p).map_err(DiagnoseError::from)?;
            }
            let mut settings = ProbeSettings { allow_private_targets, ..ProbeSettings::default() };
            for c in &connect_to {
                settings.connect_to.push(ConnectTo::parse(c).map_err(DiagnoseError::from)?);
            }
            if let Some(path) = &ca_file {
                settings.extra_roots_pem =
                    Some(std::fs::read(path).with_context(|| format!("--ca-file {}", path.display()))?);
            }
            let config = aws.load().await?;
            let api = SdkApi::new(config.clone());
            let engine = Engine::new(
                SdkApi::new(config),
                settings,
                "this host (cf-origin-doctor CLI), not a CloudFront address",
            )?;
            let mut failing = false;
            let summary = cf_origin_doctor::sweep::sweep(&engine, &api, &paths, limits, |item, progress| {
                if !quiet {
                    eprintln!("cf-origin-doctor: {}", progress.line());
                }
                failing |= match &item.result {
                    Ok(r) => r.highest_severity.is_some_and(|s| s >= SeverityV1::from(output.fail_on)),
                    Err(_) => true,
                };
                match output.format {
                    Format::Json => println!("{}", cf_origin_doctor::sweep::json_line(&item)),
                    Format::Text | Format::Markdown => println!("{}", cf_origin_doctor::sweep::text_line(&item)),
                }
            })
            .await?;
            match output.format {
                Format::Json => eprintln!("cf-origin-doctor: {}", summary.line()),
                Format::Text | Format::Markdown => println!("{}", summary.line()),
            }
            Ok(if failing { ExitCode::from(1) } else { ExitCode::SUCCESS })
        }
        Command::Replay { evidence, output } => {
            let raw = std::fs::read(&evidence).with_context(|| format!("reading {}", evidence.display()))?;
            let ev: Evidence = serde_json::from_slice(&raw)
                .with_context(|| format!("{} is not a cf-origin-doctor evidence file", evidence.display()))?;
            emit(&evaluate(ev), &output, color)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "cf-origin-doctor", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            clap_mangen::Man::new(Cli::command()).render(&mut std::io::stdout()).context("writing the man page")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn emit(d: &Diagnosis, output: &Output, color: bool) -> anyhow::Result<ExitCode> {
    match output.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&d.report)?),
        Format::Markdown => print!("{}", render_markdown(&d.report)),
        Format::Text => print!("{}", render(&d.report, Style { color })),
    }
    // A pre-flight fails on what the proposed configuration would add, not on what the live
    // one already has (a change that fixes some findings and keeps others passes).
    let failing = match &d.preflight {
        Some(p) => p.introduces_at_or_above(output.fail_on),
        None => d.verdict.highest_severity().is_some_and(|s| s >= output.fail_on),
    };
    Ok(if failing { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Reads `--distribution-config`, bounded in size, into a proposed configuration; a bad file is
/// an invalid request naming the field.
fn read_distribution_config(path: &std::path::Path) -> Result<ProposedConfig, DiagnoseError> {
    use std::io::Read as _;
    let what = |e: String| DiagnoseError::InvalidRequest(format!("--distribution-config {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| what(e.to_string()))?;
    let mut raw = Vec::new();
    // One byte past the bound is enough to refuse it without reading a huge file.
    file.take(MAX_DISTRIBUTION_CONFIG_BYTES as u64 + 1).read_to_end(&mut raw).map_err(|e| what(e.to_string()))?;
    distribution_config::parse_bytes(&raw).map_err(|e| what(e.to_string()))
}

/// How the report names a proposed configuration's file: its name, without the directories.
fn source_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}
