//! Shared helpers for Portcullis's end-to-end tests: the real `mock-broker` process on
//! port 0 with a temporary state folder (killed on drop), and a small HTTP client.
//!
//! The binaries come from the workspace's target folder: run `cargo build --workspace`
//! first (the README's test command does).

pub mod desktop;
pub mod phone;

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The folder holding the workspace's binaries: the test binary lives in `deps/` below it.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("deps folder");
    deps.parent().expect("profile folder").to_path_buf()
}

pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` before the tests",
        path.display()
    );
    path
}

/// A running broker. Its state folder outlives restarts and is removed on drop.
pub struct Broker {
    child: Option<Child>,
    pub url: String,
    /// Holds the state folder, which the broker itself creates (`state/` inside).
    state: tempfile::TempDir,
    options: BrokerOptions,
    pub qa: bool,
    pub http: reqwest::Client,
}

/// The environment variable a `--qa` broker reads its QA token from.
pub const QA_TOKEN_ENV: &str = "MOCK_BROKER_QA_TOKEN";

/// How to start a broker beyond the defaults: the scenario, `--qa`, more flags, more
/// environment, and a lower soft descriptor limit for the child.
#[derive(Debug, Clone, Default)]
pub struct BrokerOptions {
    pub scenario: Option<PathBuf>,
    pub qa: bool,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Starts the broker under `ulimit -Sn N` (the hard limit unchanged).
    pub soft_nofile: Option<u64>,
}

impl BrokerOptions {
    /// The demo scenario with QA controls on.
    pub fn qa() -> BrokerOptions {
        BrokerOptions {
            qa: true,
            ..BrokerOptions::default()
        }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> BrokerOptions {
        self.args.push(arg.into());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> BrokerOptions {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn soft_nofile(mut self, limit: u64) -> BrokerOptions {
        self.soft_nofile = Some(limit);
        self
    }

    pub async fn start(self) -> Broker {
        Broker::start_opts(self).await
    }
}

impl Broker {
    /// The demo scenario, QA controls on.
    pub async fn start() -> Broker {
        Broker::start_with(None, true).await
    }

    pub async fn start_with(scenario: Option<&Path>, qa: bool) -> Broker {
        Broker::start_opts(BrokerOptions {
            scenario: scenario.map(Path::to_path_buf),
            qa,
            ..BrokerOptions::default()
        })
        .await
    }

    pub async fn start_opts(options: BrokerOptions) -> Broker {
        let state = tempfile::tempdir().expect("state folder");
        // A broker with a QA token gets it on every request of `http`, as the app does.
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some((_, token)) = options.env.iter().find(|(k, _)| k == QA_TOKEN_ENV) {
            headers.insert("x-qa-token", token.parse().expect("token header"));
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .expect("client");
        let mut broker = Broker {
            child: None,
            url: String::new(),
            state,
            qa: options.qa,
            options,
            http,
        };
        broker.spawn();
        broker
    }

    /// The broker's state folder (the broker creates it on first start).
    pub fn state_dir(&self) -> PathBuf {
        self.state.path().join("state")
    }

    /// The broker process's id (for `/proc/PID/status`).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running broker").id()
    }

    /// The broker's resident memory in KiB (`VmRSS` of `/proc/PID/status`; Linux).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("/proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    fn spawn(&mut self) {
        let mut cmd = match self.options.soft_nofile {
            // The shell lowers its own soft limit, then becomes the broker (same pid).
            Some(limit) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("ulimit -Sn {limit} && exec \"$0\" \"$@\""))
                    .arg(binary("mock-broker"));
                sh
            }
            None => Command::new(binary("mock-broker")),
        };
        cmd.args(["serve", "--addr", "127.0.0.1:0", "--state"])
            .arg(self.state_dir());
        if let Some(s) = &self.options.scenario {
            cmd.arg("--scenario").arg(s);
        }
        if self.options.qa {
            cmd.arg("--qa");
        }
        cmd.args(&self.options.args);
        for (key, value) in &self.options.env {
            cmd.env(key, value);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn mock-broker");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the listening line");
        self.url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        self.child = Some(child);
    }

    /// `kill -9`, then start again on the same state folder.
    pub fn kill_and_restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the broker");
            child.wait().expect("reap the broker");
        }
        self.spawn();
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Sends any bytes. On a connection of its own: a refused body may close it.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        let resp = client
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("GET");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn login(&self, username: &str, password: &str) -> (u16, Value) {
        self.post(
            "/v1/login",
            json!({ "username": username, "password": password }),
        )
        .await
    }

    pub async fn respond(&self, ticket: &str, response: &str) -> (u16, Value) {
        self.post(
            "/v1/login/response",
            json!({ "ticket": ticket, "response": response }),
        )
        .await
    }

    /// `GET /v1/session` with the token, as the desktop app asks it.
    pub async fn session(&self, token: &str) -> (u16, Value) {
        let resp = self
            .http
            .get(format!("{}/v1/session", self.url))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET session");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn logout(&self, token: &str) -> u16 {
        let resp = self
            .http
            .post(format!("{}/v1/logout", self.url))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await
            .expect("POST logout");
        resp.status().as_u16()
    }

    pub async fn advance(&self, seconds: i64) -> Value {
        let (status, body) = self
            .post("/qa/clock/advance", json!({ "seconds": seconds }))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn lockout(&self, username: &str) -> Value {
        let (status, body) = self.get(&format!("/qa/users/{username}/lockout")).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn audit(&self) -> Vec<Value> {
        let (_, body) = self.get("/qa/audit?limit=10000").await;
        body["events"].as_array().cloned().unwrap_or_default()
    }

    /// What the card shows for `challenge`: the device's key from the QA provisioning
    /// endpoint, the PIN as typed, and the OCRA suite of C3.
    pub async fn card_response(&self, device_id: &str, pin: &str, challenge: &str) -> String {
        let (status, p) = self
            .post(&format!("/qa/devices/{device_id}/provision"), json!({}))
            .await;
        assert_eq!(status, 200, "{p}");
        dsc_plus_response(p["secret_hex"].as_str().expect("secret"), pin, challenge)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// C3: the DSC+ response, computed independently of the broker.
pub fn dsc_plus_response(key_hex: &str, pin: &str, challenge: &str) -> String {
    let suite: ocra::Suite = "OCRA-1:HOTP-SHA256-8:QN06-PSHA1".parse().expect("suite");
    ocra::compute(
        &suite,
        &hex::decode(key_hex).expect("hex key"),
        &ocra::DataInput {
            question: challenge,
            pin_hash: Some(ocra::hash_pin(ocra::HashAlgorithm::Sha1, pin)),
            ..ocra::DataInput::default()
        },
    )
    .expect("ocra")
}

/// Polls `check` until it returns Some, or panics with `what` after `deadline`.
pub async fn eventually<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            start.elapsed() < deadline,
            "timed out after {deadline:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
