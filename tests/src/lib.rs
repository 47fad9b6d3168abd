//! The Portcullis test kit, for this project's end-to-end tests and for anyone else's:
//! the real `mock-broker` process on port 0 with a temporary state folder and a
//! scenario (killed on drop) or the same broker in-process ([`Broker::in_process`]),
//! a small HTTP client that decodes into `portcullis_api` types, the real app under
//! tauri-driver ([`desktop::Desktop`]) with page helpers for every screen
//! ([`pages`]), a headless Chromium for pages served to a phone ([`browser`]), and
//! waits with deadlines. A failing test leaves a screenshot of the
//! desktop (UI tests) and prints the broker's last audit events.
//!
//! Every answer the client receives is checked against the broker's own OpenAPI
//! document (`contract`), fetched once per broker: a body the document does not allow
//! fails the test that received it.
//!
//! The binaries come from the workspace's target folder: run `cargo build --workspace`
//! first (the README's test command does). A project of its own points
//! `PORTCULLIS_BIN_DIR` at the folder holding `mock-broker` and `portcullis`.

pub mod browser;
pub mod contract;
pub mod desktop;
pub mod pages;
pub mod phone;

use contract::Contract;
use portcullis_api::{
    ActivationStep, AuditEvent, AuditLog, ClockInfo, CodeSent, DeviceChoice, DeviceProvision,
    ErrorBody, ErrorCode, JournalPage, LockoutInfo, LoggedOut, LoginRequest, LoginStep, NewSession,
    PushWait, ResponseRequest, SecondFactor, SessionInfo, SessionOpened, VerifyDevice,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The environment variable naming the folder that holds `mock-broker` and
/// `portcullis`, for a project whose target folder is not Portcullis's.
pub const BIN_DIR_ENV: &str = "PORTCULLIS_BIN_DIR";

/// The folder holding the workspace's binaries: `PORTCULLIS_BIN_DIR`, or the test
/// binary's own profile folder (it lives in `deps/` below it).
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(BIN_DIR_ENV) {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let deps = exe.parent().expect("deps folder");
    deps.parent().expect("profile folder").to_path_buf()
}

pub fn binary(name: &str) -> PathBuf {
    let path = bin_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build --workspace` before the tests, or set \
         {BIN_DIR_ENV} to the folder that holds it",
        path.display()
    );
    path
}

/// A running broker. Its state folder outlives restarts and is removed on drop.
pub struct Broker {
    child: Option<Child>,
    /// An in-process broker's server: stopped on drop.
    in_process: Option<tokio::sync::oneshot::Sender<()>>,
    pub url: String,
    /// Holds the state folder, which the broker itself creates (`state/` inside).
    state: tempfile::TempDir,
    options: BrokerOptions,
    pub qa: bool,
    pub http: reqwest::Client,
    /// The broker's OpenAPI document, fetched on first use.
    contract: tokio::sync::OnceCell<std::sync::Arc<Contract>>,
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

    /// `--seed N` (tests only): the codes people read repeat for the same requests,
    /// and again after each reset; tokens stay random. Needs `qa`.
    pub fn seed(self, seed: u64) -> BrokerOptions {
        self.arg("--seed").arg(seed.to_string())
    }

    /// Argon2id at its lightest (8 KiB, one pass) instead of the default 7 MiB and five
    /// passes. Every start and every reset hashes each scenario user's password: at the
    /// default cost that is about a second of a debug build on two cores, spent before
    /// each UI test. For tests of something other than hashing cost (the broker's own
    /// tests keep the default); logins verify the same way, against cheaper hashes.
    pub fn light_hashing(self) -> BrokerOptions {
        self.arg("--argon2-memory-kib")
            .arg("8")
            .arg("--argon2-iterations")
            .arg("1")
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

    /// The demo scenario, QA controls on, passwords hashed at Argon2id's lightest
    /// ([`BrokerOptions::light_hashing`]): for UI tests, which drive the app and do not
    /// measure the broker's hashing cost.
    pub async fn start_for_ui() -> Broker {
        BrokerOptions::qa().light_hashing().start().await
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
        let started = Instant::now();
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
            in_process: None,
            url: String::new(),
            state,
            qa: options.qa,
            options,
            http,
            contract: tokio::sync::OnceCell::new(),
        };
        broker.spawn();
        if broker.qa {
            broker.start_at_midday().await;
        }
        timing("broker start", started);
        broker
    }

    /// Sessions end every day at the scenario's daily end (23:45 UTC by default), so a
    /// test that happened to run across it would see its session end. A broker with QA
    /// controls starts its simulated clock at noon UTC tomorrow — inside a day whatever
    /// the real time, and ahead of it, so the clock never runs backwards; a test that
    /// needs another time sets it.
    async fn start_at_midday(&self) {
        const DAY: i64 = 86_400;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs();
        let now = i64::try_from(now).expect("seconds fit");
        let midday = (now.div_euclid(DAY) + 1) * DAY + DAY / 2;
        let _: ClockInfo = self
            .post_as("/qa/clock/set", &json!({ "unix_seconds": midday }))
            .await
            .ok();
    }

    /// The demo scenario (or `scenario`), QA controls on, served in this process on a
    /// loopback port: the same HTTP API as the process, for broker-only tests that want
    /// no process to start (no `mock-broker` binary needed). Its store is in memory, so
    /// [`Broker::kill_and_restart`], [`Broker::kill_hard`], [`Broker::restart`] and
    /// [`Broker::pid`] do not apply. Needs a multi-threaded tokio runtime
    /// (`#[tokio::test(flavor = "multi_thread")]`).
    pub async fn in_process(scenario: Option<&Path>) -> Broker {
        use mock_broker::broker::Broker as Rules;
        use mock_broker::password::Argon2Settings;
        use mock_broker::scenario::Scenario;
        use mock_broker::server::{run, AppState};
        let scenario = match scenario {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|text| Scenario::parse(&text).map_err(|e| e.to_string()))
                .unwrap_or_else(|e| panic!("scenario {}: {e}", path.display())),
            None => Scenario::demo(),
        };
        let rules = Rules::open(None, scenario, Argon2Settings::default())
            .expect("an in-memory broker opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(std::sync::Arc::new(rules), true);
        tokio::spawn(async move {
            let _ = run(listener, state, async {
                let _ = stopped.await;
            })
            .await;
        });
        let broker = Broker {
            child: None,
            in_process: Some(stop),
            url,
            state: tempfile::tempdir().expect("state folder"),
            qa: true,
            options: BrokerOptions::qa(),
            http: reqwest::Client::new(),
            contract: tokio::sync::OnceCell::new(),
        };
        broker.start_at_midday().await;
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
        self.spawn_on("127.0.0.1:0");
    }

    /// Starts the process listening on `addr`; `url` becomes the address it reports.
    fn spawn_on(&mut self, addr: &str) {
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
        cmd.args(["serve", "--addr", addr, "--state"])
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
            .unwrap_or_else(|| panic!("unexpected first line {line:?} (listening on {addr})"))
            .to_owned();
        self.child = Some(child);
    }

    /// `kill -9`, then start again on the same state folder.
    pub fn kill_and_restart(&mut self) {
        self.kill_hard();
        self.restart();
    }

    /// `kill -9` the broker process (SIGKILL: no handler runs, nothing is flushed) and
    /// reap it; requests in flight get a broken connection. The state folder stays, for
    /// [`Broker::restart`] or for reading the SQLite file itself
    /// (`state_dir()/broker.sqlite3`). Does nothing when the broker is not running; an
    /// in-process broker is not a process and cannot be killed.
    pub fn kill_hard(&mut self) {
        assert!(
            self.in_process.is_none(),
            "an in-process broker cannot be killed"
        );
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the broker");
            child.wait().expect("reap the broker");
        }
    }

    /// Starts the process again on the same state folder, with the same options, after
    /// [`Broker::kill_hard`]; `url` is the new port's. Panics if it is still running.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the broker is still running");
        self.spawn();
    }

    /// Starts the process again on the same state folder and the same port, after
    /// [`Broker::kill_hard`]: `url` does not change, so a client that knew the broker
    /// (the app, started with `--broker-url`) finds it again as a restarted server
    /// would be found. Panics if it is still running, or if the port was taken meanwhile.
    pub fn restart_at_same_url(&mut self) {
        assert!(self.child.is_none(), "the broker is still running");
        let addr = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        self.spawn_on(&addr);
    }

    /// The broker's OpenAPI document, as a checker (fetched once).
    pub async fn contract(&self) -> std::sync::Arc<Contract> {
        self.contract
            .get_or_init(|| async {
                let resp = self
                    .http
                    .get(format!("{}/openapi.json", self.url))
                    .send()
                    .await
                    .expect("GET /openapi.json");
                assert_eq!(
                    resp.status().as_u16(),
                    200,
                    "the broker serves its document"
                );
                std::sync::Arc::new(Contract::new(
                    resp.json().await.expect("the document is JSON"),
                ))
            })
            .await
            .clone()
    }

    /// Sends a request, checks the answer against the document, and returns it as JSON
    /// (`Null` when it is not JSON).
    pub async fn exchange(
        &self,
        method: &str,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> (u16, Value) {
        let resp = request.send().await.expect("the broker answers");
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.unwrap_or_default();
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        self.contract()
            .await
            .check(method, path, status, body.as_ref());
        (status, body.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let request = self.http.post(format!("{}{path}", self.url)).json(&body);
        self.exchange("POST", path, request).await
    }

    /// Sends any bytes. On a connection of its own: a refused body may close it.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        let request = client
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body);
        self.exchange("POST", path, request).await
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let request = self.http.get(format!("{}{path}", self.url));
        self.exchange("GET", path, request).await
    }

    /// `POST path` with a typed body; the answer checked and decoded.
    pub async fn post_as<T: DeserializeOwned + Serialize>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Reply<T> {
        let (status, body) = self.post(path, json!(body)).await;
        decode(status, body)
    }

    /// `GET path`; the answer checked and decoded.
    pub async fn get_as<T: DeserializeOwned + Serialize>(&self, path: &str) -> Reply<T> {
        let (status, body) = self.get(path).await;
        decode(status, body)
    }

    /// A request with `Authorization: Bearer token`; the answer checked and decoded.
    pub async fn with_bearer<T: DeserializeOwned + Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> Reply<T> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.url))
            .bearer_auth(token);
        if method == reqwest::Method::POST {
            request = request.json(&json!({}));
        }
        let (status, body) = self.exchange(method.as_str(), path, request).await;
        decode(status, body)
    }

    pub async fn login(&self, username: &str, password: &str) -> Reply<LoginStep> {
        self.login_with(&LoginRequest {
            username: username.into(),
            password: password.into(),
            device_id: None,
            channel: Default::default(),
        })
        .await
    }

    pub async fn login_with(&self, request: &LoginRequest) -> Reply<LoginStep> {
        self.post_as("/v1/login", request).await
    }

    pub async fn respond(&self, ticket: &str, response: &str) -> Reply<SessionOpened> {
        self.post_as(
            "/v1/login/response",
            &ResponseRequest {
                ticket: ticket.into(),
                response: response.into(),
            },
        )
        .await
    }

    /// `GET /v1/session` with the token, as the desktop app asks it.
    pub async fn session(&self, token: &str) -> Reply<SessionInfo> {
        self.with_bearer(reqwest::Method::GET, "/v1/session", token)
            .await
    }

    pub async fn logout(&self, token: &str) -> u16 {
        self.with_bearer::<LoggedOut>(reqwest::Method::POST, "/v1/logout", token)
            .await
            .status
    }

    pub async fn advance(&self, seconds: i64) -> ClockInfo {
        self.post_as("/qa/clock/advance", &json!({ "seconds": seconds }))
            .await
            .ok()
    }

    /// The lockout state as JSON, for the UI tests that index it; the broker tests
    /// use [`Broker::lockout_info`].
    pub async fn lockout(&self, username: &str) -> Value {
        json!(self.lockout_info(username).await)
    }

    pub async fn lockout_info(&self, username: &str) -> LockoutInfo {
        self.get_as(&format!("/qa/users/{username}/lockout"))
            .await
            .ok()
    }

    /// The audit log as JSON, for the UI tests that index it; the broker tests use
    /// [`Broker::audit_events`].
    pub async fn audit(&self) -> Vec<Value> {
        self.audit_events().await.iter().map(|e| json!(e)).collect()
    }

    /// The request journal (`GET /qa/journal?QUERY`): what clients asked of the broker,
    /// oldest first — `broker.journal("route=/v1/login/resend").await.entries.is_empty()`
    /// says nobody pressed Send again.
    pub async fn journal(&self, query: &str) -> JournalPage {
        self.get_as::<JournalPage>(&format!("/qa/journal?{query}"))
            .await
            .ok()
    }

    pub async fn audit_events(&self) -> Vec<AuditEvent> {
        self.get_as::<AuditLog>("/qa/audit?limit=10000")
            .await
            .ok()
            .events
    }

    /// What the card shows for `challenge`: the device's key from the QA provisioning
    /// endpoint, the PIN as typed, and the OCRA suite of C3.
    pub async fn card_response(&self, device_id: &str, pin: &str, challenge: &str) -> String {
        let p: DeviceProvision = self
            .post_as(&format!("/qa/devices/{device_id}/provision"), &json!({}))
            .await
            .ok();
        dsc_plus_response(&p.secret_hex, pin, challenge)
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        // A failing test says what the broker saw last.
        if std::thread::panicking() && self.qa {
            let token = self
                .options
                .env
                .iter()
                .find(|(k, _)| k == QA_TOKEN_ENV)
                .map(|(_, v)| v.as_str());
            if let Some(tail) = audit_tail(&self.url, token, 20) {
                eprintln!("---- the broker's last audit events ----\n{tail}");
            }
        }
        if let Some(stop) = self.in_process.take() {
            let _ = stop.send(());
        }
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The broker's last `n` audit events as JSON lines, read with a blocking HTTP/1.0
/// request (a `Drop` cannot await; 1.0, so the answer is not chunked); None when the
/// broker does not answer.
fn audit_tail(url: &str, qa_token: Option<&str>, n: usize) -> Option<String> {
    use std::io::{Read, Write};
    let authority = url.strip_prefix("http://")?;
    let mut stream = std::net::TcpStream::connect(authority).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let token = qa_token
        .map(|t| format!("X-QA-Token: {t}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "GET /qa/audit?limit={n} HTTP/1.0\r\nHost: 127.0.0.1\r\n{token}\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw);
    let (head, body) = raw.split_once("\r\n\r\n")?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Some(format!(
            "(the audit could not be read: {})",
            head.lines().next()?
        ));
    }
    let log: Value = serde_json::from_str(body).ok()?;
    Some(
        log["events"]
            .as_array()?
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
    )
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

/// An answer: its status, and its body decoded as the route's success type or as the
/// error body.
#[derive(Debug)]
pub struct Reply<T> {
    pub status: u16,
    pub body: Result<T, ErrorBody>,
}

/// An error answer: its status and body (`code`, `message`, `reason`… through `Deref`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: u16,
    pub body: ErrorBody,
}

impl std::ops::Deref for Failure {
    type Target = ErrorBody;

    fn deref(&self) -> &ErrorBody {
        &self.body
    }
}

impl<T> Reply<T> {
    /// The success; panics with the error otherwise.
    #[track_caller]
    pub fn ok(self) -> T {
        match self.body {
            Ok(v) => v,
            Err(e) => panic!("expected a success, got {} {e:?}", self.status),
        }
    }

    /// The error; panics if the call succeeded.
    #[track_caller]
    pub fn err(self) -> Failure {
        match self.body {
            Ok(_) => panic!("expected an error, got {} with a success", self.status),
            Err(body) => Failure {
                status: self.status,
                body,
            },
        }
    }

    /// The error's code, None for a success.
    pub fn code(&self) -> Option<ErrorCode> {
        self.body.as_ref().err().map(|e| e.code)
    }

    pub fn is_ok(&self) -> bool {
        self.body.is_ok()
    }
}

/// Decodes a checked answer: a 2xx into `T`, anything else into the error body. The
/// success must survive a round trip through `T` unchanged, so a field the broker
/// sends that the api type lacks fails too.
#[track_caller]
pub fn decode<T: DeserializeOwned + Serialize>(status: u16, body: Value) -> Reply<T> {
    if (200..300).contains(&status) {
        let value: T = serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("a {status} answer does not decode: {e}; body: {body}"));
        let again = serde_json::to_value(&value).expect("re-encode");
        assert_eq!(
            again, body,
            "the api type drops or changes fields of the answer"
        );
        Reply {
            status,
            body: Ok(value),
        }
    } else {
        let error: ErrorBody = serde_json::from_value(body.clone())
            .unwrap_or_else(|e| panic!("a {status} answer is no error body: {e}; body: {body}"));
        Reply {
            status,
            body: Err(error),
        }
    }
}

/// The environment variable that makes the kit print how long each broker start, app
/// start and app quit took (`kit-time: app start 1234 ms`), to find where a suite's
/// time goes.
pub const TIMES_ENV: &str = "PORTCULLIS_KIT_TIMES";

/// Prints `what` and the time since `since` when [`TIMES_ENV`] is set.
pub fn timing(what: &str, since: Instant) {
    if std::env::var_os(TIMES_ENV).is_some() {
        let test = std::thread::current().name().unwrap_or("?").to_owned();
        eprintln!(
            "kit-time: {what} {} ms ({test})",
            since.elapsed().as_millis()
        );
    }
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

/// A login's step as a test expects it, panicking (with the step) when it is another.
pub trait StepExt {
    /// The second factor under way.
    fn factor(&self) -> &SecondFactor;
    /// D6's device choice.
    fn choice(&self) -> &DeviceChoice;
    /// The challenge code of a `challenge` second factor.
    fn challenge(&self) -> &str;
}

impl StepExt for LoginStep {
    #[track_caller]
    fn factor(&self) -> &SecondFactor {
        match self {
            LoginStep::SecondFactor(f) => f,
            LoginStep::Authenticated(_) | LoginStep::SelectDevice(_) => {
                panic!("expected a second factor: {self:?}")
            }
        }
    }

    #[track_caller]
    fn choice(&self) -> &DeviceChoice {
        match self {
            LoginStep::SelectDevice(c) => c,
            LoginStep::Authenticated(_) | LoginStep::SecondFactor(_) => {
                panic!("expected a device choice: {self:?}")
            }
        }
    }

    #[track_caller]
    fn challenge(&self) -> &str {
        self.factor()
            .challenge()
            .unwrap_or_else(|| panic!("expected a challenge: {self:?}"))
    }
}

/// The session an answer opened, panicking when it opened none.
pub trait Opened {
    fn opened(&self) -> &NewSession;
}

impl Opened for LoginStep {
    #[track_caller]
    fn opened(&self) -> &NewSession {
        match self {
            LoginStep::Authenticated(s) => s,
            LoginStep::SelectDevice(_) | LoginStep::SecondFactor(_) => {
                panic!("expected a session: {self:?}")
            }
        }
    }
}

impl Opened for PushWait {
    #[track_caller]
    fn opened(&self) -> &NewSession {
        match self {
            PushWait::Authenticated(s) => s,
            PushWait::Pending { .. } => panic!("expected a session: {self:?}"),
        }
    }
}

impl Opened for SessionOpened {
    fn opened(&self) -> &NewSession {
        match self {
            SessionOpened::Authenticated(s) => s,
        }
    }
}

/// An activation's step as a test expects it.
pub trait ActivationExt {
    fn code_sent(&self) -> &CodeSent;
    fn verify_device(&self) -> &VerifyDevice;
}

impl ActivationExt for ActivationStep {
    #[track_caller]
    fn code_sent(&self) -> &CodeSent {
        match self {
            ActivationStep::CodeSent(c) => c,
            ActivationStep::VerifyDevice(_) => panic!("expected code_sent: {self:?}"),
        }
    }

    #[track_caller]
    fn verify_device(&self) -> &VerifyDevice {
        match self {
            ActivationStep::VerifyDevice(v) => v,
            ActivationStep::CodeSent(_) => panic!("expected verify_device: {self:?}"),
        }
    }
}
