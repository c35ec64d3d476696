//! The payment link form of the dashboard, as typed or as stored: the
//! amount kind (`fixed`, or `open` within a minimum and maximum) decides
//! which amount fields count. It only carries text; `app::links` checks it.

use super::catalog_form::local_input;
use super::form::Form;
use crate::app::links::LinkInput;
use crate::domain::payment_link::{LinkAmount, PaymentLink};

/// The link form's fields as typed (or as stored, when editing).
#[derive(Debug, Clone, Default)]
pub struct LinkForm {
    pub title: String,
    pub description: String,
    /// `fixed` or `open` (the customer chooses within min and max).
    pub kind: String,
    pub amount: String,
    pub min: String,
    pub max: String,
    pub currency: String,
    pub max_uses: String,
    pub expires: String,
    pub return_url: String,
}

impl LinkForm {
    pub fn read(form: &Form) -> LinkForm {
        LinkForm {
            title: form.text("title"),
            description: form.text("description"),
            kind: if form.get("kind") == Some("open") {
                "open"
            } else {
                "fixed"
            }
            .into(),
            amount: form.text("amount"),
            min: form.text("min"),
            max: form.text("max"),
            currency: form.text("currency"),
            max_uses: form.text("max_uses"),
            expires: form.text("expires"),
            return_url: form.text("return_url"),
        }
    }

    pub fn of(l: &PaymentLink) -> LinkForm {
        let (kind, amount, min, max) = match l.amount {
            LinkAmount::Fixed(m) => ("fixed", m.to_string(), String::new(), String::new()),
            LinkAmount::Open { min, max } => {
                ("open", String::new(), min.to_string(), max.to_string())
            }
        };
        LinkForm {
            title: l.title.clone(),
            description: l.description.clone(),
            kind: kind.into(),
            amount,
            min,
            max,
            currency: l.amount.currency().code().into(),
            max_uses: l.max_uses.map(|n| n.to_string()).unwrap_or_default(),
            expires: local_input(l.expires_at_ms),
            return_url: l.return_url.clone().unwrap_or_default(),
        }
    }

    /// What `app::links` checks; only the chosen kind's amounts count.
    pub fn input(&self, active: bool) -> LinkInput {
        let fixed = self.kind != "open";
        LinkInput {
            title: self.title.clone(),
            description: self.description.clone(),
            amount: if fixed {
                self.amount.clone()
            } else {
                String::new()
            },
            min: if fixed {
                String::new()
            } else {
                self.min.clone()
            },
            max: if fixed {
                String::new()
            } else {
                self.max.clone()
            },
            currency: self.currency.clone(),
            max_uses: self.max_uses.clone(),
            expires: self.expires.clone(),
            return_url: self.return_url.clone(),
            active,
        }
    }
}
