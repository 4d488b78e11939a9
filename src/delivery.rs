//! Delivery reports: what became of a notification.

use std::time::Duration;

use uuid::Uuid;

/// The delivery report of a notification the receiver accepted: which event carried
/// it and how it went. Returned by [`Client::notify`](crate::Client::notify) and
/// [`Promise::wait`](crate::Promise::wait).
///
/// A caller may conclude that the receiver answered HTTP 200 to the event
/// [`event_id`](Delivery::event_id) (an empty notification is not sent at all). With
/// [`attempts`](Delivery::attempts) over 1, an earlier try may also have reached it
/// (a try that went out and got no answer, [`Sent::NoAnswer`](crate::Sent::NoAnswer)),
/// under the same event id.
///
/// ```
/// # #[cfg(feature = "testing")]
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # use arn_client::model::*;
/// # let id: ResourceId = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1".parse()?;
/// # let arm = ArmResource::new(Activity::Snapshot, &id, "2024-03-01", &serde_json::json!({}))?;
/// # let n = Notification::new("eastus", "Microsoft.Compute", vec![NotificationResource::new(arm, ChangeAction::Update)]);
/// let fake = arn_client::testing::FakeTransport::new();
/// let client = arn_client::Client::with_transports(fake).build()?;
/// let report = client.notify(n)?;
/// assert!(report.inline);
/// assert_eq!(report.attempts, 1);
/// println!("sent as event {} ({} bytes)", report.event_id, report.sent_bytes);
/// # Ok(()) }
/// # #[cfg(not(feature = "testing"))]
/// # fn main() {}
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The event's `id` (a fresh UUID per notification), as the receiver logs it. Nil
    /// for an empty notification, which is not sent.
    pub event_id: Uuid,
    /// Whether the resources went inline (`false`: through blob storage).
    pub inline: bool,
    /// The event body's size before compression.
    pub event_bytes: usize,
    /// The bytes posted: the compressed size when compression is on.
    pub sent_bytes: usize,
    /// POST attempts, retries included (1 when the first try was accepted; 0 for an
    /// empty notification).
    pub attempts: u32,
    /// From the client's acceptance of the notification to its outcome (queueing,
    /// waiting for earlier notifications about the same resources, encoding, upload
    /// and every try).
    pub elapsed: Duration,
}

impl Delivery {
    /// The report of an empty notification, which succeeds without being sent.
    pub(crate) fn empty() -> Self {
        Self {
            event_id: Uuid::nil(),
            inline: true,
            event_bytes: 0,
            sent_bytes: 0,
            attempts: 0,
            elapsed: Duration::ZERO,
        }
    }
}
