//! The kiosk window opens under a virtual display and its page loads.

use std::time::Duration;

use guichet_e2e::{guichet_under_xvfb, ProcessGroup, UI_READY_LINE};

/// Longest wait for the page to announce itself (cold WebKit start on 2 cores).
const UI_READY_TIMEOUT: Duration = Duration::from_secs(90);

#[test]
fn window_opens_and_loads_ui() {
    let mut app = ProcessGroup::spawn(guichet_under_xvfb());
    match app.wait_for_line_starting(UI_READY_LINE, UI_READY_TIMEOUT) {
        Ok(rest) => eprintln!("ui ready{rest}"),
        Err(report) => panic!("the window did not load its UI: {report}"),
    }
    // `app` is dropped here and on panic: the whole process group is stopped.
}

/// A damaged `bundle.json` used to make the app exit at start: now the window opens, the file
/// is kept aside, and the kiosk waits for a sync or an import (issue 18, item 2).
#[test]
fn the_window_opens_with_a_damaged_bundle_json() {
    let data = tempfile::tempdir().unwrap();
    guichet_e2e::fixtures::write_enrolled_kiosk(data.path(), "Centre de test");
    std::fs::write(data.path().join("bundle.json"), b"{\"format\":").unwrap();
    let mut command = guichet_under_xvfb();
    command.env("GUICHET_DATA_DIR", data.path());
    let mut app = ProcessGroup::spawn(command);
    if let Err(report) = app.wait_for_line_starting(UI_READY_LINE, UI_READY_TIMEOUT) {
        panic!("the window did not load its UI: {report}");
    }
    let kept: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("bundle.json.refused-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(
        std::fs::read(data.path().join(&kept[0])).unwrap(),
        b"{\"format\":"
    );
}
