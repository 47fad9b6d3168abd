//! Driving the real Portcullis app through tauri-driver and WebKitWebDriver.
//!
//! Each `Desktop` starts its own tauri-driver on free ports (or on
//! `PORTCULLIS_DRIVER_PORT` and the port after it, when set) and a WebDriver session
//! for the app binary, pointed at a broker with `--broker-url`. Waits are for
//! conditions with deadlines, never for fixed times. Run inside a desktop session
//! (`scripts/with-desktop.sh`): Xvfb, D-Bus, keyring, notifications.
//!
//! Accessibility (issue 12): [`Desktop::assert_accessible`] runs axe-core in the
//! current window and fails on any serious or critical violation; [`Desktop::keys`]
//! and [`Desktop::tab_to`] drive a window by keyboard alone, to wherever focus is.

mod a11y;

pub use a11y::{key, Direction, AXE_VERSION};

use crate::binary;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Long enough for a cold WebKit start on a loaded 2-core machine.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// How often a wait looks at the page again.
pub const POLL: Duration = Duration::from_millis(50);

/// How long a wait goes at most without asking WebDriver itself (see
/// [`Desktop::wait_for`]).
pub const RECHECK: Duration = Duration::from_secs(1);

/// An element as one script sees it: its text (`innerText`, trimmed), the attribute
/// asked for (a field's current value for `value`), whether it takes up space and is
/// not hidden, and its DOM text.
const GLANCE: &str = r#"
const e = document.querySelector(arguments[0]);
if (!e) return null;
const name = arguments[1];
const style = getComputedStyle(e);
return {
  text: (e.innerText || "").trim(),
  attr: name === null ? null : (name === "value" && "value" in e ? String(e.value) : e.getAttribute(name)),
  shown: e.getClientRects().length > 0 && style.visibility !== "hidden",
  dom: e.textContent,
};
"#;

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Glance {
    text: String,
    attr: Option<String>,
    shown: bool,
    dom: Option<String>,
}

pub struct Desktop {
    pub client: Client,
    driver: Child,
    pub login_window: fantoccini::wd::WindowHandle,
    /// A failing test leaves a picture of the screen (not for a headless browser).
    screenshot_on_failure: bool,
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

impl Desktop {
    /// Starts the app against `broker` (its login window first).
    pub async fn for_broker(broker: &crate::Broker) -> Desktop {
        Desktop::start(&["--broker-url", &broker.url]).await
    }

    /// Starts the app with `args` (e.g. `["--broker-url", url]`).
    pub async fn start(args: &[&str]) -> Desktop {
        Desktop::start_with_env(args, &[]).await
    }

    /// Starts the app with `args` and these environment variables besides the test's
    /// (e.g. `PORTCULLIS_SAVE_DIR`): they are given to tauri-driver, whose WebDriver
    /// starts the app.
    pub async fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Desktop {
        let started = Instant::now();
        // Each test starts with a phone that is not set up (its identity is keyring data).
        let _ = Command::new("secret-tool")
            .args([
                "clear",
                "service",
                "portcullis.phone",
                "username",
                "identity",
            ])
            .status();
        // The driver's ports are picked free, then bound by tauri-driver and
        // WebKitWebDriver a moment later; a broker starting meanwhile on port 0 can take
        // one, and the session request then fails before the app starts. That is the
        // test rig, not the app: try again with a new driver on new ports, twice at most.
        let mut attempt = 1;
        let (client, driver) = loop {
            let mut driver = spawn_driver(env);
            match connect_app(driver.port, args).await {
                Ok(client) => break (client, driver.child),
                Err(e) if attempt < 3 => {
                    eprintln!("WebDriver session, attempt {attempt}: {e}; trying again");
                    stop(&mut driver.child);
                    attempt += 1;
                }
                Err(e) => {
                    stop(&mut driver.child);
                    panic!("WebDriver session with the app: {e}");
                }
            }
        };
        let login_window = client.window().await.expect("login window handle");
        crate::timing("app start", started);
        Desktop {
            client,
            driver,
            login_window,
            screenshot_on_failure: true,
        }
    }

    /// Another WebDriver session (a headless browser, [`crate::browser`]) with the same
    /// helpers: `driver` is stopped with it.
    pub(crate) async fn for_session(client: Client, driver: Child) -> Desktop {
        let login_window = client.window().await.expect("window handle");
        Desktop {
            client,
            driver,
            login_window,
            screenshot_on_failure: false,
        }
    }

    /// How many elements have `id` now (no wait): 0 proves a control is not offered.
    pub async fn count(&self, id: &str) -> usize {
        self.client
            .find_all(Locator::Css(&testid(id)))
            .await
            .map_or(0, |found| found.len())
    }

    /// Whether `id` is in the page and displayed now (no wait).
    pub async fn displayed(&self, id: &str) -> bool {
        match self.client.find(Locator::Css(&testid(id))).await {
            Ok(el) => el.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Waits until `id` is gone or hidden; `why` names what would be wrong otherwise.
    pub async fn wait_hidden(&self, id: &str, why: &str) {
        let start = Instant::now();
        while self.displayed(id).await {
            assert!(start.elapsed() < DEADLINE, "{id} still shown: {why}");
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn find(&self, id: &str) -> Element {
        self.client
            .wait()
            .at_most(DEADLINE)
            .every(POLL)
            .for_element(Locator::Css(&testid(id)))
            .await
            .unwrap_or_else(|e| panic!("element {id}: {e}"))
    }

    /// Clicks `id` once it can take the click: a page that redraws (the account home's
    /// refreshes) may move or replace it between finding and clicking, so a click that
    /// lands on a stale, covered or out-of-view element is tried again, the element
    /// scrolled into view, until the deadline.
    pub async fn click(&self, id: &str) {
        let start = Instant::now();
        loop {
            let element = self.find(id).await;
            let _ = self
                .client
                .execute(
                    "arguments[0].scrollIntoView({block: 'nearest'})",
                    vec![serde_json::to_value(&element).unwrap_or_default()],
                )
                .await;
            match element.click().await {
                Ok(()) => return,
                Err(e) if retryable(&e) && start.elapsed() < DEADLINE => {
                    tokio::time::sleep(POLL).await;
                }
                Err(e) => panic!("click {id}: {e}"),
            }
        }
    }

    /// Clicks a control whose effect closes its own window (the session ends, the
    /// window goes): WebDriver may lose the window before it answers the click, which
    /// is then no error. The test checks the outcome in another window.
    pub async fn click_closing(&self, id: &str) {
        let _ = self.find(id).await.click().await;
    }

    pub async fn type_into(&self, id: &str, text: &str) {
        let el = self.find(id).await;
        el.clear()
            .await
            .unwrap_or_else(|e| panic!("clear {id}: {e}"));
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {id}: {e}"));
    }

    /// Waits until `check` accepts the element's (text, attribute `attr`) and returns the text.
    ///
    /// What is accepted is what WebDriver reports (the element's rendered text, the
    /// attribute, whether it is displayed): four requests. While the element is not
    /// there yet, or not as wanted, the page is watched every [`POLL`] with one script
    /// instead (its text, the attribute, whether it shows), and WebDriver is asked again
    /// as soon as that glance looks right or changes, and at least every [`RECHECK`]
    /// whatever the glance says — so a glance that reads the page differently from
    /// WebDriver costs time, never a verdict.
    pub async fn wait_for(
        &self,
        id: &str,
        attr: Option<&str>,
        what: &str,
        check: impl Fn(&str, Option<&str>) -> bool,
    ) -> String {
        self.wait_for_within(DEADLINE, id, attr, what, check).await
    }

    /// [`Desktop::wait_for`] with its own deadline instead of [`DEADLINE`]: for a bound
    /// the app must keep (a message "within 2 s"), counted from the call.
    pub async fn wait_for_within(
        &self,
        deadline: Duration,
        id: &str,
        attr: Option<&str>,
        what: &str,
        check: impl Fn(&str, Option<&str>) -> bool,
    ) -> String {
        let start = Instant::now();
        let mut last = String::new();
        let mut glanced: Option<Glance> = None;
        loop {
            if let Some(text) = self.confirm(id, attr, &check, &mut last).await {
                return text;
            }
            let asked = Instant::now();
            loop {
                assert!(
                    start.elapsed() < deadline,
                    "timed out after {deadline:?} waiting for {id} to {what}; last seen: {last}; glance: {glanced:?}"
                );
                tokio::time::sleep(POLL).await;
                let now = self.glance(id, attr).await;
                let likely = now
                    .as_ref()
                    .is_some_and(|g| g.shown && check(&g.text, g.attr.as_deref()));
                let changed = glanced.is_some() && now != glanced;
                glanced = now;
                if likely || changed || asked.elapsed() >= RECHECK {
                    break;
                }
            }
        }
    }

    /// WebDriver's view of `id`: its text when it is displayed and `check` accepts it.
    async fn confirm(
        &self,
        id: &str,
        attr: Option<&str>,
        check: &impl Fn(&str, Option<&str>) -> bool,
        last: &mut String,
    ) -> Option<String> {
        let el = self.client.find(Locator::Css(&testid(id))).await.ok()?;
        let text = el.text().await.unwrap_or_default();
        let value = match attr {
            Some(a) => el.attr(a).await.ok().flatten(),
            None => None,
        };
        let shown = el.is_displayed().await.unwrap_or(false);
        if shown && check(&text, value.as_deref()) {
            return Some(text);
        }
        *last = format!("text {text:?}, {attr:?} = {value:?}, displayed {shown}");
        None
    }

    /// One script's look at `id`: None when it is not in the page.
    async fn glance(&self, id: &str, attr: Option<&str>) -> Option<Glance> {
        let seen = self
            .client
            .execute(
                GLANCE,
                vec![serde_json::json!(testid(id)), serde_json::json!(attr)],
            )
            .await
            .ok()?;
        serde_json::from_value(seen).ok()
    }

    pub async fn wait_text(&self, id: &str, what: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_for(id, None, what, |text, _| check(text)).await
    }

    pub async fn wait_attr(&self, id: &str, attr: &str, value: &str) {
        self.wait_for(id, Some(attr), &format!("have {attr}={value}"), |_, v| {
            v == Some(value)
        })
        .await;
    }

    /// Switches to the window whose page is `page` (e.g. "card.html"), waiting for it.
    pub async fn switch_to_page(&self, page: &str) {
        let start = Instant::now();
        if let Ok(url) = self.client.current_url().await {
            if url.path().ends_with(page) {
                return;
            }
        }
        loop {
            for handle in self.client.windows().await.unwrap_or_default() {
                if self.client.switch_to_window(handle).await.is_ok() {
                    if let Ok(url) = self.client.current_url().await {
                        if url.path().ends_with(page) {
                            return;
                        }
                    }
                }
            }
            assert!(start.elapsed() < DEADLINE, "no window shows {page}");
            tokio::time::sleep(POLL).await;
        }
    }

    pub async fn switch_to_login(&self) {
        self.client
            .switch_to_window(self.login_window.clone())
            .await
            .expect("back to the login window");
    }

    /// Ends the WebDriver session (closing the app) and stops tauri-driver.
    pub async fn quit(mut self) {
        let started = Instant::now();
        let _ = self.client.clone().close().await;
        stop(&mut self.driver);
        crate::timing("app quit", started);
    }
}

fn stop(driver: &mut Child) {
    // SIGTERM lets tauri-driver stop WebKitWebDriver too; SIGKILL would orphan it.
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(driver.id().to_string())
        .status();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if let Ok(Some(_)) = driver.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = driver.kill();
    let _ = driver.wait();
}

/// A running tauri-driver and the port it serves WebDriver on.
struct Driver {
    child: Child,
    port: u16,
}

fn spawn_driver(env: &[(&str, &str)]) -> Driver {
    // Another suite on this machine may hold a fixed port of its own choosing.
    let (port, native_port) = match std::env::var("PORTCULLIS_DRIVER_PORT")
        .ok()
        .and_then(|p| p.parse::<u16>().ok())
    {
        Some(port) => (port, port + 1),
        None => (free_port(), free_port()),
    };
    let driver_bin = std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into());
    let child = Command::new(&driver_bin)
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("start {driver_bin} (cargo install tauri-driver --locked): {e}")
        });
    Driver { child, port }
}

/// Waits for the driver to listen, then opens a session that starts the app.
async fn connect_app(port: u16, args: &[&str]) -> Result<Client, String> {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if start.elapsed() > DEADLINE {
            return Err(format!("tauri-driver did not listen on {port}"));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let app = binary("portcullis");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "tauri:options".into(),
        serde_json::json!({ "application": app, "args": args }),
    );
    ClientBuilder::native()
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .map_err(|e| e.to_string())
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // A failing test leaves a picture of the desktop as it was.
        if std::thread::panicking() && self.screenshot_on_failure {
            if let Some(path) = failure_screenshot() {
                eprintln!(
                    "---- the desktop when the test failed: {} ----",
                    path.display()
                );
            }
        }
        if let Ok(None) = self.driver.try_wait() {
            stop(&mut self.driver);
        }
    }
}

/// What the desktop keyring (Secret Service) holds for `service`/`user`, read with
/// `secret-tool` — the same store the app writes through the keyring crate.
pub fn keyring_lookup(service: &str, user: &str) -> Option<String> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", user])
        .output()
        .ok()?;
    let value = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !value.is_empty()).then_some(value)
}

/// A click that may land once the page settles: the element went stale, is covered,
/// or is not yet interactable.
fn retryable(e: &fantoccini::error::CmdError) -> bool {
    use fantoccini::error::ErrorStatus;
    matches!(
        e,
        fantoccini::error::CmdError::Standard(w)
            if matches!(
                w.error,
                ErrorStatus::StaleElementReference
                    | ErrorStatus::ElementNotInteractable
                    | ErrorStatus::ElementClickIntercepted
            )
    )
}

/// The folder failure screenshots go to: `PORTCULLIS_FAILURES`, or
/// `portcullis-failures` in the system's temporary folder.
pub fn failures_dir() -> std::path::PathBuf {
    std::env::var_os("PORTCULLIS_FAILURES")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("portcullis-failures"))
}

/// Saves the whole (virtual) screen as `<failures dir>/<test name>.png`: the test's
/// thread carries its name.
fn failure_screenshot() -> Option<std::path::PathBuf> {
    let dir = failures_dir();
    std::fs::create_dir_all(&dir).ok()?;
    // libtest names a test's thread after the test, except with one test thread.
    let name = match std::thread::current().name() {
        Some(name) if name != "main" => name.replace("::", "-"),
        _ => format!(
            "test-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
        ),
    };
    let path = dir.join(format!("{name}.png"));
    let saved = Command::new("import")
        .args(["-window", "root"])
        .arg(&path)
        .stderr(Stdio::null())
        .status()
        .ok()?;
    saved.success().then_some(path)
}

/// With `PORTCULLIS_SCREENSHOTS=DIR`, saves the whole (virtual) screen as `DIR/name`:
/// the README's pictures. Not a test condition: only the picture waits for X to
/// finish painting.
pub fn screenshot(name: &str) {
    let Ok(dir) = std::env::var("PORTCULLIS_SCREENSHOTS") else {
        return;
    };
    std::thread::sleep(Duration::from_millis(1500));
    let _ = Command::new("import")
        .args(["-window", "root"])
        .arg(std::path::Path::new(&dir).join(name))
        .status();
}

/// The `data-testid` of the element that has focus in the current window.
pub async fn focused_testid(app: &Desktop) -> Option<String> {
    app.client
        .execute(
            "const e = document.activeElement; return e && e.dataset ? (e.dataset.testid || null) : null",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
}

/// How many notifications the session's dunst holds open (shown or queued).
pub fn notifications_open() -> u32 {
    ["displayed", "waiting"]
        .iter()
        .map(|what| {
            Command::new("dunstctl")
                .args(["count", what])
                .output()
                .ok()
                .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
                .unwrap_or(0)
        })
        .sum()
}

/// The summaries and bodies of the notifications dunst has closed, the newest first
/// (`dunstctl history`); `dunstctl close-all` first puts the open ones there.
pub fn notification_history() -> Vec<(String, String)> {
    let Ok(out) = Command::new("dunstctl").arg("history").output() else {
        return Vec::new();
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        return Vec::new();
    };
    let field =
        |n: &serde_json::Value, name: &str| n[name]["data"].as_str().unwrap_or_default().to_owned();
    json["data"]
        .as_array()
        .and_then(|groups| groups.first())
        .and_then(|list| list.as_array())
        .map(|list| {
            list.iter()
                .map(|n| (field(n, "summary"), field(n, "body")))
                .collect()
        })
        .unwrap_or_default()
}

/// The native titles of the display's windows (X11 `WM_NAME`, as `xwininfo -root
/// -tree` lists them; x11-utils), not a page's `<title>`.
pub fn window_titles() -> Vec<String> {
    let Ok(out) = Command::new("xwininfo").args(["-root", "-tree"]).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let (_, rest) = line.split_once(" \"")?;
            let (name, _) = rest.split_once("\": ")?;
            Some(name.to_owned())
        })
        .collect()
}

/// How a [`FlakyLine`] treats connections.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LineMode {
    /// Everything goes through.
    Pass,
    /// The broker is gone: connections are closed at once, open ones cut.
    Down,
    /// The broker hangs: connections are accepted and nothing comes back.
    Frozen,
}

/// A TCP relay between the app and a broker, to lose or freeze the broker without
/// touching it (issue 6, item 13). Its URL stays the same throughout.
pub struct FlakyLine {
    pub url: String,
    mode: tokio::sync::watch::Sender<LineMode>,
}

impl FlakyLine {
    pub async fn start(broker_url: &str) -> FlakyLine {
        let target = broker_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("relay port");
        let url = format!("http://{}", listener.local_addr().expect("relay addr"));
        let (mode, watch) = tokio::sync::watch::channel(LineMode::Pass);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                let mut watch = watch.clone();
                let target = target.clone();
                tokio::spawn(async move {
                    let now = *watch.borrow_and_update();
                    match now {
                        LineMode::Down => drop(inbound),
                        LineMode::Frozen => {
                            // Hold it, silent, until the mode changes.
                            let _ = watch.changed().await;
                            drop(inbound);
                        }
                        LineMode::Pass => {
                            let Ok(outbound) = tokio::net::TcpStream::connect(&target).await else {
                                return;
                            };
                            relay(inbound, outbound, watch).await;
                        }
                    }
                });
            }
        });
        FlakyLine { url, mode }
    }

    pub fn set(&self, mode: LineMode) {
        let _ = self.mode.send(mode);
    }
}

/// Copies both ways until either side closes; a change to `Down` cuts it, a change
/// to `Frozen` stops copying but keeps both sockets open until the next change.
async fn relay(
    mut inbound: tokio::net::TcpStream,
    mut outbound: tokio::net::TcpStream,
    mut watch: tokio::sync::watch::Receiver<LineMode>,
) {
    loop {
        let changed = tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => return,
            changed = watch.changed() => changed,
        };
        if changed.is_err() {
            return;
        }
        let mode = *watch.borrow_and_update();
        match mode {
            LineMode::Pass => continue,
            LineMode::Down => return,
            LineMode::Frozen => {
                let _ = watch.changed().await;
                return;
            }
        }
    }
}
