//! A real browser for pages the app serves to a visitor's phone (`--phone-lan`):
//! headless Chromium through chromedriver (Debian's `chromium` and `chromium-driver`),
//! a fresh profile each time, a phone-sized window. It has the [`Desktop`] helpers
//! (find, click, type, waits, [`Desktop::assert_accessible`] with axe-core). A failing
//! test leaves the desktop's screenshot (the app's windows), not the headless page's:
//! [`Browser::screenshot`] saves that on demand.
//!
//! `PORTCULLIS_CHROMIUM` and `PORTCULLIS_CHROMEDRIVER` name other binaries.

use crate::desktop::{failures_dir, free_port, Desktop, DEADLINE};
use fantoccini::ClientBuilder;
use std::ops::Deref;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

pub struct Browser {
    page: Option<Desktop>,
    _profile: tempfile::TempDir,
}

impl Deref for Browser {
    type Target = Desktop;
    fn deref(&self) -> &Desktop {
        self.page.as_ref().expect("the browser is open")
    }
}

impl Browser {
    /// Starts chromedriver on a free port and a headless Chromium session.
    pub async fn start() -> Browser {
        let chromium = std::env::var("PORTCULLIS_CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
        let chromedriver =
            std::env::var("PORTCULLIS_CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.into());
        let profile = tempfile::tempdir().expect("a browser profile folder");
        let port = free_port();
        let mut driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("start {chromedriver} (apt-get install chromium chromium-driver): {e}")
            });
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if start.elapsed() > DEADLINE {
                let _ = driver.kill();
                panic!("chromedriver did not listen on {port}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Root in a container needs --no-sandbox; the rest keeps Chromium from calling
        // home during a test.
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--window-size=412,915".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": chromium, "args": args }),
        );
        let client = match ClientBuilder::native()
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(client) => client,
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!("a Chromium session through chromedriver: {e}");
            }
        };
        Browser {
            page: Some(Desktop::for_session(client, driver).await),
            _profile: profile,
        }
    }

    /// Opens `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The page's address now.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    /// Saves the page as the browser shows it as `<failures dir>/name`.
    pub async fn screenshot(&self, name: &str) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::create_dir_all(failures_dir());
            let _ = std::fs::write(failures_dir().join(name), png);
        }
    }

    /// Ends the session (Chromium quits) and stops chromedriver.
    pub async fn quit(mut self) {
        if let Some(page) = self.page.take() {
            page.quit().await;
        }
    }
}
