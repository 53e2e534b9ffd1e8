//! The real kiosk window for the window tests: an Xvfb display, tauri-driver (WebKitWebDriver)
//! on free ports inside it, and a WebDriver session running the `guichet` binary under test.

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

use crate::{find_on_path, guichet_bin, xvfb_run, ProcessGroup};

/// How long a session may take to open.
const SESSION_WAIT: Duration = Duration::from_secs(60);

/// How long the display may take to start.
const DISPLAY_WAIT: Duration = Duration::from_secs(30);

/// How long [`Session::wait_js`] waits for the page.
pub const PAGE_WAIT: Duration = Duration::from_secs(30);

/// A WebDriver session on the kiosk window, inside its own Xvfb.
pub struct Session {
    client: Option<Client>,
    driver: ProcessGroup,
    /// `DISPLAY` and `XAUTHORITY` of the Xvfb, for the X tools a test drives.
    pub x_env: Vec<(String, String)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Session {
    /// Starts Xvfb (1280×800, with `extra_server_args` such as `-noreset`), tauri-driver in it
    /// and a session on the kiosk whose data directory is `data_dir`, with `env` added to the
    /// app's environment.
    pub async fn open(
        data_dir: &Path,
        extra_server_args: &str,
        env: &[(&str, OsString)],
    ) -> Session {
        let tauri_driver = find_on_path("tauri-driver")
            .or_else(|| {
                let home = std::env::var_os("HOME")?;
                let path = PathBuf::from(home).join(".cargo/bin/tauri-driver");
                path.exists().then_some(path)
            })
            .expect("tauri-driver is missing: `make setup` installs it");
        let (port, native) = (free_port(), free_port());
        let mut cmd = Command::new(xvfb_run());
        cmd.args([
            "-a",
            "-s",
            &format!("-screen 0 1280x800x24 {extra_server_args}"),
            "sh",
            "-c",
        ])
        .arg(r#"echo "x: $DISPLAY $XAUTHORITY" && exec "$0" --port "$1" --native-port "$2""#)
        .arg(tauri_driver)
        .arg(port.to_string())
        .arg(native.to_string())
        .env("GUICHET_DATA_DIR", data_dir);
        for (name, value) in env {
            cmd.env(name, value);
        }
        let mut driver = ProcessGroup::spawn(cmd);
        let x = driver
            .wait_for_line_starting("x: ", DISPLAY_WAIT)
            .unwrap_or_else(|e| panic!("Xvfb did not start: {e}"));
        let mut x = x.split_whitespace();
        let x_env = ["DISPLAY", "XAUTHORITY"]
            .iter()
            .map(|name| (name.to_string(), x.next().unwrap_or_default().to_string()))
            .collect();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("wry"));
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": guichet_bin() }),
        );
        let url = format!("http://127.0.0.1:{port}");
        let start = Instant::now();
        let client = loop {
            let attempt = ClientBuilder::rustls()
                .expect("rustls")
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match attempt {
                Ok(client) => break client,
                Err(e) if start.elapsed() > SESSION_WAIT => {
                    panic!("no WebDriver session: {e}; {:?}", driver.stderr_tail())
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
            }
        };
        Session {
            client: Some(client),
            driver,
            x_env,
        }
    }

    /// The WebDriver client.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("the session is open")
    }

    /// Runs `script` in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.client()
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits at most `limit` for `script` to return true; says whether it did.
    pub async fn wait_js_for(&self, script: &str, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Ok(Value::Bool(true)) = self.client().execute(script, vec![]).await {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Waits at most [`PAGE_WAIT`] for `script` to return true; fails with the page's error
    /// line.
    pub async fn wait_js(&self, script: &str) {
        if !self.wait_js_for(script, PAGE_WAIT).await {
            let error = self
                .client()
                .execute(
                    "return document.getElementById('error')?.textContent",
                    vec![],
                )
                .await;
            panic!("timed out waiting for: {script}; #error = {error:?}");
        }
    }

    /// The process group of the driver, the app and its WebKit processes.
    pub fn processes(&self) -> &ProcessGroup {
        &self.driver
    }

    /// Closes the session first (or the app outlives the driver), then stops the driver.
    pub async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
        self.driver.kill();
    }
}
