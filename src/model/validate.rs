//! Validation of a notification (`docs/protocol.md` section 4).
//!
//! The rules run in the reference's order, resource by resource; the first failure is
//! the error. Unlike the reference, every notification is validated, whether its
//! resources go inline or to blob storage.

use super::{
    Notification, NotificationContext, NotificationResource, Rule, ValidationError, MAX_BATCH_SIZE,
};

/// Keys the encoder writes itself into `additionalBatchProperties`.
pub(crate) const RESERVED_BATCH_KEYS: [&str; 3] = ["batchCorrelationId", "sdkVersion", "batchSize"];

/// Rule 1 alone (more than [`MAX_BATCH_SIZE`] resources).
fn check_batch_size(len: usize) -> Result<(), ValidationError> {
    if len > MAX_BATCH_SIZE {
        return Err(ValidationError::new(
            Rule::BatchSize,
            None,
            format!("batch size too large: {len} resources, at most {MAX_BATCH_SIZE}"),
        ));
    }
    Ok(())
}

impl Notification {
    /// Rule 1 alone (more than [`MAX_BATCH_SIZE`] resources): the check the client
    /// also makes at submission, before anything else.
    pub(crate) fn check_batch_size(&self) -> Result<(), ValidationError> {
        check_batch_size(self.resources.len())
    }

    /// Checks the rules of `docs/protocol.md` section 4, resource by resource, in the
    /// reference's order; the first failure is the error. Zero resources is valid (the
    /// encoder then has nothing to send).
    ///
    /// The envelope rules (step 7) hold by construction: the encoder writes the
    /// subject, event type, time, id and versions itself.
    pub fn validate(&self) -> Result<(), ValidationError> {
        validate_resources(&self.context, &self.resources)?;
        if let Some(k) = RESERVED_BATCH_KEYS
            .iter()
            .find(|k| self.additional_batch_properties.contains_key(**k))
        {
            return Err(ValidationError::new(
                Rule::ReservedBatchProperty,
                None,
                format!("additionalBatchProperties may not set {k:?}"),
            ));
        }
        Ok(())
    }
}

/// Every rule of [`Notification::validate`] but the batch properties', for
/// `resources` under the notification-level fields `context` (of which the rules read
/// the API version and the tenants): a caller that keeps a context apart from any
/// notification (the publisher's changes) validates resources without building one.
pub(crate) fn validate_resources(
    context: &NotificationContext,
    resources: &[NotificationResource],
) -> Result<(), ValidationError> {
    let fail = |rule, i: usize, detail: String| Err(ValidationError::new(rule, Some(i), detail));
    // Step 1: batch size, before anything else.
    check_batch_size(resources.len())?;
    // The reference marshals the resources before it validates them: a time it
    // cannot write fails first.
    for (i, r) in resources.iter().enumerate() {
        let sys = &r.resource_system_properties;
        let times = [r.resource_event_time, sys.created_time, sys.modified_time];
        if let Some(t) = times
            .iter()
            .flatten()
            .find(|t| !(0..=9999).contains(&t.year()))
        {
            return fail(
                Rule::TimeOutOfRange,
                i,
                format!("time {t} is outside years 0..=9999"),
            );
        }
    }
    let Some(first) = resources.first() else {
        return Ok(());
    };
    let first_type = first.arm_resource.id.resource_type();
    for (i, r) in resources.iter().enumerate() {
        // Step 3: per resource (statusCode is written by the encoder, changeAction
        // is an enum).
        if r.sent_resource_id().is_empty() {
            return fail(Rule::ResourceIdMissing, i, "resourceId is required".into());
        }
        if r.arm_resource.id.as_str().is_empty() {
            return fail(Rule::ArmIdMissing, i, "armResource.id is required".into());
        }
        // Step 4: one resource type; namespace and type chain compared exactly.
        let t = r.arm_resource.id.resource_type();
        if i > 0 && t != first_type {
            return fail(
                Rule::MixedResourceTypes,
                i,
                format!("resource type {t} differs from the first resource's {first_type}"),
            );
        }
        // Step 5: API versions against the notification's.
        let api_version = r.sent_api_version();
        if context.api_version.is_empty() {
            if api_version.is_empty() {
                return fail(
                    Rule::ApiVersionMissing,
                    i,
                    "apiVersion is required when the notification has none".into(),
                );
            }
        } else if !api_version.is_empty() && api_version != context.api_version {
            return fail(
                Rule::ApiVersionMismatch,
                i,
                format!(
                    "apiVersion {:?} differs from the notification's {:?}",
                    api_version, context.api_version
                ),
            );
        }
        // Step 6: tenant ids equal the notification's, hence equal across resources.
        for (field, ours, theirs) in [
            ("homeTenantId", &r.home_tenant_id, &context.home_tenant_id),
            (
                "resourceHomeTenantId",
                &r.resource_home_tenant_id,
                &context.resource_home_tenant_id,
            ),
        ] {
            if ours != theirs {
                return fail(
                    Rule::TenantMismatch,
                    i,
                    format!("{field} {ours:?} differs from the notification's {theirs:?}"),
                );
            }
        }
        // Step 5, continued: one API version across resources, and the armResource's
        // must equal it when it is set.
        if api_version != first.sent_api_version() {
            return fail(
                Rule::ApiVersionMismatch,
                i,
                format!(
                    "apiVersion {:?} differs from the first resource's {:?}",
                    api_version,
                    first.sent_api_version()
                ),
            );
        }
        if !api_version.is_empty() && *r.arm_resource.api_version != *api_version {
            return fail(
                Rule::ApiVersionMismatch,
                i,
                format!(
                    "armResource.apiVersion {:?} differs from apiVersion {:?}",
                    r.arm_resource.api_version, api_version
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Activity, ArmResource, ChangeAction, NotificationResource, ResourceId};

    fn res(id: &str, api: &str) -> NotificationResource {
        let id = ResourceId::parse(id).unwrap();
        let arm = ArmResource::new(Activity::Snapshot, &id, api, &1).unwrap();
        NotificationResource::new(arm, ChangeAction::Update)
    }

    const NODE_A: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/nodes/a";
    const NODE_B: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/nodes/b";
    const POOL: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c/agentPools/p";

    fn n(resources: Vec<NotificationResource>) -> Notification {
        Notification::new("eastus", "Microsoft.ContainerService", resources)
    }

    fn rule(n: &Notification) -> (Rule, Option<usize>) {
        let e = n.validate().unwrap_err();
        (e.rule, e.index)
    }

    #[test]
    fn empty_and_simple_notifications_are_valid() {
        n(vec![]).validate().unwrap();
        n(vec![res(NODE_A, "2024-01-01"), res(NODE_B, "2024-01-01")])
            .validate()
            .unwrap();
    }

    #[test]
    fn batch_size_comes_first() {
        let mut r = vec![res(NODE_A, "2024-01-01").with_resource_id(""); MAX_BATCH_SIZE];
        n(r.clone()).validate().unwrap_err();
        r.push(res(NODE_A, ""));
        assert_eq!(rule(&n(r)), (Rule::BatchSize, None));
    }

    #[test]
    fn rules_run_resource_by_resource() {
        // Resource 0 is fine; resource 1 breaks two rules: the first in order wins.
        let bad = res(POOL, "2024-01-01").with_resource_id("");
        let x = n(vec![res(NODE_A, "2024-01-01"), bad]);
        assert_eq!(rule(&x), (Rule::ResourceIdMissing, Some(1)));
        let x = n(vec![res(NODE_A, "2024-01-01"), res(POOL, "")]);
        assert_eq!(rule(&x), (Rule::MixedResourceTypes, Some(1)));
        // An earlier resource's later rule beats a later resource's earlier rule.
        let x = n(vec![res(NODE_A, ""), res(NODE_B, "x").with_resource_id("")]);
        assert_eq!(rule(&x), (Rule::ApiVersionMissing, Some(0)));
    }

    #[test]
    fn api_versions() {
        let x = n(vec![res(NODE_A, ""), res(NODE_B, "")]).with_api_version("2024-01-01");
        x.validate().unwrap();
        let x = n(vec![res(NODE_A, "2023-01-01")]).with_api_version("2024-01-01");
        assert_eq!(rule(&x), (Rule::ApiVersionMismatch, Some(0)));
        let x = n(vec![res(NODE_A, ""), res(NODE_B, "2024-01-01")]).with_api_version("2024-01-01");
        assert_eq!(rule(&x), (Rule::ApiVersionMismatch, Some(1)));
        let x = n(vec![
            res(NODE_A, "2024-01-01").with_api_version("2024-02-01")
        ]);
        assert_eq!(rule(&x), (Rule::ApiVersionMismatch, Some(0)));
    }

    #[test]
    fn tenants_are_exact_strings() {
        let x = n(vec![res(NODE_A, "v").with_home_tenant_id("T")]).with_home_tenant_id("t");
        assert_eq!(rule(&x), (Rule::TenantMismatch, Some(0)));
        let x = n(vec![res(NODE_A, "v")]).with_resource_home_tenant_id("t");
        assert_eq!(rule(&x), (Rule::TenantMismatch, Some(0)));
        let x = n(vec![res(NODE_A, "v").with_home_tenant_id("t")]).with_home_tenant_id("t");
        x.validate().unwrap();
    }

    #[test]
    fn times_must_fit_rfc3339() {
        let t = time::macros::datetime!(-0001-01-01 00:00 UTC);
        let x = n(vec![
            res(NODE_A, "v"),
            res(NODE_B, "v").with_created_time(t),
        ]);
        assert_eq!(rule(&x), (Rule::TimeOutOfRange, Some(1)));
    }

    #[test]
    fn reserved_batch_keys_are_rejected() {
        let x = n(vec![res(NODE_A, "v")]).with_additional_batch_property("batchSize", 3);
        assert_eq!(rule(&x), (Rule::ReservedBatchProperty, None));
    }
}
