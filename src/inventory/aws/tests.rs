use super::*;

/// A fake pager: page `n` holds item `n` and points at the token the table gives.
async fn pages(next: &[Option<&str>], max: usize) -> (Result<Vec<usize>, ApiError>, Vec<Option<String>>) {
    let asked = std::cell::RefCell::new(Vec::new());
    let items = paginate(
        max,
        |token: Option<String>| {
            asked.borrow_mut().push(token.clone());
            let n = token.as_deref().and_then(|t| t.strip_prefix('p')).and_then(|n| n.parse().ok()).unwrap_or(0);
            async move { Ok::<_, ApiError>((n, next[n].map(str::to_string))) }
        },
        |page: &(usize, Option<String>)| page.1.as_deref(),
        |page, out| out.push(page.0),
    )
    .await;
    (items, asked.into_inner())
}

#[tokio::test]
async fn paginate_reads_to_the_last_page_and_stops_on_a_repeated_or_empty_token() {
    let (items, asked) = pages(&[Some("p1"), Some("p2"), None], 20).await;
    assert_eq!(items.unwrap(), [0, 1, 2]);
    assert_eq!(asked, [None, Some("p1".to_string()), Some("p2".to_string())]);
    // A pager that repeats its token is read once per distinct token.
    assert_eq!(pages(&[Some("p1"), Some("p1")], 20).await.0.unwrap(), [0, 1]);
    assert_eq!(pages(&[Some("")], 20).await.0.unwrap(), [0]);
    // A last page that is exactly the bound is a whole answer.
    assert_eq!(pages(&[Some("p1"), Some("p2"), None], 3).await.0.unwrap(), [0, 1, 2]);
}

#[tokio::test]
async fn a_pager_still_going_at_the_bound_is_truncated_not_ok() {
    let (items, asked) = pages(&[Some("p1"), Some("p2"), Some("p3"), Some("p0")], 3).await;
    assert_eq!(asked.len(), 3, "the page bound holds against a pager that never ends");
    let e = items.unwrap_err();
    assert_eq!(e, ApiError::Truncated { pages: 3 });
    assert_eq!(e.to_string(), "truncated after 3 pages");
}

#[tokio::test]
async fn paginate_stops_at_the_first_error() {
    let mut calls = 0;
    let r: Result<Vec<u8>, ApiError> = paginate(
        20,
        |_token| {
            calls += 1;
            async { Err::<(), _>(ApiError::Denied { message: "no".into() }) }
        },
        |_| Some("p1"),
        |_, _| {},
    )
    .await;
    assert!(matches!(r, Err(ApiError::Denied { .. })));
    assert_eq!(calls, 1);
}

// SDK mapping of the CloudFront calls the emulator does not implement, over a client whose
// answers come from aws-smithy-mocks rules (the real deserializer for the error body).
mod mocked {
    use super::super::*;
    // The SDK crates by name: the adapter's service modules `acm` and `ec2` share those names.
    use crate::evidence::NameSet;
    use aws_sdk_acm as acm;
    use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, mock};
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use cf::types::*;

    /// An interceptor answering from `rules`, the first matching rule each time.
    fn answers(rules: &[&Rule]) -> MockResponseInterceptor {
        rules.iter().fold(MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny), |i, r| i.with_rule(r))
    }

    fn api(rules: &[&Rule]) -> SdkApi {
        let interceptor = answers(rules);
        let conf = cf::Config::builder()
            .behavior_version(cf::config::BehaviorVersion::latest())
            .region(cf::config::Region::new("us-east-1"))
            .credentials_provider(cf::config::Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(interceptor)
            .build();
        let unused = aws_config::SdkConfig::builder().build();
        SdkApi {
            cloudfront: cf::Client::from_conf(conf),
            elb: RegionalClients::new(&unused, aws_sdk_elasticloadbalancingv2::Client::new),
            ec2: RegionalClients::new(&unused, aws_sdk_ec2::Client::new),
            acm: RegionalClients::new(&unused, acm::Client::new),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&unused),
            s3: RegionalClients::new(&unused, s3_client),
            bucket_regions: Default::default(),
            logs: aws_sdk_cloudwatchlogs::Client::new(&unused),
            pages: PageLimits::default(),
        }
    }

    /// The adapter with its CloudWatch client answering from `rules` (the emulator does not
    /// speak the CBOR protocol the current SDK sends GetMetricData in).
    fn metrics_api(rules: &[&Rule]) -> SdkApi {
        let conf = aws_sdk_cloudwatch::Config::builder()
            .behavior_version(aws_sdk_cloudwatch::config::BehaviorVersion::latest())
            .region(aws_sdk_cloudwatch::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_cloudwatch::config::Credentials::new(
                "AKIDTEST", "secret", None, None, "test",
            ))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(answers(rules))
            .build();
        SdkApi { cloudwatch: aws_sdk_cloudwatch::Client::from_conf(conf), ..api(&[]) }
    }

    #[tokio::test]
    async fn metric_data_asks_for_the_distributions_metrics_and_maps_each_series() {
        use aws_sdk_cloudwatch::operation::get_metric_data::GetMetricDataOutput;
        use aws_sdk_cloudwatch::types::MetricDataResult;
        let rule = mock!(aws_sdk_cloudwatch::Client::get_metric_data)
            .match_requests(|r| {
                let q = r.metric_data_queries();
                let stat = q.first().and_then(|q| q.metric_stat());
                let metric = stat.and_then(|s| s.metric());
                let dims: Vec<(String, String)> = metric
                    .map(|m| {
                        m.dimensions()
                            .iter()
                            .map(|d| (d.name().unwrap_or("").to_string(), d.value().unwrap_or("").to_string()))
                            .collect()
                    })
                    .unwrap_or_default();
                q.len() == 2
                    && metric.and_then(|m| m.namespace()) == Some("AWS/CloudFront")
                    && dims
                        == [
                            ("DistributionId".to_string(), "EDFDVBD6EXAMPLE".to_string()),
                            ("Region".into(), "Global".into()),
                        ]
                    && stat.and_then(|s| s.period()) == Some(60)
                    && r.start_time().map(|t| t.secs()) == Some(1_000)
            })
            .then_output(|| {
                GetMetricDataOutput::builder()
                    .metric_data_results(MetricDataResult::builder().id("m0").values(600.0).values(604.0).build())
                    .metric_data_results(MetricDataResult::builder().id("m1").values(38.0).values(f64::NAN).build())
                    .build()
            });
        let api = metrics_api(&[&rule]);
        let query = MetricQuery {
            distribution_id: "EDFDVBD6EXAMPLE".into(),
            start_unix: 1_000,
            end_unix: 4_600,
            period_s: 60,
            metrics: vec![("Requests".into(), "Sum".into()), ("5xxErrorRate".into(), "Average".into())],
        };
        let series = api.metric_data(&query).await.unwrap();
        assert_eq!(rule.num_calls(), 1);
        assert_eq!(series[0].values, [600.0, 604.0]);
        assert_eq!(series[1].values, [38.0], "a value that is not a number is dropped");
    }

    #[tokio::test]
    async fn a_denied_metric_read_is_denied() {
        // The error as the Smithy RPC v2 CBOR protocol carries it: a map {"__type", "message"}.
        let rule = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_http_response(|| {
            let mut body = vec![0xA2, 0x66];
            body.extend_from_slice(b"__type");
            body.push(0x6C);
            body.extend_from_slice(b"AccessDenied");
            body.push(0x67);
            body.extend_from_slice(b"message");
            body.push(0x62);
            body.extend_from_slice(b"no");
            let mut r = HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::from(body));
            r.headers_mut().insert("Content-Type", "application/cbor");
            r.headers_mut().insert("smithy-protocol", "rpc-v2-cbor");
            r
        });
        let api = metrics_api(&[&rule]);
        let query = MetricQuery {
            distribution_id: "E1".into(),
            start_unix: 0,
            end_unix: 60,
            period_s: 60,
            metrics: vec![("Requests".into(), "Sum".into())],
        };
        let e = api.metric_data(&query).await.unwrap_err();
        assert!(matches!(e, ApiError::Denied { .. }), "{e:?}");
    }

    fn access_denied() -> HttpResponse {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform cloudfront:GetCachePolicy</Message></Error><RequestId>r</RequestId></ErrorResponse>";
        let mut r = HttpResponse::new(StatusCode::try_from(403).unwrap(), SdkBody::from(body));
        r.headers_mut().insert("Content-Type", "text/xml");
        r
    }

    fn cache_policy_output() -> cf::operation::get_cache_policy::GetCachePolicyOutput {
        let params = ParametersInCacheKeyAndForwardedToOrigin::builder()
            .enable_accept_encoding_gzip(true)
            .headers_config(
                CachePolicyHeadersConfig::builder()
                    .header_behavior(CachePolicyHeaderBehavior::Whitelist)
                    .headers(Headers::builder().quantity(1).items("Authorization").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .cookies_config(
                CachePolicyCookiesConfig::builder()
                    .cookie_behavior(CachePolicyCookieBehavior::AllExcept)
                    .cookies(CookieNames::builder().quantity(1).items("tracking").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .query_strings_config(
                CachePolicyQueryStringsConfig::builder()
                    .query_string_behavior(CachePolicyQueryStringBehavior::None)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let config = CachePolicyConfig::builder()
            .name("api-auth")
            .min_ttl(0)
            .parameters_in_cache_key_and_forwarded_to_origin(params)
            .build()
            .unwrap();
        let policy = CachePolicy::builder()
            .id("cp-1")
            .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
            .cache_policy_config(config)
            .build()
            .unwrap();
        cf::operation::get_cache_policy::GetCachePolicyOutput::builder().cache_policy(policy).build()
    }

    fn origin_request_policy_output() -> cf::operation::get_origin_request_policy::GetOriginRequestPolicyOutput {
        let config = OriginRequestPolicyConfig::builder()
            .name("viewer-and-cf")
            .headers_config(
                OriginRequestPolicyHeadersConfig::builder()
                    .header_behavior(OriginRequestPolicyHeaderBehavior::AllViewerAndWhitelistCloudFront)
                    .headers(Headers::builder().quantity(1).items("CloudFront-Viewer-Country").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .cookies_config(
                OriginRequestPolicyCookiesConfig::builder()
                    .cookie_behavior(OriginRequestPolicyCookieBehavior::Whitelist)
                    .cookies(CookieNames::builder().quantity(1).items("session").build().unwrap())
                    .build()
                    .unwrap(),
            )
            .query_strings_config(
                OriginRequestPolicyQueryStringsConfig::builder()
                    .query_string_behavior(OriginRequestPolicyQueryStringBehavior::All)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap();
        let policy = OriginRequestPolicy::builder()
            .id("orp-1")
            .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
            .origin_request_policy_config(config)
            .build()
            .unwrap();
        cf::operation::get_origin_request_policy::GetOriginRequestPolicyOutput::builder()
            .origin_request_policy(policy)
            .build()
    }

    #[tokio::test]
    async fn custom_policies_map_to_their_forwarding_name_sets() {
        let cp = mock!(cf::Client::get_cache_policy)
            .match_requests(|r| r.id() == Some("cp-1"))
            .then_output(cache_policy_output);
        let orp = mock!(cf::Client::get_origin_request_policy)
            .match_requests(|r| r.id() == Some("orp-1"))
            .then_output(origin_request_policy_output);
        let api = api(&[&cp, &orp]);
        let c = api.cache_policy("cp-1").await.unwrap();
        assert_eq!(c.name, "api-auth");
        assert_eq!(c.headers, NameSet::Only(vec!["Authorization".into()]));
        assert_eq!(c.cookies, NameSet::AllExcept(vec!["tracking".into()]));
        assert_eq!(c.query_strings, NameSet::None);
        let o = api.origin_request_policy("orp-1").await.unwrap();
        assert_eq!(o.headers, NameSet::All, "allViewerAndWhitelistCloudFront forwards every viewer header");
        assert_eq!(o.cookies, NameSet::Only(vec!["session".into()]));
        assert_eq!(o.query_strings, NameSet::All);
        assert_eq!((cp.num_calls(), orp.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_denied_policy_read_is_denied_not_failed() {
        let cp = mock!(cf::Client::get_cache_policy).then_http_response(access_denied);
        let e = api(&[&cp]).cache_policy("cp-1").await.unwrap_err();
        assert!(matches!(&e, ApiError::Denied { message } if message.contains("not authorized")), "{e:?}");
    }

    #[tokio::test]
    async fn a_denied_certificate_description_is_denied_and_an_unknown_one_not_found() {
        let denied = mock!(acm::Client::describe_certificate)
            .match_requests(|r| r.certificate_arn() == Some("arn:aws:acm:us-east-1:123456789012:certificate/denied"))
            .then_http_response(|| {
                let body = r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::123456789012:assumed-role/doctor/x is not authorized to perform: acm:DescribeCertificate"}"#;
                let mut r = HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body));
                r.headers_mut().insert("Content-Type", "application/x-amz-json-1.1");
                r
            });
        let missing = mock!(acm::Client::describe_certificate).then_http_response(|| {
            let body = r#"{"__type":"ResourceNotFoundException","message":"Could not find certificate"}"#;
            let mut r = HttpResponse::new(StatusCode::try_from(400).unwrap(), SdkBody::from(body));
            r.headers_mut().insert("Content-Type", "application/x-amz-json-1.1");
            r
        });
        let interceptor =
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny).with_rule(&denied).with_rule(&missing);
        let conf = acm::Config::builder()
            .behavior_version(acm::config::BehaviorVersion::latest())
            .region(acm::config::Region::new("us-east-1"))
            .credentials_provider(acm::config::Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(interceptor)
            .build();
        let api = api(&[]);
        api.acm.insert("us-east-1", acm::Client::from_conf(conf));
        let e = api.certificate("us-east-1", "arn:aws:acm:us-east-1:123456789012:certificate/denied").await;
        assert!(
            matches!(&e, Err(ApiError::Denied { message }) if message.contains("acm:DescribeCertificate")),
            "{e:?}"
        );
        let e = api.certificate("us-east-1", "arn:aws:acm:us-east-1:123456789012:certificate/gone").await;
        assert!(matches!(&e, Err(ApiError::NotFound { .. })), "{e:?}");
    }

    #[tokio::test]
    async fn a_vpc_origin_maps_its_endpoint_config() {
        let rule = mock!(cf::Client::get_vpc_origin).match_requests(|r| r.id() == Some("vo-1")).then_output(|| {
            let endpoint = VpcOriginEndpointConfig::builder()
                .name("internal-app")
                .arn("arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/internal-app/50dc6c495c0c9188")
                .http_port(8080)
                .https_port(8443)
                .origin_protocol_policy(cf::types::OriginProtocolPolicy::MatchViewer)
                .origin_ssl_protocols(
                    OriginSslProtocols::builder().quantity(1).items(SslProtocol::TlSv12).build().unwrap(),
                )
                .build()
                .unwrap();
            let vo = cf::types::VpcOrigin::builder()
                .id("vo-1")
                .arn("arn:aws:cloudfront::123456789012:vpcorigin/vo-1")
                .status("Deploying")
                .created_time(aws_smithy_types::DateTime::from_secs(0))
                .last_modified_time(aws_smithy_types::DateTime::from_secs(0))
                .vpc_origin_endpoint_config(endpoint)
                .build()
                .unwrap();
            cf::operation::get_vpc_origin::GetVpcOriginOutput::builder().vpc_origin(vo).build()
        });
        let v = api(&[&rule]).vpc_origin("vo-1").await.unwrap();
        assert_eq!(v.status, "Deploying");
        assert_eq!((v.http_port, v.https_port), (8080, 8443));
        assert_eq!(v.protocol_policy, crate::evidence::OriginProtocolPolicy::MatchViewer);
        assert_eq!(v.ssl_protocols, ["TLSv1.2"]);
        assert_eq!(v.endpoint_region(), Some("eu-west-1"));
    }

    /// An EC2 client whose answers come from `rules`, without retries (a 500 is answered once).
    fn ec2_api(rules: &[&Rule]) -> SdkApi {
        let interceptor = answers(rules);
        let conf = aws_sdk_ec2::Config::builder()
            .behavior_version(aws_sdk_ec2::config::BehaviorVersion::latest())
            .region(aws_sdk_ec2::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new("AKIDTEST", "secret", None, None, "test"))
            .retry_config(aws_sdk_ec2::config::retry::RetryConfig::disabled())
            .http_client(aws_smithy_mocks::create_mock_http_client())
            .interceptor(interceptor)
            .build();
        let api = api(&[]);
        api.ec2.insert("us-east-1", aws_sdk_ec2::Client::from_conf(conf));
        api
    }

    fn ec2_error(status: u16, code: &str) -> HttpResponse {
        let body = format!(
            "<Response><Errors><Error><Code>{code}</Code><Message>filter not implemented</Message></Error></Errors><RequestID>r</RequestID></Response>"
        );
        let mut r = HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body));
        r.headers_mut().insert("Content-Type", "text/xml");
        r
    }

    fn interface(id: &str, primary: Option<&str>, secondary: Option<&str>) -> aws_sdk_ec2::types::NetworkInterface {
        use aws_sdk_ec2::types::{NetworkInterfaceAssociation, NetworkInterfacePrivateIpAddress};
        let assoc = |ip: &str| NetworkInterfaceAssociation::builder().public_ip(ip).build();
        let mut b = aws_sdk_ec2::types::NetworkInterface::builder()
            .network_interface_id(id)
            .private_ip_address("10.0.0.5")
            .vpc_id("vpc-1")
            .subnet_id("subnet-1")
            .private_ip_addresses(
                NetworkInterfacePrivateIpAddress::builder().private_ip_address("10.0.0.5").primary(true).build(),
            );
        if let Some(ip) = primary {
            b = b.association(assoc(ip));
        }
        if let Some(ip) = secondary {
            b = b.private_ip_addresses(
                NetworkInterfacePrivateIpAddress::builder()
                    .private_ip_address("10.0.0.6")
                    .association(assoc(ip))
                    .build(),
            );
        }
        b.build()
    }

    #[tokio::test]
    async fn a_filter_the_server_cannot_apply_falls_back_to_an_unfiltered_read_matched_here() {
        let filtered = mock!(aws_sdk_ec2::Client::describe_network_interfaces)
            .match_requests(|r| !r.filters().is_empty())
            .then_http_response(|| ec2_error(500, "InternalFailure"));
        let all = mock!(aws_sdk_ec2::Client::describe_network_interfaces)
            .match_requests(|r| r.filters().is_empty())
            .then_output(|| {
                aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput::builder()
                    .network_interfaces(interface("eni-other", Some("198.51.100.9"), None))
                    .network_interfaces(interface("eni-primary", Some("203.0.113.7"), None))
                    .network_interfaces(interface("eni-secondary", None, Some("203.0.113.8")))
                    .build()
            });
        let api = ec2_api(&[&filtered, &all]);
        let found = api.network_interfaces("us-east-1", &InterfaceQuery::PublicIp("203.0.113.7".into())).await.unwrap();
        assert_eq!(found.iter().map(|n| n.network_interface_id.as_str()).collect::<Vec<_>>(), ["eni-primary"]);
        assert_eq!(found[0].public_ip.as_deref(), Some("203.0.113.7"));
        let found = api.network_interfaces("us-east-1", &InterfaceQuery::PublicIp("203.0.113.8".into())).await.unwrap();
        assert_eq!(found[0].network_interface_id, "eni-secondary", "a secondary address's association counts");
        let none = api.network_interfaces("us-east-1", &InterfaceQuery::PublicIp("192.0.2.1".into())).await.unwrap();
        assert!(none.is_empty());
        let by_private =
            api.network_interfaces("us-east-1", &InterfaceQuery::PrivateIps(vec!["10.0.0.6".into()])).await.unwrap();
        assert_eq!(by_private[0].network_interface_id, "eni-secondary");
        assert_eq!((filtered.num_calls(), all.num_calls()), (4, 4));
    }

    #[tokio::test]
    async fn a_denied_filtered_read_is_not_retried_unfiltered() {
        let filtered = mock!(aws_sdk_ec2::Client::describe_network_interfaces)
            .match_requests(|r| !r.filters().is_empty())
            .then_http_response(|| ec2_error(403, "UnauthorizedOperation"));
        let all = mock!(aws_sdk_ec2::Client::describe_network_interfaces).then_output(|| {
            aws_sdk_ec2::operation::describe_network_interfaces::DescribeNetworkInterfacesOutput::builder().build()
        });
        let api = ec2_api(&[&filtered, &all]);
        let e = api.network_interfaces("us-east-1", &InterfaceQuery::PublicIp("203.0.113.7".into())).await;
        assert!(matches!(e, Err(ApiError::Denied { .. })), "{e:?}");
        assert_eq!(all.num_calls(), 0);
    }
}
