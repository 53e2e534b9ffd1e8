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
