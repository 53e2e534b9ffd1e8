//! The kiosk window driven through WebDriver (tauri-driver + WebKitWebDriver) under Xvfb with a
//! French AZERTY host: scans through key events and through the replay camera, the
//! basket, the day review, USB updates, both languages.
//!
//! Two keyboard paths. Real key events: `xdotool` (XTEST) types through the X server, GTK and
//! WebKit into the page, as a scanner does. Their keymap is US: this Xvfb keeps its US map
//! whatever `setxkbmap fr`, `xkbcomp` or `xmodmap` upload (each returns 0 and the map stays,
//! checked with `xkbcomp -xkb $DISPLAY -`), and WebDriver's own "send keys" makes up its events
//! from a US table too (an `&` arrives as `Digit7`). So the AZERTY host is played by
//! dispatching the exact `keydown`s an AZERTY host reports for a US-mode scanner
//! (`guichet_e2e::keys`: `1` arrives as `key "&"`, `code "Digit1"`) into the page. Every screen is saved as a picture
//! (`$GUICHET_SCREENSHOTS_DIR`, else the target's temporary directory); `docs/screenshots/`
//! holds a copy made with `make screenshots`. The verdict timings the page records are
//! printed as a table (docs/benchmarks.md).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::Locator;
use guichet_e2e::fixtures::{demo_codes, repo, set_pin_with_cli, write_enrolled_kiosk};
use guichet_e2e::webdriver::Session;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

/// An enrolled kiosk whose platform is unreachable.
fn enrolled_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_enrolled_kiosk(dir.path(), "Espace numérique de test");
    set_pin_with_cli(dir.path(), "admin", ADMIN_PIN);
    dir
}

/// The kiosk window inside its own Xvfb, and where its pictures go.
struct Window {
    session: Session,
    shots: PathBuf,
}

impl std::ops::Deref for Window {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

/// Where this window's test puts update files, as on a USB stick.
fn usb_stick(data_dir: &Path) -> PathBuf {
    data_dir.join("usb-stick")
}

impl Window {
    async fn open(data_dir: &Path) -> Window {
        // The "USB stick" the admin screen lists update files from.
        let stick = usb_stick(data_dir).into_os_string();
        let session = Session::open(data_dir, "", &[("GUICHET_UPDATE_DIRS", stick)]).await;
        let shots = std::env::var_os("GUICHET_SCREENSHOTS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"));
        std::fs::create_dir_all(&shots).unwrap();
        let window = Window { session, shots };
        window.wait_js("return document.body.dataset.screen === 'counter' && (document.getElementById('center-name')?.textContent ?? '').length > 0").await;
        window
    }

    async fn find(&self, css: &str) -> Element {
        self.client()
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"))
    }

    /// Clicks an element after scrolling it into view inside its scrolling screen (the
    /// administration screen scrolls; WebDriver does not scroll an inner container).
    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.client()
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&element).unwrap()],
            )
            .await
            .unwrap();
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    async fn attr(&self, css: &str, name: &str) -> String {
        self.find(css)
            .await
            .attr(name)
            .await
            .unwrap()
            .unwrap_or_default()
    }

    async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap()
    }

    /// Runs xdotool on the Xvfb (the pointer over the window, so that it has the focus).
    fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .envs(self.x_env.iter().map(|(k, v)| (k, v)))
            .args(["mousemove", "640", "400", "sleep", "0.05"])
            .args(args)
            .status()
            .expect("xdotool is missing: `make setup` installs it");
        assert!(status.success(), "xdotool {args:?}");
    }

    async fn focus_counter(&self) -> u64 {
        self.js("document.activeElement && document.activeElement.blur(); document.getElementById('screen-counter').focus(); return true").await;
        self.attr("#verdict", "data-seq").await.parse().unwrap_or(0)
    }

    /// Types `text` and Enter with real X key events, 3 ms apart as a scanner does, and waits
    /// for the verdict card: (code, input).
    ///
    /// xdotool's 3 ms pauses can stretch past the scanner rule's 40 ms on a loaded 2-core
    /// machine; the page then rightly sees a broken burst (nothing, or a MALFORMED tail). That
    /// is this test's keyboard, not the app: it types the code once more, and says so.
    async fn scan_with_keys(&self, text: &str) -> (String, String) {
        for attempt in 1..=3 {
            let seq = self.focus_counter().await;
            // `type` takes the rest of the line as text; its carriage return is the Return key.
            self.xdotool(&["type", "--delay", "3", &format!("{text}\r")]);
            let card =
                format!("return Number(document.getElementById('verdict').dataset.seq) > {seq}");
            let shown = self.wait_js_for(&card, Duration::from_secs(5)).await;
            let code = self.attr("#verdict", "data-code").await;
            if shown && code != "MALFORMED" {
                return (code, self.attr("#verdict", "data-input").await);
            }
            eprintln!(
                "xdotool burst {attempt} broken (card shown: {shown}, code {code:?}); typing again"
            );
        }
        panic!("three broken xdotool bursts for {text}");
    }

    /// Presses a function key (or Escape) with a real X key event.
    async fn press(&self, key: &str) {
        self.xdotool(&["key", key]);
    }

    /// Chooses an option as the keyboard would (value set, `change` fired).
    async fn select(&self, css: &str, value: &str) {
        let select = self.find(css).await;
        self.client()
            .execute(
                "const s = arguments[0]; s.value = arguments[1]; s.dispatchEvent(new Event('change', { bubbles: true })); return s.value === arguments[1];",
                vec![serde_json::to_value(&select).unwrap(), json!(value)],
            )
            .await
            .unwrap();
    }

    async fn type_into(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        field.send_keys(text).await.unwrap();
    }

    /// Saves a picture of the window once two frames have been painted.
    ///
    /// The picture is taken from the X server (ImageMagick's `import`), not with WebDriver's
    /// screenshot: with WebKit's compositing off (the app's default) that one repaints the
    /// whole page in software and took up to a minute a picture here.
    async fn shot(&self, name: &str) {
        self.client()
            .execute_async(
                "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));",
                vec![],
            )
            .await
            .unwrap();
        let path = self.shots.join(format!("{name}.png"));
        let status = Command::new("import")
            .envs(self.x_env.iter().map(|(k, v)| (k, v)))
            .args(["-window", "root"])
            .arg(&path)
            .status()
            .expect("ImageMagick's import (make setup installs it)");
        assert!(status.success(), "import {}", path.display());
    }

    async fn close(self) {
        self.session.close().await;
    }
}

/// The admin PIN set with `guichet pin` before the window opens (an enrolled kiosk always has
/// one; nobody chooses it at the counter).
const ADMIN_PIN: &str = "246810";

/// Opens a restricted screen with `key` as `role` ("manager" or "admin"), giving a name and
/// the PIN; `shot` names a picture of the PIN dialog.
async fn open_restricted(window: &Window, key: &str, role: &str, pin: &str, shot: Option<&str>) {
    window.press(key).await;
    window
        .wait_js("return document.getElementById('pin-dialog').open")
        .await;
    // The choice of role shows only where two roles open the screen (the review).
    if window
        .js("return document.getElementById('pin-roles').hidden")
        .await
        == false
    {
        window.click(&format!("#pin-role-{role}")).await;
    }
    if window
        .js("return document.getElementById('pin-name').value")
        .await
        == ""
    {
        window.type_into("#pin-name", "Camille").await;
    }
    window.type_into("#pin-input", pin).await;
    if let Some(name) = shot {
        window.shot(name).await;
    }
    window.click("#pin-submit").await;
    window
        .wait_js("return !document.getElementById('pin-dialog').open")
        .await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_counter_review_and_administration_in_a_real_window() {
    let data = enrolled_dir();
    let camera = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo("fixtures/scan/vouchers/001-perspective.jpg"),
        camera.path().join("001-perspective.jpg"),
    )
    .unwrap();
    let codes = demo_codes();
    let window = Window::open(data.path()).await;
    assert_eq!(
        window.js("return document.documentElement.lang").await,
        "fr"
    );
    window.shot("fr-1-counter-ready").await;

    // Choose the workshop and the mediator.
    window.select("#workshop-area", "1.1").await;
    window.wait_js("return [...document.querySelectorAll('#workshop-service option')].some(o => o.value === '1.1.01')").await;
    window.select("#workshop-service", "1.1.01").await;
    window
        .type_into("#mediator", &format!("Zoé{}", char::from(Key::Enter)))
        .await;
    window
        .wait_js("return document.activeElement.id !== 'mediator'")
        .await;

    // A scanner's real key events: the right verdict (the US-mode scanner on an AZERTY
    // host, with real X keys, is counter_keyboard.rs's; the page ignores synthetic keys).
    let (code, input) = window.scan_with_keys(&codes[0]).await;
    assert_eq!((code.as_str(), input.as_str()), ("OK", "scanner"));
    assert!(window.text("#verdict-serial").await.contains("1000001"));
    window.shot("fr-2-verdict-accepted").await;
    // The same coupon again, real key events: caught in the basket.
    let (code, _) = window.scan_with_keys(&codes[0]).await;
    assert_eq!(code, "DUPLICATE_IN_BASKET");
    window.shot("fr-3-verdict-duplicate").await;
    // A revoked coupon: refused, with its reason.
    let (code, _) = window.scan_with_keys(&codes[2]).await;
    assert_eq!(code, "REVOKED");
    assert!(!window.text("#verdict-message").await.is_empty());
    window.shot("fr-4-verdict-refused").await;
    // The retired issuer's coupon joins: two in the basket, 20 €.
    let (code, _) = window.scan_with_keys(&codes[3]).await;
    assert_eq!(code, "OK");
    assert_eq!(
        window
            .js("return document.querySelectorAll('#basket-list > li').length")
            .await,
        2
    );
    window
        .type_into("#paid-otherwise", &format!("5{}", char::from(Key::Enter)))
        .await;
    window
        .wait_js("return document.getElementById('basket-total').textContent.includes('25,00')")
        .await;
    window.shot("fr-5-basket").await;

    // Valider (F2) commits the basket.
    window.press("F2").await;
    window
        .wait_js("return document.getElementById('basket-message').dataset.code === 'COMMITTED'")
        .await;
    assert_eq!(
        window
            .js("return document.querySelectorAll('#basket-list > li').length")
            .await,
        0
    );
    window
        .wait_js("return document.getElementById('status-pending').dataset.state === 'pending'")
        .await;
    // Scanned again after the checkout: already used, with when and where.
    let (code, _) = window.scan_with_keys(&codes[0]).await;
    assert_eq!(code, "ALREADY_REDEEMED");
    window.shot("fr-6-verdict-already-used").await;

    // Administration: first PIN, USB updates (older refused, newer accepted), camera.
    open_restricted(&window, "F10", "admin", ADMIN_PIN, Some("fr-7a-pin")).await;
    window
        .wait_js("return document.body.dataset.screen === 'admin'")
        .await;
    window.shot("fr-7-admin").await;
    let usb = usb_stick(data.path());
    std::fs::create_dir_all(&usb).unwrap();
    let seq1 = usb.join("guichet-update-seq1.json");
    let seq2 = usb.join("guichet-update-seq2.json");
    std::fs::copy(repo("fixtures/bundles/test-only-bundle-seq1.json"), &seq1).unwrap();
    std::fs::copy(repo("fixtures/bundles/test-only-bundle-seq2.json"), &seq2).unwrap();
    // The stick is "plugged in" after the screen opened: the admin searches again.
    window.click("#import-refresh").await;
    window
        .wait_js("return document.getElementById('import-files').dataset.count === '2'")
        .await;
    for (file, accepted, code) in [(&seq2, "true", "ACCEPTED"), (&seq1, "false", "NOT_NEWER")] {
        let listed = std::fs::canonicalize(file).unwrap();
        window
            .select("#import-files", listed.to_str().unwrap())
            .await;
        window.click("#import-button").await;
        window
            .wait_js(&format!(
                "return document.getElementById('import-result').dataset.code === '{code}'"
            ))
            .await;
        assert_eq!(
            window.attr("#import-result", "data-accepted").await,
            accepted
        );
        window
            .shot(&format!("fr-8-import-{}", code.to_lowercase()))
            .await;
    }
    assert_eq!(
        std::fs::read(data.path().join("bundle.json")).unwrap(),
        std::fs::read(&seq2).unwrap()
    );
    window.select("#settings-camera-kind", "replay").await;
    window
        .type_into("#settings-camera-folder", camera.path().to_str().unwrap())
        .await;
    window.click("#settings-save").await;
    window
        .wait_js("return document.getElementById('status-camera').dataset.state === 'running'")
        .await;

    // Back at the counter, the replayed camera reads coupon 1000002.
    window.press("Escape").await;
    window.wait_js("return document.getElementById('verdict').dataset.input === 'camera' && document.getElementById('verdict').dataset.code === 'OK'").await;
    assert!(window.text("#verdict-serial").await.contains("1000002"));
    window.shot("fr-9-verdict-camera").await;
    window.press("F2").await;
    window
        .wait_js("return document.getElementById('basket-message').dataset.code === 'COMMITTED'")
        .await;

    // The day review (the admin PIN opens it too): 3 coupons, 30 €, 5 € paid otherwise.
    open_restricted(&window, "F8", "admin", ADMIN_PIN, None).await;
    window.wait_js("return document.body.dataset.screen === 'review' && document.querySelectorAll('#review-lines > tr').length === 3").await;
    assert_eq!(window.text("#review-count").await.trim(), "3");
    assert!(window.text("#review-total").await.contains("30,00"));
    assert!(window.text("#review-paid-otherwise").await.contains("5,00"));
    window.shot("fr-10-review").await;
    // The printable day report, rendered and read back with poppler.
    window.click("#export-pdf").await;
    window
        .wait_js("return document.getElementById('export-result').textContent.includes('.pdf')")
        .await;
    check_day_report(&data.path().join("exports"), &window.shots);

    // English: every screen again.
    window.press("F12").await;
    window
        .wait_js("return document.documentElement.lang === 'en'")
        .await;
    window.shot("en-10-review").await;
    window.press("Escape").await;
    window
        .wait_js("return document.body.dataset.screen === 'counter'")
        .await;
    let (code, _) = window.scan_with_keys(&codes[4]).await;
    assert_eq!(code, "ISSUER_REVOKED");
    window.shot("en-4-verdict-refused").await;
    let (code, _) = window.scan_with_keys(&codes[5]).await;
    assert_eq!(code, "UNKNOWN_ISSUER");
    window.shot("en-4b-verdict-unknown-issuer").await;
    open_restricted(&window, "F10", "admin", ADMIN_PIN, Some("en-7a-pin")).await;
    window
        .wait_js("return document.body.dataset.screen === 'admin'")
        .await;
    // Left scrolled down at the settings, the screen opens again at its top.
    assert_eq!(
        window
            .js("return document.getElementById('screen-admin').scrollTop")
            .await,
        json!(0)
    );
    // The doctor's report, the lines of `guichet doctor`: the ledger is intact, the fixture's
    // platform (127.0.0.1:9) is not there.
    window.click("#doctor-run").await;
    window
        .wait_js("return ['ledger', 'platform', 'sync'].every(id => document.querySelector(`#doctor-lines > li[data-id='${id}']`))")
        .await;
    let level = |id: &str| format!("#doctor-lines > li[data-id='{id}']");
    assert_eq!(window.attr(&level("ledger"), "data-level").await, "ok");
    assert_eq!(
        window.attr(&level("platform"), "data-level").await,
        "problem"
    );
    assert!(window
        .text(&level("platform"))
        .await
        .contains("unreachable"));
    assert!(window
        .text("#doctor-summary")
        .await
        .starts_with("Summary: "));
    window.shot("en-7-admin").await;

    print_timings(&window).await;
    print_start_and_memory(&window).await;
    window.close().await;
}

/// Renders the exported day report with `pdftoppm` (kept beside the screenshots, to look at)
/// and reads its text back with `pdftotext`.
fn check_day_report(exports: &Path, shots: &Path) {
    let pdf = std::fs::read_dir(exports)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .expect("a PDF in exports/");
    let picture = shots.join("fr-11-day-report-pdf");
    let rendered = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-singlefile"])
        .arg(&pdf)
        .arg(&picture)
        .status()
        .expect("pdftoppm (poppler-utils)");
    assert!(rendered.success());
    assert!(
        std::fs::metadata(picture.with_extension("png"))
            .unwrap()
            .len()
            > 10_000
    );
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    for expected in [
        "rapport de journée",
        "Zoé",
        "1000001",
        "1000002",
        "2000001",
        "30,00",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} not in the day report:\n{text}"
        );
    }
}

/// Issue 18, item 6: a command that waits on the ledger (another process holds its write lock;
/// a wrong PIN must be counted there, so the kiosk waits up to its 5 s busy timeout) waits off
/// the GTK main thread. A main-thread command sent right after it (`sync_now`) is answered at
/// once, and the page keeps drawing frames.
#[tokio::test(flavor = "current_thread")]
async fn a_command_waiting_on_the_ledger_leaves_the_window_responsive() {
    let data = enrolled_dir();
    let window = Window::open(data.path()).await;
    let holder = rusqlite::Connection::open(data.path().join("ledger.sqlite3")).unwrap();
    holder.busy_timeout(Duration::from_secs(10)).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE;").unwrap();
    let timings = window
        .client()
        .execute_async(
            r#"const done = arguments[arguments.length - 1];
            const invoke = window.__TAURI__.core.invoke;
            const start = performance.now();
            const slow = invoke("unlock", { role: "admin", name: "X", pin: "000000" }).then(() => performance.now() - start, () => performance.now() - start);
            let frames = 0;
            const count = () => { frames += 1; if (performance.now() - start < 1000) requestAnimationFrame(count); };
            requestAnimationFrame(count);
            invoke("sync_now").then(() => {
              const quick = performance.now() - start;
              slow.then((waited) => done([quick, waited, frames]));
            });"#,
            vec![],
        )
        .await
        .unwrap();
    drop(holder);
    let numbers: Vec<f64> = timings
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let (quick, waited, frames) = (numbers[0], numbers[1], numbers[2]);
    assert!(
        waited >= 1000.0,
        "the wrong PIN did wait on the ledger ({waited} ms)"
    );
    assert!(
        quick < 1000.0,
        "sync_now waited {quick} ms behind a command blocked on the ledger"
    );
    assert!(
        frames >= 5.0,
        "the page drew {frames} frames in its first second"
    );
    window.close().await;
}

/// Prints the app's cold start (process start → first snapshot painted, as the shell answered
/// `ui_ready`) and the resident memory of the app and its WebKit processes after the scans.
async fn print_start_and_memory(window: &Window) {
    let start = window.js("return window.guichetStartMs").await;
    assert!(
        start.as_u64().is_some_and(|ms| ms > 0),
        "the page keeps the start time: {start}"
    );
    // The app's own process, then with its WebKit web and network processes (not
    // WebKitWebDriver; comm names are cut at 15 bytes).
    let app = window.session.processes().resident_kib(&["guichet"]);
    let all =
        window
            .session
            .processes()
            .resident_kib(&["guichet", "WebKitWebProces", "WebKitNetworkPr"]);
    assert!(
        app > 0 && all > app,
        "the app's processes are in the driver's group"
    );
    println!("cold start to a ready counter: {start} ms");
    println!(
        "resident memory: app process {} MiB; with WebKit's processes {} MiB",
        app / 1024,
        all / 1024
    );
}

/// Prints the verdict timings the page recorded (Enter or frame → card painted).
async fn print_timings(window: &Window) {
    let timings = window.js("return window.guichetTimings || []").await;
    let timings = timings.as_array().cloned().unwrap_or_default();
    assert!(!timings.is_empty(), "the page records its timings");
    println!("| input | verdicts | median ms | max ms |");
    println!("|---|---|---|---|");
    for input in ["scanner", "camera"] {
        let mut ms: Vec<f64> = timings
            .iter()
            .filter(|t| t["input"] == input)
            .filter_map(|t| t["ms"].as_f64())
            .collect();
        if ms.is_empty() {
            continue;
        }
        println!("{input}, in scan order: {ms:?}");
        ms.sort_by(f64::total_cmp);
        println!(
            "| {input} | {} | {:.1} | {:.1} |",
            ms.len(),
            ms[ms.len() / 2],
            ms[ms.len() - 1]
        );
    }
}
