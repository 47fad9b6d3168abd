//! A visitor's own phone (`--phone-lan ADDR:PORT`, or `PORTCULLIS_PHONE_LAN`; off by
//! default): the client crate's listener ([`portcullis_client::lan_phone`]) started on
//! the app's runtime, so it stops with the app, and the login window's panel
//! (`phone_lan_status`: the QR code and its state). Reset demo calls [`reset`]. A bad
//! address or a failed bind is logged and said in the panel; the app runs on.

use crate::error::AppError;
use crate::kiosk::Kiosk;
use crate::link::Line;
use crate::locale::Current;
use base64::Engine as _;
use portcullis_client::lan_phone::{self, LanPhone, LanPhoneStatus, Visit};
use std::net::SocketAddr;
use std::sync::Arc;
use tauri::{AppHandle, Manager, State};

/// What `--phone-lan` asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Asked {
    Off,
    At(SocketAddr),
    /// Not an address and port: why.
    Bad(String),
}

impl Asked {
    /// `--phone-lan ADDR:PORT` (or `--phone-lan=ADDR:PORT`) wins over the environment.
    pub fn from_args(args: &[String], env: Option<&str>) -> Asked {
        let arg = args.iter().enumerate().find_map(|(i, a)| {
            if a == "--phone-lan" {
                Some(args.get(i + 1).map_or("", String::as_str))
            } else {
                a.strip_prefix("--phone-lan=")
            }
        });
        let Some(value) = arg.or(env.filter(|v| !v.is_empty())) else {
            return Asked::Off;
        };
        match value.trim().parse::<SocketAddr>() {
            Ok(addr) => Asked::At(addr),
            Err(_) => Asked::Bad(format!(
                "--phone-lan takes ADDR:PORT, the address the visitor's phone can reach \
                 and a port (0: any free one), e.g. 192.168.1.20:8377; not {value:?}."
            )),
        }
    }
}

/// The listener as the app knows it.
pub enum PhoneLan {
    Off,
    Failed(AppError),
    Running(LanPhone),
}

impl PhoneLan {
    /// Reset demo: the paired phone is forgotten and a new code minted.
    pub fn reset(&self) {
        if let PhoneLan::Running(lan) = self {
            lan.reset();
        }
    }
}

fn failed(message: String) -> PhoneLan {
    tracing::error!("the phone listener (--phone-lan) could not start: {message}");
    PhoneLan::Failed(AppError::new("phone_lan_failed", message))
}

/// Starts the listener if `--phone-lan` asks for it.
pub fn start(app: &AppHandle, args: &[String]) -> PhoneLan {
    let env = std::env::var("PORTCULLIS_PHONE_LAN").ok();
    let addr = match Asked::from_args(args, env.as_deref()) {
        Asked::Off => return PhoneLan::Off,
        Asked::Bad(message) => return failed(message),
        Asked::At(addr) => addr,
    };
    if let Err(e) = lan_phone::check_address(&addr) {
        return failed(e.message);
    }
    let listener = match std::net::TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => return failed(format!("listening on {addr}: {e}")),
    };
    let local = match listener
        .set_nonblocking(true)
        .and_then(|()| listener.local_addr())
    {
        Ok(local) => local,
        Err(e) => return failed(format!("listening on {addr}: {e}")),
    };
    let for_client = app.clone();
    let for_locale = app.clone();
    let lan = LanPhone::new(
        local,
        Arc::new(move || for_client.state::<Line>().client()),
        Arc::new(move || {
            let locale = for_locale.state::<Current>().get();
            serde_json::to_value(locale)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_else(|| "en".to_owned())
        }),
        tauri::async_runtime::handle().inner().clone(),
    );
    let for_kiosk = app.clone();
    lan.on_visit(Box::new(move |visit| {
        if let Some(kiosk) = for_kiosk.try_state::<Kiosk>() {
            match visit {
                Visit::Paired => kiosk.phone_paired(),
                Visit::Acted => kiosk.touch(),
            }
        }
    }));
    let router = lan_phone::router(lan.clone());
    tauri::async_runtime::spawn(async move {
        match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => lan_phone::serve(listener, router).await,
            Err(e) => tracing::error!(%e, "the phone listener could not start"),
        }
    });
    tracing::info!(
        url = lan.base_url(),
        "the phone listener (--phone-lan) is on"
    );
    PhoneLan::Running(lan)
}

/// The login window's panel: `off` (no panel), `failed` (why), `waiting` (the URL and
/// its QR code, as a `data:` image) or `paired`.
#[tauri::command]
pub fn phone_lan_status(lan: State<'_, PhoneLan>) -> LanPhoneStatus {
    match lan.inner() {
        PhoneLan::Off => LanPhoneStatus::off(),
        PhoneLan::Failed(e) => LanPhoneStatus::failed(e.clone()),
        PhoneLan::Running(lan) => {
            let mut status = lan.status();
            status.qr_svg = status.qr_svg.map(|svg| {
                format!(
                    "data:image/svg+xml;base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(svg)
                )
            });
            status
        }
    }
}

/// Reset demo (and the kiosk's idle reset): see [`PhoneLan::reset`].
pub fn reset(app: &AppHandle) {
    if let Some(lan) = app.try_state::<PhoneLan>() {
        lan.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn phone_lan_is_off_unless_asked_and_takes_an_address_and_port() {
        assert_eq!(Asked::from_args(&args(&["app"]), None), Asked::Off);
        assert_eq!(Asked::from_args(&args(&["app"]), Some("")), Asked::Off);
        assert_eq!(
            Asked::from_args(&args(&["app", "--phone-lan", "127.0.0.2:0"]), None),
            Asked::At("127.0.0.2:0".parse().unwrap())
        );
        assert_eq!(
            Asked::from_args(
                &args(&["app", "--phone-lan=192.168.1.20:8377"]),
                Some("10.0.0.1:1")
            ),
            Asked::At("192.168.1.20:8377".parse().unwrap()),
            "the flag wins over the environment"
        );
        assert_eq!(
            Asked::from_args(&args(&["app"]), Some("[::1]:8377")),
            Asked::At("[::1]:8377".parse().unwrap())
        );
        for bad in ["8377", "phone.local:8377", "192.168.1.20", ""] {
            assert!(
                matches!(
                    Asked::from_args(&args(&["app", "--phone-lan", bad]), None),
                    Asked::Bad(_)
                ),
                "{bad:?}"
            );
        }
    }
}
