//! One Tauri 2 window showing a static page, nothing else: what the Portcullis app's
//! start, memory and binary size are measured against (`scripts/bench-app.sh`). It
//! shares the workspace's Tauri version, features and release profile, so any gap is
//! Portcullis's own.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("the bare window could not start");
}
