//! The sandbox on-ramp (sandbox mode only, the default provider there):
//! `{public_base}/sandbox/onramp?session=N&token=T`, where `T` is the
//! session's page token (`domain::page_token`). The page shows the amount
//! and, on "Pay", pays the session through the sandbox deposit path; it
//! checks the token with `PageSecret::verify`.

use super::{BuildError, OnRamp, WidgetRequest};
use crate::domain::page_token::PageSecret;
use crate::domain::routing::Provider;

pub struct SandboxOnRamp {
    public_base: String,
    secret: PageSecret,
}

impl SandboxOnRamp {
    pub fn new(public_base: &str, secret: PageSecret) -> Self {
        Self {
            public_base: public_base.trim_end_matches('/').to_string(),
            secret,
        }
    }
}

/// The sandbox on-ramp page URL of a session.
pub fn onramp_url(public_base: &str, secret: &PageSecret, session_id: i64) -> String {
    format!(
        "{}/sandbox/onramp?session={session_id}&token={}",
        public_base.trim_end_matches('/'),
        secret.token(session_id)
    )
}

impl OnRamp for SandboxOnRamp {
    fn provider(&self) -> Provider {
        Provider::Sandbox
    }

    fn widget_url(&self, req: &WidgetRequest<'_>) -> Result<String, BuildError> {
        Ok(onramp_url(&self.public_base, &self.secret, req.session_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::test_support::{param, request};

    #[test]
    fn the_sandbox_url_carries_the_session_and_its_token() {
        let secret = PageSecret::new(b"page".to_vec());
        let url = SandboxOnRamp::new("http://127.0.0.1:8080/", secret.clone())
            .widget_url(&request("EUR"))
            .unwrap();
        assert!(url.starts_with("http://127.0.0.1:8080/sandbox/onramp?session=4815162342&token="));
        assert!(secret.verify(4815162342, &param(&url, "token").unwrap()));
    }
}
