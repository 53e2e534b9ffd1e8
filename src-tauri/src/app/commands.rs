//! The commands the page invokes (`schema/kiosk-ui.md`). Each one locks the kiosk, calls one
//! method with the current time, and returns its result or its `Problem`.
//!
//! Every command that touches the disk or may wait (the ledger's lock, an argon2 hash, a USB
//! stick, an export) is `#[tauri::command(async)]` or `async`: Tauri runs it on its async
//! runtime's threads, never on the GTK main thread, which stays free to draw and to take keys.
//! Only `ui_ready` and `sync_now` (a print, a wake-up) run there.

use std::io::Write;
use std::path::PathBuf;

use guichet_kiosk::counter::{BasketView, CommitResult, ScanResult};
use guichet_kiosk::{
    Exported, IssuerKeyView, Lang, Problem, ReviewQuery, ReviewView, Role, Settings, Snapshot,
    Text, UpdateSummary,
};
use guichet_ledger::InputMethod;
use guichet_scan::wedge::KeyEvent;
use jiff::Timestamp;
use serde::Deserialize;
use tauri::{AppHandle, Emitter, Manager, State};

use super::state::Shell;
use super::UI_READY_LINE;

type Answer<T> = Result<T, Problem>;

/// Every command, for the builder.
pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        ui_ready,
        snapshot,
        set_lang,
        set_mediator,
        set_workshop,
        scan_text,
        wedge_burst,
        wedge_text,
        basket_remove,
        basket_paid_otherwise,
        basket_clear,
        basket_commit,
        undo_last_checkout,
        set_pin,
        unlock,
        lock,
        review,
        cancel_redemption,
        export_csv,
        export_pdf,
        copy_export,
        print_export,
        enroll,
        update_files,
        import_update,
        issuer_keys,
        sync_now,
        save_settings,
        doctor,
        quit,
    ]
}

fn snapshot_of(shell: &Shell) -> Snapshot {
    let sync = shell.sync_status();
    let camera = shell.camera_status();
    shell.kiosk().snapshot(&sync, &camera, Timestamp::now())
}

/// Called by the page once its first snapshot is drawn: announces it on stdout with the
/// time since the process started (the cold-start figure), and returns that time in ms.
#[tauri::command]
fn ui_ready(shell: State<'_, Shell>) -> u64 {
    let elapsed = u64::try_from(shell.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let mut out = std::io::stdout().lock();
    // A closed stdout must not take the window down with it.
    let _ = writeln!(out, "{UI_READY_LINE} after {elapsed} ms");
    let _ = out.flush();
    elapsed
}

#[tauri::command(async)]
fn snapshot(shell: State<'_, Shell>) -> Snapshot {
    snapshot_of(&shell)
}

#[tauri::command(async)]
fn set_lang(shell: State<'_, Shell>, lang: Lang) -> Answer<Snapshot> {
    shell.kiosk().set_lang(lang)?;
    Ok(snapshot_of(&shell))
}

#[tauri::command(async)]
fn set_mediator(shell: State<'_, Shell>, name: String) -> Answer<Snapshot> {
    shell.kiosk().set_mediator(&name)?;
    Ok(snapshot_of(&shell))
}

/// The scans that waited for the workshop are verified once it is chosen, and each is shown as
/// any scan.
#[tauri::command(async)]
fn set_workshop(
    app: AppHandle,
    shell: State<'_, Shell>,
    area: String,
    service: String,
) -> Answer<Snapshot> {
    let pending = {
        let mut kiosk = shell.kiosk();
        kiosk.set_workshop(&area, &service)?;
        kiosk.take_pending_scans(Timestamp::now())?
    };
    for result in pending {
        let _ = app.emit("scan", result);
    }
    Ok(snapshot_of(&shell))
}

/// How a text reached the page.
#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum TypedInput {
    Scanner,
    Pasted,
}

#[tauri::command(async)]
fn scan_text(
    app: AppHandle,
    shell: State<'_, Shell>,
    text: String,
    input: TypedInput,
) -> Answer<ScanResult> {
    let input = match input {
        TypedInput::Scanner => InputMethod::Scanner,
        TypedInput::Pasted => InputMethod::Pasted,
    };
    let result = shell.kiosk().scan(text.as_bytes(), input, Timestamp::now());
    shell.emit_status(&app);
    result
}

/// A `keydown` as the page sends it (camelCase, as JavaScript names it).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageKey {
    code: String,
    key: String,
    shift: bool,
    caps_lock: bool,
    timestamp_ms: f64,
}

impl From<PageKey> for KeyEvent {
    fn from(k: PageKey) -> KeyEvent {
        KeyEvent {
            code: k.code,
            key: k.key,
            shift: k.shift,
            caps_lock: k.caps_lock,
            timestamp_ms: k.timestamp_ms,
        }
    }
}

#[tauri::command(async)]
fn wedge_burst(shell: State<'_, Shell>, keys: Vec<PageKey>) -> Answer<ScanResult> {
    let keys: Vec<KeyEvent> = keys.into_iter().map(KeyEvent::from).collect();
    shell.kiosk().wedge_burst(&keys, Timestamp::now())
}

/// What a scanner typed, read but not verified (`null`: typing).
#[tauri::command(async)]
fn wedge_text(shell: State<'_, Shell>, keys: Vec<PageKey>) -> Option<String> {
    let keys: Vec<KeyEvent> = keys.into_iter().map(KeyEvent::from).collect();
    shell.kiosk().wedge_text(&keys)
}

#[tauri::command(async)]
fn basket_remove(shell: State<'_, Shell>, kid: String, serial: u64) -> BasketView {
    shell.kiosk().basket_remove(&kid, serial)
}

#[tauri::command(async)]
fn basket_paid_otherwise(shell: State<'_, Shell>, cents: u32) -> Answer<BasketView> {
    shell.kiosk().basket_paid_otherwise(cents)
}

#[tauri::command(async)]
fn basket_clear(shell: State<'_, Shell>) -> BasketView {
    shell.kiosk().basket_clear()
}

#[tauri::command(async)]
fn basket_commit(app: AppHandle, shell: State<'_, Shell>) -> Answer<CommitResult> {
    let result = shell.kiosk().basket_commit(Timestamp::now());
    shell.emit_status(&app);
    shell.sync_now();
    result
}

#[tauri::command(async)]
fn undo_last_checkout(app: AppHandle, shell: State<'_, Shell>) -> Answer<CommitResult> {
    let result = shell.kiosk().undo_last_checkout(Timestamp::now());
    shell.emit_status(&app);
    result
}

#[tauri::command(async)]
fn set_pin(shell: State<'_, Shell>, role: Role, pin: String) -> Answer<Snapshot> {
    shell.kiosk().set_pin(role, &pin, Timestamp::now())?;
    Ok(snapshot_of(&shell))
}

#[tauri::command(async)]
fn unlock(shell: State<'_, Shell>, role: Role, name: String, pin: String) -> Answer<Snapshot> {
    shell.kiosk().unlock(role, &name, &pin, Timestamp::now())?;
    Ok(snapshot_of(&shell))
}

#[tauri::command(async)]
fn lock(shell: State<'_, Shell>) -> Snapshot {
    shell.kiosk().lock();
    snapshot_of(&shell)
}

#[tauri::command(async)]
fn review(shell: State<'_, Shell>, query: ReviewQuery) -> Answer<ReviewView> {
    shell.kiosk().review(&query)
}

#[tauri::command(async)]
fn cancel_redemption(
    app: AppHandle,
    shell: State<'_, Shell>,
    id: String,
    reason: String,
) -> Answer<serde_json::Value> {
    let message: Text = shell
        .kiosk()
        .cancel_redemption(&id, &reason, Timestamp::now())?;
    shell.emit_status(&app);
    shell.sync_now();
    Ok(serde_json::json!({ "message": message }))
}

#[tauri::command(async)]
fn export_csv(shell: State<'_, Shell>, query: ReviewQuery) -> Answer<Exported> {
    shell.kiosk().export_csv(&query)
}

#[tauri::command(async)]
fn export_pdf(shell: State<'_, Shell>, query: ReviewQuery) -> Answer<Exported> {
    shell.kiosk().export_pdf(&query, Timestamp::now())
}

#[tauri::command(async)]
fn copy_export(shell: State<'_, Shell>, path: PathBuf) -> Answer<Exported> {
    shell.kiosk().copy_export_to_stick(&path)
}

#[tauri::command(async)]
fn print_export(shell: State<'_, Shell>, path: PathBuf) -> Answer<Text> {
    shell.kiosk().print_export(&path)
}

#[tauri::command]
async fn enroll(
    app: AppHandle,
    url: String,
    code: String,
    fingerprint: String,
    admin_name: String,
    admin_pin: String,
) -> Answer<Snapshot> {
    let shell = app.state::<Shell>();
    let data_dir = {
        let mut kiosk = shell.kiosk();
        kiosk.prepare_enrollment(&admin_name, &admin_pin, Timestamp::now())?;
        kiosk.data_dir().to_path_buf()
    };
    // A scanned or pasted ticket (`CODE/FINGERPRINT`, the sheet's QR code) fills both.
    let (code, fingerprint) = match guichet_sync::split_ticket(&code) {
        Some((code, from_ticket)) if fingerprint.trim().is_empty() => {
            (code.to_owned(), from_ticket.to_owned())
        }
        _ => (code.trim().to_owned(), fingerprint),
    };
    let enrolled = guichet_sync::enroll(
        &data_dir,
        url.trim(),
        &code,
        &fingerprint,
        None,
        Some("guichet".into()),
    )
    .await;
    if let Err(error) = enrolled {
        // What the attempt set (the admin PIN) goes too: the message says what was kept.
        let kept = shell.kiosk().enrollment_failed();
        return Err(Problem::new(
            "ENROLL",
            format!("Inscription impossible : {error} ; {}", kept.fr),
            format!("Enrollment failed: {error}; {}", kept.en),
        ));
    }
    shell.kiosk().enrolled_now()?;
    shell.sync_now();
    Ok(snapshot_of(&shell))
}

/// The listing the admin chooses from; `import_update` takes only one of its entries.
#[tauri::command(async)]
fn update_files(shell: State<'_, Shell>) -> Vec<PathBuf> {
    shell.kiosk().update_files()
}

#[tauri::command(async)]
fn import_update(app: AppHandle, shell: State<'_, Shell>, path: PathBuf) -> Answer<UpdateSummary> {
    let summary = shell.kiosk().import_update(&path);
    shell.emit_status(&app);
    summary
}

#[tauri::command(async)]
fn issuer_keys(shell: State<'_, Shell>) -> Vec<IssuerKeyView> {
    shell.kiosk().issuer_keys()
}

#[tauri::command]
fn sync_now(shell: State<'_, Shell>) {
    shell.sync_now();
}

#[tauri::command(async)]
fn save_settings(app: AppHandle, shell: State<'_, Shell>, settings: Settings) -> Answer<Snapshot> {
    let fullscreen = settings.fullscreen;
    let autostart = settings.autostart;
    shell.kiosk().save_settings(settings)?;
    if let (Ok(exe), Some(dir)) = (
        std::env::current_exe(),
        guichet_kiosk::autostart::autostart_dir(),
    ) {
        guichet_kiosk::autostart::apply(autostart, &exe, &dir)?;
    }
    if let Some(window) = app.get_webview_window("main") {
        super::kiosk_mode::apply(&window, fullscreen);
    }
    shell.restart_camera(&app);
    Ok(snapshot_of(&shell))
}

/// `doctor`: the report of `guichet doctor`, for the administration screen (admin only).
#[tauri::command]
async fn doctor(app: AppHandle) -> Answer<guichet_kiosk::doctor::Report> {
    let shell = app.state::<Shell>();
    let setup = {
        let mut kiosk = shell.kiosk();
        let camera = super::camera::effective_setting(kiosk.settings());
        kiosk.doctor_setup(camera, Timestamp::now())?
    };
    Ok(guichet_kiosk::doctor::examine(&setup).await)
}

/// `quit`: closes the app, if the kiosk says it may be left (in kiosk mode, the admin PIN).
#[tauri::command]
fn quit(app: AppHandle, shell: State<'_, Shell>) -> Answer<()> {
    shell.kiosk().may_leave()?;
    tracing::info!("quit from the window");
    app.exit(0);
    Ok(())
}
