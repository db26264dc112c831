//! A real headless Chromium (Debian's `chromium` + `chromium-driver`) driven through WebDriver.

use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running chromedriver, stopped on drop.
pub struct Driver {
    child: Child,
    pub url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_binary(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in names {
        for dir in std::env::split_paths(&path).chain([
            PathBuf::from("/usr/bin"),
            PathBuf::from("/usr/lib/chromium"),
        ]) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// Starts chromedriver on a free port and waits (at most 20 s) until it answers.
pub async fn start_driver() -> Driver {
    let bin = find_binary(&["chromedriver"]).expect(
        "chromedriver not found: install Debian's chromium and chromium-driver (.ci/run does)",
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    // From here the Driver owns the child, and its Drop kills and waits for it.
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = reqwest::Client::new();
    while Instant::now() < deadline {
        if client
            .get(format!("{}/status", driver.url))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer within 20 s");
}

/// A headless Chromium session with a fresh profile.
pub async fn browser(driver: &Driver, profile: &Path) -> Client {
    // Two TLS back ends are linked in (ring, aws-lc); pick one for the WebDriver client.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let chromium = find_binary(&["chromium", "chromium-browser"]).expect("chromium not found");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--no-first-run",
                "--disable-sync", "--disable-quic", "--window-size=1280,900", "--lang=it-IT",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    // The console, for [`console_messages`].
    caps.insert(
        "goog:loggingPrefs".into(),
        serde_json::json!({"browser": "ALL"}),
    );
    ClientBuilder::rustls()
        .expect("tls")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a browser session")
}

/// Waits (at most 15 s) for an element.
pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("element {css} did not appear: {e}"))
}

/// Waits (at most 15 s) until an element's text satisfies `pred`; returns the text.
pub async fn wait_for_text(client: &Client, css: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok(el) = client.find(Locator::Css(css)).await
            && let Ok(text) = el.text().await
        {
            if pred(&text) {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} never had the expected text; last seen: {last:?}");
}

/// Saves a PNG screenshot under `target/browser/` and returns its path.
pub async fn screenshot(client: &Client, name: &str) -> PathBuf {
    let dir = crate::workspace_root().join("target/browser");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, client.screenshot().await.expect("screenshot")).unwrap();
    path
}

/// Clicks an element (waiting for it).
pub async fn click(client: &Client, css: &str) {
    wait_for(client, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click on {css}: {e}"));
}

/// Replaces an input's text.
pub async fn type_into(client: &Client, css: &str, text: &str) {
    let el = wait_for(client, css).await;
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

/// Chooses an option of a select (waiting for the option: lists often load after the page).
pub async fn select(client: &Client, css: &str, value: &str) {
    wait_for(client, &format!("{css} option[value='{value}']")).await;
    wait_for(client, css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
}

/// Sets an input's value as the browser's picker would (date inputs are typed differently in
/// each locale) and tells the page with an `input` event.
pub async fn set_value(client: &Client, css: &str, value: &str) {
    wait_for(client, css).await;
    client
        .execute(
            "const el = document.querySelector(arguments[0]); el.value = arguments[1]; \
             el.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![css.into(), value.into()],
        )
        .await
        .unwrap_or_else(|e| panic!("set {css}: {e}"));
}

/// Signs in as a demo account and waits for its name in the header.
pub async fn log_in_demo(client: &Client, app_url: &str, email: &str, name: &str) {
    client.goto(&format!("{app_url}/accedi")).await.unwrap();
    type_into(client, "#email", email).await;
    type_into(client, "#password", crate::DEMO_PASSWORD).await;
    click(client, "#login-submit").await;
    wait_for_text(client, "#user-name", |t| t.contains(name)).await;
}

/// Signs out and waits for the login form.
pub async fn log_out(client: &Client) {
    click(client, "#logout").await;
    wait_for(client, "#login-submit").await;
}

/// The browser console's messages since the last call (chromedriver's log endpoint), such as
/// "Refused to execute inline script because it violates the following Content Security Policy".
pub async fn console_messages(driver: &Driver, client: &Client) -> Vec<String> {
    let session = client
        .session_id()
        .await
        .expect("session id")
        .expect("a session");
    let res: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/session/{session}/se/log", driver.url))
        .json(&serde_json::json!({"type": "browser"}))
        .send()
        .await
        .expect("chromedriver answers")
        .json()
        .await
        .expect("a log");
    res["value"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["level"].as_str().unwrap_or_default(),
                        e["message"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
