//! What the VPC-origin checks share: the VPC origins some behavior uses, with what the inventory
//! read for each (the VPC origin, its endpoint resource and network path). Pure.

use super::net_common::{receives_traffic, used_connections};
use super::{CheckMeta, CheckOutput};
use crate::evidence::{
    Evidence, NetworkPath, Origin, OriginInventory, OriginKind, OriginResource, Scheme, VpcOrigin, VpcOriginFacts,
};

/// A VPC origin that receives traffic and whose facts were read.
pub(super) struct VpcOriginView<'a> {
    pub origin: &'a Origin,
    pub inv: &'a OriginInventory,
    pub facts: &'a VpcOriginFacts,
    pub vpc: &'a VpcOrigin,
    pub resource: &'a OriginResource,
    pub network: &'a NetworkPath,
}

impl VpcOriginView<'_> {
    /// The (scheme, port) pairs CloudFront uses toward this VPC origin.
    pub(super) fn connections(&self, ev: &Evidence) -> Vec<(Scheme, u16)> {
        used_connections(ev, &self.origin.id, self.vpc.protocol_policy, self.vpc.connections())
    }
}

/// The used VPC origins; what could not be read is noted as unverified for `meta`.
pub(super) fn vpc_origins<'a>(ev: &'a Evidence, out: &mut CheckOutput, meta: &CheckMeta) -> Vec<VpcOriginView<'a>> {
    let d = &ev.inventory.distribution;
    let mut views = Vec::new();
    for origin in d.origins.iter().filter(|o| matches!(o.kind, OriginKind::Vpc { .. })) {
        if !receives_traffic(ev, &origin.id) {
            continue;
        }
        let what = format!("VPC origin {}", origin.id);
        let Some(inv) = ev.inventory.origin(&origin.id) else { continue };
        let Some(facts) = inv.vpc_origin.as_ref() else {
            out.unverified(meta, what, "the VPC origin was not inventoried (evidence from an older version)");
            continue;
        };
        let Some(vpc) = facts.vpc_origin.value() else {
            out.unverified(meta, what, facts.vpc_origin.missing_reason().unwrap_or_default());
            continue;
        };
        let Some(resource) = inv.resource.value() else {
            out.unverified(
                meta,
                format!("the endpoint {} of VPC origin {}", vpc.endpoint_arn, origin.id),
                inv.resource.missing_reason().unwrap_or_default(),
            );
            continue;
        };
        let Some(network) = inv.network.as_ref() else {
            out.unverified(meta, format!("the network of VPC origin {}", origin.id), "no network path was read");
            continue;
        };
        views.push(VpcOriginView { origin, inv, facts, vpc, resource, network });
    }
    views
}
