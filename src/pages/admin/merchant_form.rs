//! The merchant page's forms and figures: what each posted group means
//! for `app::merchants::admin` (checkboxes, radio buttons, comma-separated
//! slugs), how a refusal is shown (beside the field it names), and the
//! merchant as the page shows it. Pure reading and wording; it must not
//! check a field the app functions check (package, country, slugs).

use crate::app::merchants::admin::{AdminError, MerchantDetail, PlanFields};
use crate::app::merchants::{FieldError, MerchantError};
use crate::app::routing_admin::RoutingAdminError;
use crate::clock::format_doc_time;
use crate::domain::routing::merchant_edit::listable_providers;
use crate::pages::dashboard::error::DashError;
use crate::pages::dashboard::form::{FieldErrors, Form};

/// Why a change did not happen.
pub enum Refused {
    NotFound,
    /// Shown beside the fields.
    Input(FieldErrors),
    Failed(DashError),
}

fn input(field: &'static str, message: impl Into<String>) -> Refused {
    let mut errors = FieldErrors::default();
    errors.add(field, message);
    Refused::Input(errors)
}

impl From<AdminError> for Refused {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Merchant(e) => match e {
                MerchantError::NotFound(_) => Refused::NotFound,
                MerchantError::Field(f) => match &f {
                    FieldError::Package(_) => input("package", f.to_string()),
                    FieldError::CheckoutMode(_) => input("checkout_mode", f.to_string()),
                    FieldError::Country(_) => input("country", f.to_string()),
                    FieldError::Email(_)
                    | FieldError::Domain(_)
                    | FieldError::PayoutWallet(_)
                    | FieldError::WebhookStatus(_)
                    | FieldError::Branding { .. } => {
                        Refused::Failed(DashError::Unexpected(anyhow::Error::new(f)))
                    }
                },
                MerchantError::Store(e) => Refused::Failed(e.into()),
                other @ (MerchantError::WebhookUrl(_)
                | MerchantError::EmailTaken(_)
                | MerchantError::Password(_)
                | MerchantError::NoPendingWalletChange(_)
                | MerchantError::NoWebhookEndpoint(_)
                | MerchantError::EventNotFound(_)) => {
                    Refused::Failed(DashError::Unexpected(anyhow::Error::new(other)))
                }
            },
            AdminError::Routing(e) => match e {
                RoutingAdminError::MerchantRules(_) => input("providers", e.to_string()),
                RoutingAdminError::PartnerNotConfigured => input(
                    "partner_split",
                    "Partner split needs the partner checkout URL and partner id: set them under Smart Routing first.",
                ),
                RoutingAdminError::Busy | RoutingAdminError::Stored { .. } => {
                    input("providers", e.to_string())
                }
                RoutingAdminError::Store(e) => Refused::Failed(e.into()),
                other @ (RoutingAdminError::File(_)
                | RoutingAdminError::Edit(_)
                | RoutingAdminError::Credential(_)) => {
                    Refused::Failed(DashError::Unexpected(anyhow::Error::new(other)))
                }
            },
        }
    }
}

/// The confirmation after a saved change.
pub fn notice_for(done: &str) -> Option<String> {
    let text = match done {
        "plan" => "Plan and checkout saved.",
        "providers" => "Provider lists saved: the router offers the change at once.",
        "partner" => "Partner split saved.",
        "disabled" => "Merchant disabled: its API calls now answer merchant_disabled.",
        "enabled" => "Merchant enabled: its API keys work again.",
        _ => return None,
    };
    Some(text.into())
}

fn checked(form: &Form, name: &str) -> bool {
    matches!(form.get(name), Some("1" | "on" | "true"))
}

/// The plan group: every field is posted, an unchecked box means off.
pub fn plan(form: &Form) -> PlanFields {
    PlanFields {
        package: Some(form.text("package")),
        checkout_mode: Some(form.text("checkout_mode")),
        country: Some(form.text("country")),
        crypto_enabled: Some(checked(form, "crypto")),
    }
}

/// Slugs separated by commas, spaces or lines.
fn slugs(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n', '\r', '\t', ';'])
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The allow and block lists as typed.
pub fn provider_lists(form: &Form) -> (Vec<String>, Vec<String>) {
    (slugs(&form.text("allow")), slugs(&form.text("block")))
}

/// `follow`, `on` or `off`.
pub fn partner_split(form: &Form) -> Result<Option<bool>, Refused> {
    match form.get("partner_split") {
        Some("follow") => Ok(None),
        Some("on") => Ok(Some(true)),
        Some("off") => Ok(Some(false)),
        _ => Err(input(
            "partner_split",
            "Choose whether this merchant follows the global switch, always or never uses partner split.",
        )),
    }
}

/// `disable` or `enable`.
pub fn disabled(form: &Form) -> Result<bool, Refused> {
    match form.get("action") {
        Some("disable") => Ok(true),
        Some("enable") => Ok(false),
        _ => Err(Refused::NotFound),
    }
}

/// The slugs a list may hold, for the hint.
pub fn known_providers() -> String {
    listable_providers()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One API key's line.
#[derive(Debug, Clone)]
pub struct KeyLine {
    pub prefix: String,
    pub label: String,
    pub created: String,
    pub last_used: String,
    pub revoked: bool,
}

/// The merchant as the page shows it.
#[derive(Debug, Clone)]
pub struct View {
    pub id: i64,
    pub name: Option<String>,
    pub email: String,
    pub domains: Vec<String>,
    pub disabled: bool,
    pub package: &'static str,
    pub mode: &'static str,
    pub country: Option<String>,
    pub crypto: bool,
    pub payout_wallet: Option<String>,
    pub webhook_url: Option<String>,
    pub created: String,
    pub updated: String,
    pub keys: Vec<KeyLine>,
    pub active_keys: usize,
    pub allow: String,
    pub block: String,
    /// `follow`, `on` or `off`.
    pub partner_choice: &'static str,
    pub partner_global: bool,
    pub partner_effective: bool,
}

impl View {
    pub fn of(d: &MerchantDetail, now_ms: i64) -> View {
        let m = d.merchant();
        let list = |set: &std::collections::BTreeSet<crate::domain::routing::Provider>| {
            set.iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        View {
            id: m.id,
            name: m
                .branding
                .display_name
                .as_ref()
                .map(|n| n.as_str().to_string()),
            email: m.email.clone(),
            domains: m.domains.clone(),
            disabled: m.disabled,
            package: m.package.as_str(),
            mode: m.checkout_mode.as_str(),
            country: m.country.clone(),
            crypto: m.crypto_enabled,
            payout_wallet: m.payout_wallets.in_force_at(now_ms).map(str::to_string),
            webhook_url: m.webhook_url.clone(),
            created: format_doc_time(d.listed.created_at_ms),
            updated: format_doc_time(d.listed.updated_at_ms),
            active_keys: d.keys.iter().filter(|k| k.is_active()).count(),
            keys: d
                .keys
                .iter()
                .map(|k| KeyLine {
                    prefix: k.prefix.clone(),
                    label: k.label.clone().unwrap_or_default(),
                    created: format_doc_time(k.created_at),
                    last_used: k
                        .last_used_at
                        .map_or_else(|| "never".into(), format_doc_time),
                    revoked: !k.is_active(),
                })
                .collect(),
            allow: list(&d.rules.allow_providers),
            block: list(&d.rules.block_providers),
            partner_choice: match d.rules.partner_split {
                None => "follow",
                Some(true) => "on",
                Some(false) => "off",
            },
            partner_global: d.partner_split_global,
            partner_effective: d.partner_split(),
        }
    }
}

/// The values each form shows: the stored ones, or what was typed into a
/// refused form.
#[derive(Debug, Clone)]
pub struct Typed {
    pub package: String,
    pub checkout_mode: String,
    pub country: String,
    pub crypto: bool,
    pub allow: String,
    pub block: String,
}

impl Typed {
    pub fn of(view: &View) -> Typed {
        Typed {
            package: view.package.into(),
            checkout_mode: view.mode.into(),
            country: view.country.clone().unwrap_or_default(),
            crypto: view.crypto,
            allow: view.allow.clone(),
            block: view.block.clone(),
        }
    }

    /// Puts back what was typed into the refused `group`.
    pub fn overwrite(&mut self, group: &str, form: &Form) {
        match group {
            "plan" => {
                self.package = form.text("package");
                self.checkout_mode = form.text("checkout_mode");
                self.country = form.text("country");
                self.crypto = checked(form, "crypto");
            }
            "providers" => {
                self.allow = form.text("allow");
                self.block = form.text("block");
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_split_on_commas_spaces_and_lines() {
        assert_eq!(
            slugs("moonpay, wert\ntransak;;"),
            ["moonpay", "wert", "transak"]
        );
        assert!(slugs(" , ").is_empty());
    }

    #[test]
    fn an_unchecked_crypto_box_means_off_and_a_blank_country_clears() {
        let plan = plan(&Form::parse(b"package=pro&checkout_mode=standard&country="));
        assert_eq!(plan.crypto_enabled, Some(false));
        assert_eq!(plan.country.as_deref(), Some(""));
    }
}
