//! A browser-like client of the operator's console for the tests: its own cookie jar (read
//! from `Set-Cookie`, sent as `Cookie`), the headers a browser adds to a same-origin form post
//! (`Origin`, `Sec-Fetch-Site`), no redirect followed; and accounts made as
//! `account create` makes them.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::IpAddr;

use guichet_console::model::{AuditEntry, NewAccount, Role};
use guichet_console::secrets;
use guichet_platform::Store;
use jiff::Timestamp;

/// A password the test accounts share.
pub const PASSWORD: &str = "un mot de passe assez long";

/// An account made for a test: its name and TOTP secret.
#[derive(Clone, Debug)]
pub struct TestAccount {
    pub name: String,
    pub secret: String,
    pub recovery: Vec<String>,
}

impl TestAccount {
    /// The code an authenticator app shows `steps` time steps from now.
    pub fn code(&self, steps: i64) -> String {
        let at = Timestamp::now().as_second() + steps * 30;
        secrets::totp_code(&self.secret, at as u64).unwrap()
    }
}

/// Creates an account.
pub async fn create_account(store: &Store, name: &str, role: Role) -> TestAccount {
    create_account_of(store, name, role, None).await
}

/// Creates an account belonging to `center` (a center account's).
pub async fn create_account_of(
    store: &Store,
    name: &str,
    role: Role,
    center: Option<&str>,
) -> TestAccount {
    let secret = secrets::new_totp_secret().unwrap();
    let recovery = secrets::new_recovery_codes().unwrap();
    let account = NewAccount {
        name: name.to_owned(),
        role,
        password_hash: secrets::hash_password(PASSWORD).unwrap(),
        totp_secret: secret.clone(),
        recovery_hashes: recovery.iter().map(|c| secrets::recovery_hash(c)).collect(),
        center: center.map(str::to_owned),
    };
    let audit = AuditEntry {
        at: Timestamp::now().to_string(),
        account: None,
        role: None,
        address: "cli".into(),
        action: "account.create".into(),
        object: format!("account:{name}"),
        before: None,
        after: None,
    };
    store.create_account(&account, &audit).await.unwrap();
    TestAccount {
        name: name.to_owned(),
        secret,
        recovery,
    }
}

/// Form encoding (application/x-www-form-urlencoded).
pub fn form_body(fields: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf_of(html: &str) -> String {
    let start = html
        .find("name=\"csrf\" value=\"")
        .unwrap_or_else(|| panic!("no form token in {html}"))
        + "name=\"csrf\" value=\"".len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

/// An answer: status, location, body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

/// A browser of the console.
pub struct Browser {
    pub base: String,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// Headers sent with every request (such as an `X-Forwarded-For` of its own choosing).
    pub headers: Vec<(String, String)>,
}

impl Browser {
    /// A browser of the platform at `base` (`http://127.0.0.1:PORT`).
    pub fn new(base: &str) -> Browser {
        Browser::from_address(base, None)
    }

    /// A browser connecting from the loopback address `from` (such as 127.0.0.2).
    pub fn from_address(base: &str, from: Option<IpAddr>) -> Browser {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(from)
            .build()
            .unwrap();
        Browser {
            base: base.to_owned(),
            client,
            cookies: BTreeMap::new(),
            headers: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn keep(&mut self, response: reqwest::Response) -> Answer {
        for value in response.headers().get_all("set-cookie") {
            let line = value.to_str().unwrap();
            let (pair, attributes) = line.split_once(';').unwrap_or((line, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let headers = response.headers().clone();
        Answer {
            status,
            location,
            headers,
            body: response.text().await.unwrap(),
        }
    }

    /// `GET path`.
    pub async fn get(&mut self, path: &str) -> Answer {
        let mut request = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header());
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.unwrap();
        self.keep(response).await
    }

    /// A form post as a browser sends it from the console's own page.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let origin = self.base.clone();
        self.post_with(
            path,
            fields,
            &[("origin", &origin), ("sec-fetch-site", "same-origin")],
        )
        .await
    }

    /// A form post with exactly these extra headers (an attacker's page, an old client).
    pub async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(fields));
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.keep(response).await
    }

    /// A `multipart/form-data` post as a browser sends a form with a file field from the
    /// console's own page: each part is a name, a file name (a file field) or none, and its
    /// content.
    pub async fn post_multipart(
        &mut self,
        path: &str,
        parts: &[(&str, Option<&str>, &str)],
    ) -> Answer {
        let origin = self.base.clone();
        self.post_multipart_with(
            path,
            parts,
            &[("origin", &origin), ("sec-fetch-site", "same-origin")],
        )
        .await
    }

    /// [`Browser::post_multipart`] with exactly these extra headers (an attacker's page).
    pub async fn post_multipart_with(
        &mut self,
        path: &str,
        parts: &[(&str, Option<&str>, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let boundary = "----guichet-test-boundary-7d9a1c";
        let mut body = String::new();
        for (name, file, value) in parts {
            body.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\""
            ));
            match file {
                Some(file) => body.push_str(&format!(
                    "; filename=\"{file}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )),
                None => body.push_str("\r\n\r\n"),
            }
            body.push_str(value);
            body.push_str("\r\n");
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.keep(response).await
    }

    /// The password step; the answer.
    pub async fn password(&mut self, name: &str, password: &str) -> Answer {
        let page = self.get("/console/login").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = csrf_of(&page.body);
        self.post(
            "/console/login",
            &[("csrf", &csrf), ("name", name), ("password", password)],
        )
        .await
    }

    /// The second-factor step; the answer.
    pub async fn second_factor(&mut self, code: &str) -> Answer {
        let page = self.get("/console/login/code").await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = csrf_of(&page.body);
        self.post("/console/login/code", &[("csrf", &csrf), ("code", code)])
            .await
    }

    /// Logs in with the password and the current code; asserts it worked.
    pub async fn login(&mut self, account: &TestAccount) {
        let answer = self.password(&account.name, PASSWORD).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(answer.location.as_deref(), Some("/console/login/code"));
        let answer = self.second_factor(&account.code(0)).await;
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(answer.location.as_deref(), Some("/console"));
    }

    /// The form token of the logged-in session (from a page that has forms).
    pub async fn csrf(&mut self) -> String {
        let page = self.get("/console/privilege").await;
        assert_eq!(page.status, 200, "{}", page.body);
        csrf_of(&page.body)
    }

    /// Opens privilege mode with the code of the next time step (the current one was used at
    /// login); asserts it worked.
    pub async fn elevate(&mut self, account: &TestAccount) {
        let csrf = self.csrf().await;
        let answer = self
            .post(
                "/console/privilege",
                &[
                    ("csrf", &csrf),
                    ("password", PASSWORD),
                    ("code", &account.code(1)),
                    ("back", "/console/devices"),
                ],
            )
            .await;
        assert_eq!(answer.status, 303, "{}", answer.body);
    }
}
