//! Kiosk mode, for demonstrators at a booth (`--kiosk`): the login window and the
//! phone and card simulators tiled across the screen, a large Reset demo, and a reset
//! by itself a set time (`--kiosk-reset-after SECONDS`, 90 by default) after a visitor
//! logs out or walks away. Every window reports keys and touches (`kiosk_touch`), so
//! the idle time is the whole booth's: a visitor working the phone or the card keeps
//! the login alive. The main window logs an idle visitor out (after a warning); the
//! login window then asks for the reset, which happens only if a visitor was there.
//! The Demo menu enters kiosk mode at run time (`kiosk_enter`), and the kiosk bar
//! leaves it (`kiosk_leave`): the windows get their frames and sizes back.

use crate::error::AppError;
use crate::session::Session;
use crate::windows;
use serde::Serialize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter, Manager, State};

/// The automatic reset's delay unless `--kiosk-reset-after` says otherwise.
pub const DEFAULT_RESET_AFTER: Duration = Duration::from_secs(90);
/// Its bounds: long enough to read a screen, short enough to matter at a booth.
const RESET_AFTER_SECONDS: std::ops::RangeInclusive<u64> = 1..=3600;

pub struct Kiosk {
    enabled: AtomicBool,
    pub reset_after: Duration,
    resets: AtomicU64,
    last_reset_ms: AtomicU64,
    /// `Session::opened` at the last reset: a visitor logged in since, if it moved.
    opened_at_reset: AtomicU64,
    /// A visitor's own phone paired since the last reset (`--phone-lan`).
    phone_paired: AtomicBool,
    /// The last key or touch in any window, or action on a visitor's phone.
    last_activity: Mutex<Instant>,
}

impl Kiosk {
    /// `--kiosk` (or `PORTCULLIS_KIOSK=1`, given as `env_kiosk`) and
    /// `--kiosk-reset-after SECONDS`.
    pub fn from_args(args: &[String], env_kiosk: Option<&str>) -> Kiosk {
        let enabled = args.iter().any(|a| a == "--kiosk") || env_kiosk == Some("1");
        let asked = args
            .iter()
            .position(|a| a == "--kiosk-reset-after")
            .map(|i| args.get(i + 1).map_or("", String::as_str));
        let reset_after = match asked {
            None => DEFAULT_RESET_AFTER,
            Some(v) => match v.parse::<u64>() {
                Ok(s) if RESET_AFTER_SECONDS.contains(&s) => Duration::from_secs(s),
                _ => {
                    tracing::warn!(
                        value = v,
                        "--kiosk-reset-after takes 1 to 3600 seconds; using 90"
                    );
                    DEFAULT_RESET_AFTER
                }
            },
        };
        Kiosk {
            enabled: AtomicBool::new(enabled),
            reset_after,
            resets: AtomicU64::new(0),
            last_reset_ms: AtomicU64::new(0),
            opened_at_reset: AtomicU64::new(0),
            phone_paired: AtomicBool::new(false),
            last_activity: Mutex::new(Instant::now()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    /// A visitor logged in or paired their phone since the last reset.
    fn visited(&self, session: &Session) -> bool {
        session.opened() != self.opened_at_reset.load(Ordering::Relaxed)
            || self.phone_paired.load(Ordering::Relaxed)
    }

    /// A visitor's own phone paired: a visitor is there, and the next idle time
    /// resets the demo (which unpairs it for the next visitor).
    pub fn phone_paired(&self) {
        self.phone_paired.store(true, Ordering::Relaxed);
        self.touch();
    }

    /// Activity: a key or touch in a window, or an action on a visitor's phone.
    pub fn touch(&self) {
        *self.last_activity.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn idle(&self) -> Duration {
        self.last_activity
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
    }

    /// A reset took `ms`, with `opened` sessions so far; answers the number of resets.
    pub fn record(&self, ms: u64, opened: u64) -> u64 {
        self.last_reset_ms.store(ms, Ordering::Relaxed);
        self.opened_at_reset.store(opened, Ordering::Relaxed);
        self.phone_paired.store(false, Ordering::Relaxed);
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
    /// Seconds since the last key or touch in any window.
    pub idle_seconds: u64,
}

/// A key or a touch in one of the windows.
#[tauri::command]
pub fn kiosk_touch(kiosk: State<'_, Kiosk>) {
    kiosk.touch();
}

/// The login window's automatic reset: only in kiosk mode, with no session open,
/// after the idle time, and if a visitor was there (logged in since the last reset,
/// or left the login window `touched`). None when there was nothing to do.
#[tauri::command]
pub async fn kiosk_idle_reset(
    app: AppHandle,
    kiosk: State<'_, Kiosk>,
    session: State<'_, Session>,
    touched: bool,
) -> Result<Option<crate::demo::DemoReset>, AppError> {
    let visited = kiosk.visited(&session);
    if !kiosk.enabled()
        || session.is_open()
        || kiosk.idle() < kiosk.reset_after
        || !(visited || touched)
    {
        return Ok(None);
    }
    crate::demo::reset(&app).await.map(Some)
}

#[tauri::command]
pub fn kiosk_status(kiosk: State<'_, Kiosk>, session: State<'_, Session>) -> KioskStatus {
    let resets = kiosk.resets.load(Ordering::Relaxed);
    KioskStatus {
        enabled: kiosk.enabled(),
        reset_after_seconds: kiosk.reset_after.as_secs(),
        resets,
        last_reset_ms: (resets > 0).then(|| kiosk.last_reset_ms.load(Ordering::Relaxed)),
        visited: kiosk.visited(&session),
        logged_in: session.is_open(),
        idle_seconds: kiosk.idle().as_secs(),
    }
}

/// Demo → Kiosk mode: the booth's layout now. Logins before it are the
/// demonstrator's, not a visitor's, so they do not call for a reset.
#[tauri::command]
pub fn kiosk_enter(
    app: AppHandle,
    kiosk: State<'_, Kiosk>,
    session: State<'_, Session>,
) -> Result<(), AppError> {
    kiosk
        .opened_at_reset
        .store(session.opened(), Ordering::Relaxed);
    dock(&app)?;
    kiosk.touch();
    kiosk.enabled.store(true, Ordering::Relaxed);
    let _ = app.emit("kiosk-changed", true);
    Ok(())
}

/// The kiosk bar's Leave kiosk mode: frames and sizes back, no automatic reset.
#[tauri::command]
pub fn kiosk_leave(app: AppHandle, kiosk: State<'_, Kiosk>) {
    kiosk.enabled.store(false, Ordering::Relaxed);
    windows::undock(&app);
    let _ = app.emit("kiosk-changed", false);
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
        assert!(!Kiosk::from_args(&args(&["portcullis"]), None).enabled());
        assert!(!Kiosk::from_args(&args(&["portcullis"]), Some("0")).enabled());
        assert!(Kiosk::from_args(&args(&["portcullis"]), Some("1")).enabled());
        let on = Kiosk::from_args(&args(&["portcullis", "--kiosk"]), None);
        assert!(on.enabled());
        assert_eq!(on.reset_after, DEFAULT_RESET_AFTER);
    }

    #[test]
    fn kiosk_reset_after_takes_1_to_3600_seconds_and_ignores_the_rest() {
        let at =
            |v: &str| Kiosk::from_args(&args(&["p", "--kiosk-reset-after", v]), None).reset_after;
        assert_eq!(at("1"), Duration::from_secs(1));
        assert_eq!(at("3600"), Duration::from_secs(3600));
        for bad in ["0", "3601", "-5", "soon", ""] {
            assert_eq!(at(bad), DEFAULT_RESET_AFTER, "{bad:?}");
        }
    }

    #[test]
    fn a_reset_counts_and_remembers_the_sessions_seen() {
        let k = Kiosk::from_args(&args(&["p", "--kiosk"]), None);
        assert_eq!(k.record(120, 3), 1);
        assert_eq!(k.record(80, 3), 2);
        assert_eq!(k.last_reset_ms.load(Ordering::Relaxed), 80);
        assert_eq!(k.opened_at_reset.load(Ordering::Relaxed), 3);
    }
}

#[cfg(test)]
mod idle_tests {
    use super::*;

    #[test]
    fn a_touch_restarts_the_idle_time() {
        let k = Kiosk::from_args(&["p".to_owned(), "--kiosk".to_owned()], None);
        *k.last_activity.lock().expect("lock") = Instant::now() - Duration::from_secs(120);
        assert!(k.idle() >= Duration::from_secs(120));
        k.touch();
        assert!(k.idle() < Duration::from_secs(5));
    }
}
