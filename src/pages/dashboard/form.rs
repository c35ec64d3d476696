//! A dashboard form as posted (`application/x-www-form-urlencoded`), read
//! under a size limit, and the errors a page shows next to each field.
//! It only reads; each page checks its own fields.

use actix_web::web;
use futures_util::StreamExt;

/// Largest form body a dashboard page accepts.
pub const MAX_FORM: usize = 16 * 1024;

/// The posted fields, in order.
#[derive(Debug, Default)]
pub struct Form(Vec<(String, String)>);

/// A body over [`MAX_FORM`] or one that broke off.
#[derive(Debug)]
pub struct FormTooLarge;

impl Form {
    /// Reads the body; `Err` when it is too large or cannot be read.
    pub async fn read(mut payload: web::Payload) -> Result<Form, FormTooLarge> {
        let mut body = web::BytesMut::new();
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|_| FormTooLarge)?;
            if body.len() + chunk.len() > MAX_FORM {
                return Err(FormTooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Form::parse(&body))
    }

    pub fn parse(body: &[u8]) -> Form {
        Form(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order (checkboxes).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().trim().to_string()
    }
}

/// Errors to show next to their fields, by field name.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The page's status: 200, or 422 when a field was refused.
    pub fn status(&self) -> actix_web::http::StatusCode {
        if self.is_empty() {
            actix_web::http::StatusCode::OK
        } else {
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
        }
    }

    /// The error of `field`, if any (templates call this).
    pub fn of(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Whether `field` has an error (templates set `aria-invalid`).
    pub fn has(&self, field: &str) -> bool {
        self.of(field).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_decode_and_the_first_wins() {
        let f = Form::parse(b"email=a%40b.example&x=1&x=2&p=a+b");
        assert_eq!(f.get("email"), Some("a@b.example"));
        assert_eq!(f.get("x"), Some("1"));
        assert_eq!(f.get("p"), Some("a b"));
        assert_eq!(f.text("missing"), "");
    }
}
