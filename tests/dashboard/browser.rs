//! A minimal browser for the dashboard tests: keeps the cookies the server
//! sets (name → value, deleted on Max-Age=0), sends them back, never
//! follows redirects, and reads the CSRF token out of the last page.

use std::collections::BTreeMap;

use crate::helpers::{Answer, TestApp, read};

pub struct Browser {
    base: String,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
    /// Extra headers on every request (e.g. X-Forwarded-For).
    pub extra: Vec<(String, String)>,
    /// The CSRF token of the last page that had a form.
    pub csrf: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            extra: Vec::new(),
            csrf: String::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Answer {
        let mut request = request.header("cookie", self.cookie_header());
        for (k, v) in &self.extra {
            request = request.header(k, v);
        }
        let answer = read(request.send().await.unwrap()).await;
        for set in answer.headers.get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attributes.to_ascii_lowercase().contains("max-age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        if let Some(token) = csrf_in(&answer.text) {
            self.csrf = token;
        }
        answer
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let request = self.client.get(format!("{}{path}", self.base));
        self.send(request).await
    }

    /// Posts `fields` plus the current CSRF token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf.clone();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Posts exactly `fields` (no CSRF token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Signs up with `email` and [`PASSWORD`]; returns the API key shown.
    pub async fn sign_up(&mut self, email: &str) -> String {
        let page = self.get("/dashboard/signup").await;
        assert_eq!(page.status, 200, "{}", page.text);
        let done = self
            .post(
                "/dashboard/signup",
                &[
                    ("email", email),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.text);
        api_key_in(&done.text).expect("the welcome page shows the API key")
    }

    /// Logs in; returns the answer (303 on success).
    pub async fn log_in(&mut self, email: &str, password: &str) -> Answer {
        self.get("/dashboard/login").await;
        self.post(
            "/dashboard/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

fn csrf_in(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_string()).filter(|t| !t.is_empty())
}

/// The API key on the welcome page.
pub fn api_key_in(html: &str) -> Option<String> {
    let at = html.find("id=\"api-key\">")? + "id=\"api-key\">".len();
    let end = html[at..].find('<')?;
    Some(html[at..at + end].to_string())
}

/// The `Location` of a redirect.
pub fn location(a: &Answer) -> String {
    a.headers
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}
