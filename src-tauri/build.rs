//! Build script: lets tauri-build embed the configuration, icon and UI assets.

fn main() {
    tauri_build::build();
}
