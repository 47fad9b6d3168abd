fn main() {
    // The Tauri config lives at the workspace root (see README, "Layout").
    tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
        .expect("tauri build step");
}
