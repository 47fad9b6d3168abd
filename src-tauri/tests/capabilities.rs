//! Issue 7: one capability per window, checked against what each window's page
//! actually calls. Every command name a page's scripts mention must be granted to its
//! window, and a window is granted nothing its page does not call — so a new call in
//! `ui/` without its permission, or a grant left behind, fails here rather than in the
//! app (where Tauri answers "not allowed").

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each window and the page it shows.
const WINDOWS: [(&str, &str); 5] = [
    ("login", "index.html"),
    ("main", "main.html"),
    ("card", "card.html"),
    ("codecard", "codecard.html"),
    ("phone", "phone.html"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The commands of the window's set in `permissions/windows.toml`.
fn granted(window: &str) -> BTreeSet<String> {
    let sets: toml::Table = read(&root().join("permissions/windows.toml"))
        .parse()
        .expect("windows.toml");
    let set = sets["set"]
        .as_array()
        .expect("[[set]]")
        .iter()
        .find(|s| s["identifier"].as_str() == Some(&format!("{window}-window")))
        .unwrap_or_else(|| panic!("no set {window}-window"));
    set["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| {
            let p = p.as_str().expect("a permission name");
            p.strip_prefix("allow-")
                .unwrap_or_else(|| panic!("{p}: only allow- permissions in a window's set"))
                .replace('-', "_")
        })
        .collect()
}

/// The text of every script the page loads.
fn scripts(page: &str) -> String {
    let ui = root().join("../ui");
    let html = read(&ui.join(page));
    html.split("<script src=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|src| read(&ui.join(src)))
        .collect()
}

/// Which of `commands` the text names as a string literal (`call("login"`, and also
/// `answer("phone_approve", …)` for a command chosen at run time).
fn named(text: &str, commands: &BTreeSet<String>) -> BTreeSet<String> {
    commands
        .iter()
        .filter(|c| text.contains(&format!("\"{c}\"")) || text.contains(&format!("'{c}'")))
        .cloned()
        .collect()
}

#[test]
fn issue7_each_window_has_its_own_capability_and_nothing_else() {
    for (window, _) in WINDOWS {
        let path = root().join(format!("capabilities/{window}.json"));
        let capability: serde_json::Value =
            serde_json::from_str(&read(&path)).expect("capability JSON");
        assert_eq!(
            capability["windows"],
            serde_json::json!([window]),
            "{window}"
        );
        assert_eq!(
            capability["permissions"],
            serde_json::json!(["core:default", format!("{window}-window")]),
            "{window}: Tauri's core and its own set only"
        );
    }
    let files = std::fs::read_dir(root().join("capabilities"))
        .expect("capabilities/")
        .count();
    assert_eq!(
        files,
        WINDOWS.len(),
        "one capability file per window, no other"
    );
}

#[test]
fn issue7_each_window_is_granted_exactly_the_commands_its_page_calls() {
    let every: BTreeSet<String> = WINDOWS.iter().flat_map(|(w, _)| granted(w)).collect();
    for (window, page) in WINDOWS {
        let calls = named(&scripts(page), &every);
        let grants = granted(window);
        let missing: Vec<_> = calls.difference(&grants).collect();
        let unused: Vec<_> = grants.difference(&calls).collect();
        assert!(
            missing.is_empty(),
            "the {window} window ({page}) calls {missing:?} without the permission: \
             add them to its set in permissions/windows.toml"
        );
        assert!(
            unused.is_empty(),
            "the {window} window is granted {unused:?}, which {page} never calls"
        );
    }
}
