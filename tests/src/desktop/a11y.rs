//! Accessibility checks on the real windows (issue 12): axe-core run in the page, and
//! a keyboard driven only through key presses sent to whatever has focus.
//!
//! axe-core is vendored from the npm registry, pinned, with its licence, in
//! `tests/vendor/axe-core/` (see its README for the version and checksum). It is
//! injected once per page load through WebDriver's Execute Script and run with Execute
//! Async Script; a serious or critical violation fails the test with every node named.

use super::{Desktop, DEADLINE};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::time::Instant;

/// The vendored axe-core, as published on npm.
const AXE_SOURCE: &str = include_str!("../../vendor/axe-core/axe.min.js");
/// The version the vendored file must be: a mismatch means the vendoring went wrong.
pub const AXE_VERSION: &str = "4.14.1";

/// WCAG 2.0 and 2.1, levels A and AA, and Deque's best practices.
const AXE_TAGS: [&str; 5] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"];

/// Runs axe on the whole document and hands back only what a report needs.
const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
const tags = arguments[0];
axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] })
  .then((r) => done({
    page: location.pathname,
    version: axe.version,
    violations: r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, url: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target.join(" "), html: n.html, summary: n.failureSummary })),
    })),
  }))
  .catch((e) => done({ error: String((e && e.stack) || e) }));
"#;

/// Keys as WebDriver spells them.
pub mod key {
    pub const TAB: char = '\u{E004}';
    pub const ENTER: char = '\u{E007}';
    pub const SHIFT: char = '\u{E008}';
    pub const ESCAPE: char = '\u{E00C}';
    pub const SPACE: char = '\u{E00D}';
    pub const ARROW_UP: char = '\u{E013}';
    pub const ARROW_DOWN: char = '\u{E015}';
}

/// Which way [`Desktop::tab_to`] moves focus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

impl Desktop {
    /// Fails the test if axe-core finds a serious or critical violation in the current
    /// window; `step` names the screen in the failure ("login: push wait").
    pub async fn assert_accessible(&self, step: &str) {
        let (page, blocking, other) = self.axe(step).await;
        if !other.is_empty() {
            // Moderate and minor findings are worth seeing, not failing on.
            eprintln!("axe on {step} ({page}), not failing:\n{}", describe(&other));
        }
        assert!(
            blocking.is_empty(),
            "axe-core {AXE_VERSION} found serious or critical violations on {step} ({page}):\n{}",
            describe(&blocking)
        );
    }

    /// The ids of the serious and critical violations axe-core finds in the current
    /// window (for a test that the check can fail at all).
    pub async fn axe_blocking_rules(&self, step: &str) -> Vec<String> {
        let (_, blocking, _) = self.axe(step).await;
        blocking
            .iter()
            .filter_map(|v| v["id"].as_str().map(str::to_owned))
            .collect()
    }

    /// Runs axe-core (injecting it first if this page has not got it): the page, then
    /// the serious and critical violations, then the rest.
    async fn axe(&self, step: &str) -> (String, Vec<Value>, Vec<Value>) {
        let started = Instant::now();
        let loaded = self
            .client
            .execute("return typeof window.axe === 'object'", vec![])
            .await
            .unwrap_or_else(|e| panic!("{step}: ask whether axe is loaded: {e}"));
        if loaded != Value::Bool(true) {
            self.client
                .execute(&format!("{AXE_SOURCE}\n;return true"), vec![])
                .await
                .unwrap_or_else(|e| panic!("{step}: inject axe-core: {e}"));
        }
        let result = self
            .client
            .execute_async(AXE_RUN, vec![json!(AXE_TAGS)])
            .await
            .unwrap_or_else(|e| panic!("{step}: run axe-core: {e}"));
        if let Some(error) = result.get("error") {
            panic!("{step}: axe-core failed: {error}");
        }
        assert_eq!(
            result["version"], AXE_VERSION,
            "the vendored axe-core is the pinned one"
        );
        let violations = result["violations"].as_array().cloned().unwrap_or_default();
        let (blocking, other) = violations
            .into_iter()
            .partition(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")));
        let page = result["page"].as_str().unwrap_or("?").to_owned();
        crate::timing(&format!("axe on {step}"), started);
        (page, blocking, other)
    }

    /// Presses `keys` in order on whatever has focus (WebDriver actions: no element
    /// is targeted, nothing is clicked). Text is typed a character at a time.
    pub async fn keys(&self, keys: &str) {
        self.client
            .perform_actions(key_presses(keys))
            .await
            .unwrap_or_else(|e| panic!("press {keys:?}: {e}"));
    }

    /// Presses `keys` whose effect closes the current window (Enter on Log out): the
    /// window may go before WebDriver answers the key, which is then no error. The test
    /// checks the outcome in another window.
    pub async fn keys_closing(&self, keys: &str) {
        let _ = self.client.perform_actions(key_presses(keys)).await;
    }

    /// Shift+Tab.
    pub async fn shift_tab(&self) {
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: key::SHIFT })
            .then(KeyAction::Down { value: key::TAB })
            .then(KeyAction::Up { value: key::TAB })
            .then(KeyAction::Up { value: key::SHIFT });
        self.client
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("press Shift+Tab: {e}"));
    }

    /// Presses Tab (or Shift+Tab) until `id` has focus, at most `max` times: proves the
    /// control is in the tab order, reached the way a keyboard user reaches it.
    pub async fn tab_to(&self, id: &str, direction: Direction, max: usize) {
        let mut seen = Vec::new();
        for _ in 0..=max {
            let now = self.focused().await;
            if now.as_deref() == Some(id) {
                return;
            }
            seen.push(now.unwrap_or_else(|| "(no test id)".into()));
            match direction {
                Direction::Forward => self.keys(&key::TAB.to_string()).await,
                Direction::Backward => self.shift_tab().await,
            }
        }
        panic!("{id} not reached with {max} {direction:?} tabs; focus went {seen:?}");
    }

    /// The `data-testid` of the focused element in the current window, if it has one.
    pub async fn focused(&self) -> Option<String> {
        super::focused_testid(self).await
    }

    /// Waits until `id` has focus in the current window.
    pub async fn wait_focus(&self, id: &str, why: &str) {
        let start = Instant::now();
        loop {
            let now = self.focused().await;
            if now.as_deref() == Some(id) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "focus not on {id} ({why}); it is on {now:?}"
            );
            tokio::time::sleep(super::POLL).await;
        }
    }
}

/// Each character of `keys` pressed and released, in order.
fn key_presses(keys: &str) -> KeyActions {
    let mut actions = KeyActions::new("keyboard".into());
    for k in keys.chars() {
        actions = actions
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k });
    }
    actions
}

fn describe(violations: &[Value]) -> String {
    let mut out = String::new();
    for v in violations {
        let _ = writeln!(
            out,
            "  [{}] {}: {} ({})",
            v["impact"].as_str().unwrap_or("?"),
            v["id"].as_str().unwrap_or("?"),
            v["help"].as_str().unwrap_or(""),
            v["url"].as_str().unwrap_or("")
        );
        for n in v["nodes"].as_array().into_iter().flatten() {
            let _ = writeln!(
                out,
                "      at {}  {}\n        {}",
                n["target"].as_str().unwrap_or("?"),
                n["html"].as_str().unwrap_or(""),
                n["summary"]
                    .as_str()
                    .unwrap_or("")
                    .replace('\n', "\n        ")
            );
        }
    }
    out
}
