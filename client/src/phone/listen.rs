//! The phone's ear: the broker's event stream, reopened with a growing pause whenever
//! it ends, and the list of waiting requests reconciled each time it opens (what ended
//! while it was down sent no withdrawal). A refused token ends it for good.

use super::PhoneSim;
use crate::backoff;
use portcullis_api::PhoneEvent;

pub(super) async fn listen(phone: PhoneSim, token: String) {
    let mut failures = 0u32;
    loop {
        let Ok(client) = phone.host().client() else {
            tokio::time::sleep(backoff(1)).await;
            continue;
        };
        match client.phone_events(&token).await {
            Ok(mut events) => {
                failures = 0;
                match client.phone_pushes(&token).await {
                    Ok(waiting) => phone.reconcile(waiting.pushes),
                    Err(e) if e.code == "unknown_phone" => return phone.refused(e),
                    Err(_) => {}
                }
                while let Some(event) = events.next().await {
                    // An event this phone does not know is not for it to act on.
                    if let Ok(event) = serde_json::from_str::<PhoneEvent>(&event.data) {
                        phone.hear(event);
                    }
                }
            }
            Err(e) if e.code == "unknown_phone" => return phone.refused(e),
            Err(e) => {
                failures += 1;
                tracing::warn!(code = %e.code, "phone event stream");
            }
        }
        // The broker went away (or ended the stream): try again, backing off.
        tokio::time::sleep(backoff(failures.max(1))).await;
    }
}
