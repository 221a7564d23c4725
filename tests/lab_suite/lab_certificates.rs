//! ACM certificates in the inventory, against the AWS API emulator: an imported certificate as
//! the viewer certificate, imported and requested certificates on the load balancer's HTTPS
//! listener (beside an IAM server certificate, which ACM does not describe), and a viewer
//! certificate ARN that does not exist.

use lab::run;

use aws_sdk_cloudfront::types as cft;
use aws_sdk_elasticloadbalancingv2::types as elbt;
use cf_origin_doctor::evidence::{AcmCertificate, Fetch, Inventory, OriginResource};
use cf_origin_doctor::inventory::{self, aws::SdkApi};
use cf_origin_doctor::request::DiagnoseRequest;
use lab::seed_net::{self, OriginSpec};
use lab::{emulator_config, moto::Moto, seed};

struct World {
    _moto: Moto,
    inventory: Inventory,
    imported: String,
    requested: String,
}

async fn import(acm: &aws_sdk_acm::Client, names: &[&str]) -> String {
    let key = rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .expect("self-signed certificate");
    acm.import_certificate()
        .certificate(aws_sdk_acm::primitives::Blob::new(key.cert.pem().into_bytes()))
        .private_key(aws_sdk_acm::primitives::Blob::new(key.signing_key.serialize_pem().into_bytes()))
        .send()
        .await
        .expect("import certificate")
        .certificate_arn()
        .expect("arn")
        .to_string()
}

/// A distribution whose origin is an ALB with ACM certificates on its HTTPS listener;
/// `viewer` is the viewer certificate ARN (`None`: one that does not exist).
async fn world(viewer_imported: bool) -> World {
    let moto = tokio::task::spawn_blocking(Moto::start).await.expect("emulator");
    let sdk = emulator_config(&moto.endpoint).await;
    let acm = aws_sdk_acm::Client::new(&sdk);
    let elb = aws_sdk_elasticloadbalancingv2::Client::new(&sdk);
    let cf = aws_sdk_cloudfront::Client::new(&sdk);

    let imported = import(&acm, &["origin.example.com", "*.example.com"]).await;
    let requested = acm
        .request_certificate()
        .domain_name("app.example.com")
        .subject_alternative_names("app.example.com")
        .subject_alternative_names("api.example.com")
        .send()
        .await
        .expect("request certificate")
        .certificate_arn()
        .expect("arn")
        .to_string();

    let alb = seed::create_alb(
        &sdk,
        "cert-alb",
        &[seed::ListenerSpec { port: 443, https: true, action: seed::ListenerAction::Forward }],
    )
    .await;
    let https_listener = alb.listeners[0].1.clone();
    elb.add_listener_certificates()
        .listener_arn(&https_listener)
        .certificates(elbt::Certificate::builder().certificate_arn(&imported).build())
        .certificates(elbt::Certificate::builder().certificate_arn(&requested).build())
        .send()
        .await
        .expect("listener certificates");
    let id = seed_net::multi_origin_distribution(
        &sdk,
        &[OriginSpec { id: "alb".into(), domain: alb.dns_name.clone(), protocol_policy: Some("https-only") }],
    )
    .await;
    if viewer_imported {
        let current = cf.get_distribution_config().id(&id).send().await.expect("distribution config");
        let mut config = current.distribution_config().expect("config").clone();
        config.viewer_certificate = Some(
            cft::ViewerCertificate::builder()
                .acm_certificate_arn(&imported)
                .ssl_support_method(cft::SslSupportMethod::SniOnly)
                .minimum_protocol_version(cft::MinimumProtocolVersion::TlSv122021)
                .build(),
        );
        cf.update_distribution()
            .id(&id)
            .if_match(current.e_tag().expect("etag"))
            .distribution_config(config)
            .send()
            .await
            .expect("update distribution");
    }
    let req = DiagnoseRequest::new(&id, &[]).expect("request");
    let inventory = Box::pin(inventory::gather(&SdkApi::new(sdk), &req)).await.expect("inventory");
    World { _moto: moto, inventory, imported, requested }
}

fn listener_certs(inv: &Inventory) -> Vec<(String, Fetch<AcmCertificate>)> {
    let Some(OriginResource::LoadBalancer(lb)) = inv.origin("alb").and_then(|o| o.resource.value()) else {
        panic!("alb resource: {:?}", inv.origin("alb"))
    };
    let listener = lb.listener_on(443).expect("443 listener");
    listener
        .certificates
        .value()
        .expect("certificates")
        .iter()
        .map(|c| (c.certificate_arn.clone(), c.acm.clone()))
        .collect()
}

#[test]
fn viewer_and_listener_certificates_are_described_by_acm_in_their_region() {
    run(async {
        let w = world(true).await;
        let viewer = w
            .inventory
            .viewer_certificate_acm
            .value()
            .unwrap_or_else(|| panic!("viewer certificate: {:?}", w.inventory.viewer_certificate_acm));
        assert_eq!(viewer.arn, w.imported);
        assert_eq!(viewer.certificate_type, "IMPORTED");
        assert!(viewer.covers("www.example.com") && viewer.covers("origin.example.com"));
        assert!(!viewer.covers("a.b.example.com"), "a wildcard covers one label");
        let (nb, na) = (viewer.not_before_unix.expect("NotBefore"), viewer.not_after_unix.expect("NotAfter"));
        assert!(nb < na, "{nb} < {na}");
        assert!(viewer.key_algorithm.is_some(), "key algorithm");

        let certs = listener_certs(&w.inventory);
        let acm_of = |arn: &str| certs.iter().find(|(a, _)| a == arn).map(|(_, f)| f.clone());
        let requested = acm_of(&w.requested).expect("requested certificate on the listener");
        let requested = requested.value().unwrap_or_else(|| panic!("requested: {requested:?}"));
        assert_eq!(requested.certificate_type, "AMAZON_ISSUED");
        assert!(requested.covers("api.example.com") && !requested.covers("origin.example.com"));
        assert!(!requested.status.is_empty());
        assert!(matches!(acm_of(&w.imported), Some(Fetch::Fetched { .. })));
        // The IAM server certificate is no ACM certificate: said so, no call spent.
        let iam = acm_of("arn:aws:iam::123456789012:server-certificate/lab").expect("IAM certificate");
        assert!(matches!(iam, Fetch::NotApplicable { .. }), "{iam:?}");
        let described = w.inventory.calls.iter().filter(|c| c.action == "acm:DescribeCertificate").count();
        assert_eq!(described, 3, "the viewer certificate and two listener certificates");
        assert!(
            w.inventory.calls.iter().filter(|c| c.action == "acm:DescribeCertificate").all(|c| c.region == "us-east-1")
        );
    });
}

#[test]
fn a_viewer_certificate_missing_from_acm_is_not_found_not_a_failure_of_the_run() {
    run(async {
        let w = world(false).await;
        assert!(
            matches!(&w.inventory.viewer_certificate_acm, Fetch::NotFound { action, .. } if action == "acm:DescribeCertificate"),
            "{:?}",
            w.inventory.viewer_certificate_acm
        );
        assert!(listener_certs(&w.inventory).iter().any(|(_, f)| matches!(f, Fetch::Fetched { .. })));
    });
}
