//! Kiosk mode, for demonstrators at a booth (`--kiosk`): the login window and the
//! phone and card simulators tiled across the screen, a large Reset demo, and a reset
//! by itself a set time (`--kiosk-reset-after SECONDS`, 90 by default) after a visitor
//! logs out or walks away. The login and main windows keep the idle time (their own
//! input); this side says whether there is anything to reset and does it.

use crate::error::AppError;
use crate::session::Session;
use crate::windows;
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tauri::{AppHandle, Manager, State};

/// The automatic reset's delay unless `--kiosk-reset-after` says otherwise.
pub const DEFAULT_RESET_AFTER: Duration = Duration::from_secs(90);
/// Its bounds: long enough to read a screen, short enough to matter at a booth.
const RESET_AFTER_SECONDS: std::ops::RangeInclusive<u64> = 1..=3600;

pub struct Kiosk {
    pub enabled: bool,
    pub reset_after: Duration,
    resets: AtomicU64,
    last_reset_ms: AtomicU64,
    /// `Session::opened` at the last reset: a visitor logged in since, if it moved.
    opened_at_reset: AtomicU64,
}

impl Kiosk {
    /// `--kiosk` (or `PORTCULLIS_KIOSK=1`) and `--kiosk-reset-after SECONDS`.
    pub fn from_args(args: &[String]) -> Kiosk {
        let enabled = args.iter().any(|a| a == "--kiosk")
            || std::env::var("PORTCULLIS_KIOSK").is_ok_and(|v| v == "1");
        let reset_after = args
            .iter()
            .position(|a| a == "--kiosk-reset-after")
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse::<u64>().ok())
            .filter(|s| RESET_AFTER_SECONDS.contains(s))
            .map_or(DEFAULT_RESET_AFTER, Duration::from_secs);
        Kiosk {
            enabled,
            reset_after,
            resets: AtomicU64::new(0),
            last_reset_ms: AtomicU64::new(0),
            opened_at_reset: AtomicU64::new(0),
        }
    }

    /// A reset took `ms`, with `opened` sessions so far; answers the number of resets.
    pub fn record(&self, ms: u64, opened: u64) -> u64 {
        self.last_reset_ms.store(ms, Ordering::Relaxed);
        self.opened_at_reset.store(opened, Ordering::Relaxed);
        self.resets.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// What the login and main windows need to know.
#[derive(Debug, Clone, Serialize)]
pub struct KioskStatus {
    pub enabled: bool,
    pub reset_after_seconds: u64,
    /// Resets so far (by hand or by themselves).
    pub resets: u64,
    /// How long the last one took, in milliseconds.
    pub last_reset_ms: Option<u64>,
    /// A visitor logged in since the last reset.
    pub visited: bool,
    /// A session is open now (the main window shows it).
    pub logged_in: bool,
}

#[tauri::command]
pub fn kiosk_status(kiosk: State<'_, Kiosk>, session: State<'_, Session>) -> KioskStatus {
    let resets = kiosk.resets.load(Ordering::Relaxed);
    KioskStatus {
        enabled: kiosk.enabled,
        reset_after_seconds: kiosk.reset_after.as_secs(),
        resets,
        last_reset_ms: (resets > 0).then(|| kiosk.last_reset_ms.load(Ordering::Relaxed)),
        visited: session.opened() != kiosk.opened_at_reset.load(Ordering::Relaxed),
        logged_in: session.is_open(),
    }
}

/// Tiles the login window between the phone simulator (left) and the card simulator
/// (right) across the login window's monitor, without window decorations.
pub fn dock(app: &AppHandle) -> Result<(), AppError> {
    windows::open_phone(app)?;
    windows::open_card(app)?;
    let (Some(login), Some(phone), Some(card)) = (
        app.get_webview_window("login"),
        app.get_webview_window("phone"),
        app.get_webview_window("card"),
    ) else {
        return Ok(());
    };
    let Ok(Some(monitor)) = login.current_monitor() else {
        return Ok(());
    };
    let scale = monitor.scale_factor();
    let area = monitor.size().to_logical::<f64>(scale);
    let origin = monitor.position().to_logical::<f64>(scale);
    // The simulators keep their phone- and card-like widths; the login takes the rest.
    let side = (area.width / 4.0).clamp(300.0, 420.0);
    let frames = [
        (&phone, origin.x, side),
        (&login, origin.x + side, area.width - 2.0 * side),
        (&card, origin.x + area.width - side, side),
    ];
    for (window, x, width) in frames {
        let _ = window.set_decorations(false);
        let _ = window.set_resizable(true);
        let _ = window.set_size(tauri::LogicalSize::new(width, area.height));
        let _ = window.set_position(tauri::LogicalPosition::new(x, origin.y));
    }
    let _ = login.set_focus();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| (*a).to_owned()).collect()
    }

    #[test]
    fn kiosk_is_off_unless_asked_and_resets_after_90_s_by_default() {
        let plain = Kiosk::from_args(&args(&["portcullis"]));
        assert!(!plain.enabled || std::env::var("PORTCULLIS_KIOSK").is_ok());
        let on = Kiosk::from_args(&args(&["portcullis", "--kiosk"]));
        assert!(on.enabled);
        assert_eq!(on.reset_after, DEFAULT_RESET_AFTER);
    }

    #[test]
    fn kiosk_reset_after_takes_1_to_3600_seconds_and_ignores_the_rest() {
        let at = |v: &str| Kiosk::from_args(&args(&["p", "--kiosk-reset-after", v])).reset_after;
        assert_eq!(at("1"), Duration::from_secs(1));
        assert_eq!(at("3600"), Duration::from_secs(3600));
        for bad in ["0", "3601", "-5", "soon", ""] {
            assert_eq!(at(bad), DEFAULT_RESET_AFTER, "{bad:?}");
        }
    }

    #[test]
    fn a_reset_counts_and_remembers_the_sessions_seen() {
        let k = Kiosk::from_args(&args(&["p", "--kiosk"]));
        assert_eq!(k.record(120, 3), 1);
        assert_eq!(k.record(80, 3), 2);
        assert_eq!(k.last_reset_ms.load(Ordering::Relaxed), 80);
        assert_eq!(k.opened_at_reset.load(Ordering::Relaxed), 3);
    }
}
