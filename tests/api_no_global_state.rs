//! Building and using a client changes nothing process-global: the Azure SDK's async
//! runtime is still unset afterwards, so the application's own choice (here, the
//! explicit call) succeeds. (Blob storage runs Azure SDK calls, and the SDK picks its
//! default runtime on its first call: an application that wants another calls
//! `install_blocking_runtime` before building blob storage.) Its own test binary: the
//! runtime is process-global.

use std::sync::Arc;
use std::time::{Duration, Instant};

use arn_client::testing::{ArnReceiver, StaticTokenCredential};
use arn_client::transport::ReceiverConfig;
use arn_client::Client;

fn notification() -> arn_client::model::Notification {
    use arn_client::model::*;
    let id: ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".parse().unwrap();
    let arm = ArmResource::new(
        Activity::Snapshot,
        &id,
        "2024-03-01",
        &serde_json::json!({}),
    )
    .unwrap();
    Notification::new(
        "eastus",
        "Microsoft.Compute",
        vec![NotificationResource::new(arm, ChangeAction::Update)],
    )
}

#[test]
fn building_clients_does_not_install_a_runtime() {
    let receiver = ArnReceiver::start("global-tok").unwrap();
    let credential = StaticTokenCredential::new("global-tok").shared();
    let config = ReceiverConfig::new(receiver.url(), Arc::clone(&credential))
        .add_root_certificate(receiver.certificate_pem());
    let client = Client::builder(config).build().unwrap();
    client.notify(notification()).unwrap();
    client
        .close(Instant::now() + Duration::from_secs(10))
        .unwrap();
    // Nobody set it: the explicit, documented call is the first.
    arn_client::auth::install_blocking_runtime().unwrap();
    assert!(
        arn_client::auth::install_blocking_runtime().is_err(),
        "set once"
    );
}
