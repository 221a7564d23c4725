//! Elastic Load Balancing (v2): load balancers, listeners and their certificates, rules and TLS
//! policies, target groups with their attributes and health.

use super::{bounded, non_empty, paginate};
use crate::evidence::{
    Fetch, Listener, ListenerAction, ListenerCertificate, ListenerRule, RuleCondition, SecretValue, SslPolicy,
    TargetGroup, TargetHealth,
};
use crate::inventory::{ApiError, LoadBalancerSummary};
use aws_sdk_elasticloadbalancingv2 as elb;
use std::collections::BTreeMap;

pub(super) async fn load_balancers(
    client: &elb::Client,
    max_pages: usize,
) -> Result<Vec<LoadBalancerSummary>, ApiError> {
    paginate(
        max_pages,
        |marker| bounded(client.describe_load_balancers().set_marker(marker).page_size(400).send()),
        |page| page.next_marker(),
        |page, out| {
            out.extend(page.load_balancers().iter().map(|lb| LoadBalancerSummary {
                arn: lb.load_balancer_arn().unwrap_or_default().to_string(),
                name: lb.load_balancer_name().unwrap_or_default().to_string(),
                dns_name: lb.dns_name().unwrap_or_default().to_string(),
                lb_type: lb.r#type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                scheme: lb.scheme().map(|s| s.as_str().to_string()).unwrap_or_default(),
                security_groups: lb.security_groups().to_vec(),
                ip_address_type: lb.ip_address_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                vpc_id: non_empty(lb.vpc_id()),
                subnet_ids: lb.availability_zones().iter().filter_map(|z| z.subnet_id().map(str::to_string)).collect(),
            }))
        },
    )
    .await
}

pub(super) async fn listeners(client: &elb::Client, max_pages: usize, lb_arn: &str) -> Result<Vec<Listener>, ApiError> {
    let mut out = paginate(
        max_pages,
        |marker| {
            bounded(client.describe_listeners().load_balancer_arn(lb_arn).set_marker(marker).page_size(400).send())
        },
        |page| page.next_marker(),
        |page, out| out.extend(page.listeners().iter().map(map_listener)),
    )
    .await?;
    out.sort_by_key(|l| l.port);
    Ok(out)
}
fn map_listener(l: &elb::types::Listener) -> Listener {
    Listener {
        arn: l.listener_arn().unwrap_or_default().to_string(),
        port: l.port().and_then(|p| u16::try_from(p).ok()).unwrap_or(0),
        protocol: l.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
        ssl_policy: l.ssl_policy().filter(|s| !s.is_empty()).map(str::to_string),
        certificate_arns: l.certificates().iter().filter_map(|c| c.certificate_arn().map(str::to_string)).collect(),
        default_actions: l.default_actions().iter().map(map_action).collect(),
        certificates: Fetch::default(),
        rules: Fetch::default(),
    }
}

fn map_action(a: &elb::types::Action) -> ListenerAction {
    use elb::types::ActionTypeEnum as T;
    match a.r#type() {
        Some(T::Redirect) => {
            let r = a.redirect_config();
            let field = |v: Option<&str>, default: &str| v.unwrap_or(default).to_string();
            ListenerAction::Redirect {
                protocol: field(r.and_then(|r| r.protocol()), "#{protocol}"),
                port: field(r.and_then(|r| r.port()), "#{port}"),
                host: field(r.and_then(|r| r.host()), "#{host}"),
                path: field(r.and_then(|r| r.path()), "/#{path}"),
                query: field(r.and_then(|r| r.query()), "#{query}"),
                status_code: r.and_then(|r| r.status_code()).map(|c| c.as_str().to_string()).unwrap_or_default(),
            }
        }
        Some(T::FixedResponse) => {
            let f = a.fixed_response_config();
            ListenerAction::FixedResponse {
                status_code: f.and_then(|f| f.status_code()).map(str::to_string).unwrap_or_default(),
                content_type: f.and_then(|f| f.content_type()).map(str::to_string),
            }
        }
        Some(T::Forward) => {
            let mut arns: Vec<String> = a.target_group_arn().map(str::to_string).into_iter().collect();
            if let Some(fc) = a.forward_config() {
                for tg in fc.target_groups() {
                    if let Some(arn) = tg.target_group_arn() {
                        if !arns.iter().any(|a| a == arn) {
                            arns.push(arn.to_string());
                        }
                    }
                }
            }
            ListenerAction::Forward { target_group_arns: arns }
        }
        other => ListenerAction::Other { action_type: other.map(|t| t.as_str().to_string()).unwrap_or_default() },
    }
}
fn attributes_map<'a>(pairs: impl Iterator<Item = (Option<&'a str>, Option<&'a str>)>) -> BTreeMap<String, String> {
    pairs.filter_map(|(k, v)| Some((k?.to_string(), v.unwrap_or_default().to_string()))).collect()
}
fn map_rule(r: &elb::types::Rule) -> ListenerRule {
    let conditions = r
        .conditions()
        .iter()
        .map(|c| {
            let field = c.field().unwrap_or_default().to_string();
            let mut values: Vec<String> = c.values().to_vec();
            let mut header_name = None;
            let mut secret_values = Vec::new();
            if let Some(h) = c.host_header_config() {
                values.extend(h.values().iter().cloned());
            }
            if let Some(p) = c.path_pattern_config() {
                values.extend(p.values().iter().cloned());
            }
            if let Some(h) = c.http_header_config() {
                header_name = non_empty(h.http_header_name());
                secret_values.extend(h.values().iter().map(|v| SecretValue::new(v.clone())));
            }
            if let Some(m) = c.http_request_method_config() {
                values.extend(m.values().iter().cloned());
            }
            if let Some(s) = c.source_ip_config() {
                values.extend(s.values().iter().cloned());
            }
            if let Some(q) = c.query_string_config() {
                values.extend(q.values().iter().map(|kv| match kv.key() {
                    Some(k) => format!("{k}={}", kv.value().unwrap_or_default()),
                    None => kv.value().unwrap_or_default().to_string(),
                }));
            }
            values.dedup();
            RuleCondition { field, header_name, values, secret_values }
        })
        .collect();
    ListenerRule {
        arn: r.rule_arn().unwrap_or_default().to_string(),
        priority: r.priority().unwrap_or_default().to_string(),
        is_default: r.is_default().unwrap_or(false),
        conditions,
        actions: r.actions().iter().map(map_action).collect(),
    }
}

fn rule_order(r: &ListenerRule) -> (bool, i64) {
    (r.is_default, r.priority.parse::<i64>().unwrap_or(i64::MAX))
}

pub(super) async fn load_balancer_attributes(
    client: &elb::Client,
    lb_arn: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let out = bounded(client.describe_load_balancer_attributes().load_balancer_arn(lb_arn).send()).await?;
    Ok(attributes_map(out.attributes().iter().map(|a| (a.key(), a.value()))))
}

pub(super) async fn listener_certificates(
    client: &elb::Client,
    max_pages: usize,
    listener_arn: &str,
) -> Result<Vec<ListenerCertificate>, ApiError> {
    paginate(
        max_pages,
        |marker| {
            bounded(
                client
                    .describe_listener_certificates()
                    .listener_arn(listener_arn)
                    .set_marker(marker)
                    .page_size(400)
                    .send(),
            )
        },
        |page| page.next_marker(),
        |page, out| {
            for c in page.certificates() {
                if let Some(arn) = c.certificate_arn() {
                    if !out.iter().any(|x: &ListenerCertificate| x.certificate_arn == arn) {
                        out.push(ListenerCertificate {
                            certificate_arn: arn.to_string(),
                            is_default: c.is_default().unwrap_or(false),
                            acm: Fetch::default(),
                        });
                    }
                }
            }
        },
    )
    .await
}

pub(super) async fn listener_rules(
    client: &elb::Client,
    max_pages: usize,
    listener_arn: &str,
) -> Result<Vec<ListenerRule>, ApiError> {
    let mut out = paginate(
        max_pages,
        |marker| bounded(client.describe_rules().listener_arn(listener_arn).set_marker(marker).page_size(400).send()),
        |page| page.next_marker(),
        |page, out| out.extend(page.rules().iter().map(map_rule)),
    )
    .await?;
    out.sort_by_key(rule_order);
    Ok(out)
}

pub(super) async fn ssl_policies(
    client: &elb::Client,
    max_pages: usize,
    names: &[String],
) -> Result<Vec<SslPolicy>, ApiError> {
    paginate(
        max_pages,
        |marker| {
            bounded(
                client.describe_ssl_policies().set_names(Some(names.to_vec())).set_marker(marker).page_size(400).send(),
            )
        },
        |page| page.next_marker(),
        |page, out| {
            for p in page.ssl_policies() {
                let mut ciphers: Vec<(i32, String)> = p
                    .ciphers()
                    .iter()
                    .filter_map(|c| Some((c.priority().unwrap_or(i32::MAX), c.name()?.to_string())))
                    .collect();
                ciphers.sort();
                out.push(SslPolicy {
                    name: p.name().unwrap_or_default().to_string(),
                    protocols: p.ssl_protocols().to_vec(),
                    ciphers: ciphers.into_iter().map(|(_, n)| n).collect(),
                });
            }
        },
    )
    .await
}

pub(super) async fn target_groups(
    client: &elb::Client,
    max_pages: usize,
    lb_arn: &str,
) -> Result<Vec<TargetGroup>, ApiError> {
    paginate(
        max_pages,
        |marker| {
            bounded(client.describe_target_groups().load_balancer_arn(lb_arn).set_marker(marker).page_size(400).send())
        },
        |page| page.next_marker(),
        |page, out| {
            for tg in page.target_groups() {
                out.push(TargetGroup {
                    arn: tg.target_group_arn().unwrap_or_default().to_string(),
                    name: tg.target_group_name().unwrap_or_default().to_string(),
                    protocol: tg.protocol().map(|p| p.as_str().to_string()).unwrap_or_default(),
                    port: tg.port().and_then(|p| u16::try_from(p).ok()),
                    target_type: tg.target_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                    vpc_id: non_empty(tg.vpc_id()),
                    health_check_protocol: tg.health_check_protocol().map(|p| p.as_str().to_string()),
                    health_check_port: non_empty(tg.health_check_port()),
                    health_check_path: non_empty(tg.health_check_path()),
                    attributes: Fetch::default(),
                    health: Fetch::default(),
                });
            }
        },
    )
    .await
}

pub(super) async fn target_group_attributes(
    client: &elb::Client,
    tg_arn: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let out = bounded(client.describe_target_group_attributes().target_group_arn(tg_arn).send()).await?;
    Ok(attributes_map(out.attributes().iter().map(|a| (a.key(), a.value()))))
}

pub(super) async fn target_health(client: &elb::Client, tg_arn: &str) -> Result<Vec<TargetHealth>, ApiError> {
    let out = bounded(client.describe_target_health().target_group_arn(tg_arn).send()).await?;
    Ok(out
        .target_health_descriptions()
        .iter()
        .map(|d| TargetHealth {
            target_id: d.target().and_then(|t| t.id()).unwrap_or_default().to_string(),
            port: d.target().and_then(|t| t.port()).and_then(|p| u16::try_from(p).ok()),
            state: d.target_health().and_then(|h| h.state()).map(|s| s.as_str().to_string()).unwrap_or_default(),
            reason: d.target_health().and_then(|h| h.reason()).map(|r| r.as_str().to_string()),
            description: d.target_health().and_then(|h| non_empty(h.description())),
        })
        .collect())
}
