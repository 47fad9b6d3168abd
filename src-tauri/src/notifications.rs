//! The phone simulator's desktop notifications: one per login request, activating it
//! opens the request, and it is closed (D-Bus `CloseNotification`, through
//! notify-rust's handle) as soon as the request ends — approved, denied, expired or
//! withdrawn — so they never pile up (issue 6, item 14). They are worded in the app's
//! language at the moment they are raised (issue 10).

use crate::locale;
use notify_rust::{Notification, NotificationHandle, NotificationResponse, Timeout};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Manager};

enum Shown {
    /// Sent to the notification daemon, no handle yet.
    Showing,
    /// The request ended before the daemon answered: close it once it does.
    EndedWhileShowing,
    Open(Arc<NotificationHandle>),
}

/// Open notifications by push id.
#[derive(Default)]
pub struct Notices {
    shown: Mutex<HashMap<String, Shown>>,
}

/// Runs `f` on the open notifications, under their lock.
fn with_shown<R>(app: &AppHandle, f: impl FnOnce(&mut HashMap<String, Shown>) -> R) -> R {
    let notices = app.state::<Notices>();
    let mut shown = notices.shown.lock().unwrap_or_else(|p| p.into_inner());
    f(&mut shown)
}

/// Raises the notification for `push_id` (once); `open` runs if the user activates it.
pub fn show(app: &AppHandle, push_id: &str, username: &str, open: impl FnOnce() + Send + 'static) {
    let fresh = with_shown(app, |shown| {
        if shown.contains_key(push_id) {
            return false;
        }
        shown.insert(push_id.to_owned(), Shown::Showing);
        true
    });
    if !fresh {
        return;
    }
    let app = app.clone();
    let push_id = push_id.to_owned();
    // In the language in use now; one already open keeps its own (issue 10).
    let (summary, body, open_label) = locale::push_notification(locale::now(&app), username);
    tauri::async_runtime::spawn(async move {
        let result = Notification::new()
            .appname("Portcullis IB Key")
            .summary(summary)
            .body(&body)
            .action("default", open_label)
            .timeout(Timeout::Milliseconds(180_000))
            .show_async()
            .await;
        let handle = match result {
            Ok(handle) => Arc::new(handle),
            Err(e) => {
                tracing::warn!(cause = %e, "desktop notification");
                with_shown(&app, |shown| shown.remove(&push_id));
                return;
            }
        };
        let ended = with_shown(&app, |shown| {
            let ended = matches!(shown.get(&push_id), Some(Shown::EndedWhileShowing) | None);
            if ended {
                shown.remove(&push_id);
            } else {
                shown.insert(push_id.clone(), Shown::Open(handle.clone()));
            }
            ended
        });
        if ended {
            handle.close_async().await;
            return;
        }
        let mut activated = false;
        handle
            .wait_for_action_async(|response| {
                activated = matches!(response, NotificationResponse::Default)
                    || matches!(response, NotificationResponse::Action(a) if a == "default");
            })
            .await;
        with_shown(&app, |shown| shown.remove(&push_id));
        if activated {
            open();
        }
    });
}

/// The request `push_id` ended: its notification goes.
fn close(app: &AppHandle, push_id: &str) {
    let entry = with_shown(app, |shown| match shown.remove(push_id) {
        Some(Shown::Showing) => {
            shown.insert(push_id.to_owned(), Shown::EndedWhileShowing);
            None
        }
        Some(Shown::Open(handle)) => Some(handle),
        Some(Shown::EndedWhileShowing) | None => None,
    });
    if let Some(handle) = entry {
        tauri::async_runtime::spawn(async move { handle.close_async().await });
    }
}

/// Closes every notification whose push is not in `alive`.
pub fn keep_only(app: &AppHandle, alive: &[String]) {
    let ids: Vec<String> = with_shown(app, |shown| {
        shown
            .keys()
            .filter(|id| !alive.contains(id))
            .cloned()
            .collect()
    });
    for id in ids {
        close(app, &id);
    }
}
