//! The routing policy, table-tested: every package × checkout mode × global
//! switch × hint × customer country × allow/block list × EPv2 switch the
//! integration document constrains, against the document's rules written
//! out plainly below.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::domain::merchant::{CheckoutMode, Merchant, Package};

fn merchant(package: Package, mode: CheckoutMode, crypto: bool) -> Merchant {
    Merchant {
        id: 88,
        email: "m@shop.example".into(),
        package,
        checkout_mode: mode,
        country: Some("NL".into()),
        crypto_enabled: crypto,
        disabled: false,
        payout_wallets: crate::domain::payout_wallet::PayoutWallets::default(),
        webhook_url: None,
        branding: crate::domain::branding::Branding::default(),
        domains: vec![],
    }
}

/// Live table; MoonPay, Transak, Revolut, iDEAL, bank transfer and the EPv2
/// list configured (Ramp, Wert and Robinhood have no credentials).
fn states() -> ProviderStates {
    ProviderStates {
        configured: [
            Provider::Moonpay,
            Provider::Transak,
            Provider::Revolut,
            Provider::Ideal,
            Provider::BankTransfer,
            Provider::Epv2,
        ]
        .into(),
        unhealthy: Default::default(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Rules {
    None,
    BlockCardMethod,
    BlockMoonpay,
    AllowOnlyTransak,
}

fn config(rules: Rules, epv2_active: bool) -> RoutingConfig {
    let mut c = RoutingConfig::defaults(false);
    c.epv2.active = epv2_active;
    let mut r = MerchantRules::default();
    match rules {
        Rules::None => {}
        Rules::BlockCardMethod => {
            r.block_methods.insert(Method::Card);
        }
        Rules::BlockMoonpay => {
            r.block_providers.insert(Provider::Moonpay);
        }
        Rules::AllowOnlyTransak => {
            r.allow_providers.insert(Provider::Transak);
        }
    }
    c.merchants.insert(88, r);
    c
}

/// The document's rules, stated directly.
fn expected(
    package: Package,
    mode: CheckoutMode,
    global: bool,
    hint: Option<&str>,
    country: Option<&str>,
    rules: Rules,
    epv2_active: bool,
) -> Option<Provider> {
    let hint = hint?;
    if hint == "crypto" {
        return Some(Provider::Crypto); // crypto checkout is enabled for this merchant
    }
    let (method, list): (Method, &[Provider]) = match hint {
        "card" => (
            Method::Card,
            &[
                Provider::Moonpay,
                Provider::Transak,
                Provider::RampNetwork,
                Provider::Wert,
                Provider::Robinhood,
            ],
        ),
        "moonpay" => (Method::Card, &[Provider::Moonpay]),
        "wert" => (Method::Card, &[Provider::Wert]),
        "paypal" => (Method::Paypal, &[Provider::Moonpay]),
        "revolut" => (Method::Revolut, &[Provider::Revolut]),
        "bank" => (
            Method::Bank,
            &[Provider::BankTransfer, Provider::RampNetwork],
        ),
        "ideal" => (Method::Ideal, &[Provider::Ideal]),
        "other" | "epv2" => (Method::Other, &[Provider::Epv2]),
        _ => return None, // unknown hints are ignored
    };
    let smart = global && package != Package::Free && mode == CheckoutMode::SmartRouter;
    if !smart
        || (method == Method::Other && !epv2_active)
        || (method == Method::Ideal && country != Some("NL"))
        || (method == Method::Card && rules == Rules::BlockCardMethod)
    {
        return None;
    }
    let configured = states().configured;
    list.iter().copied().find(|p| {
        configured.contains(p)
            && match rules {
                Rules::BlockMoonpay => *p != Provider::Moonpay,
                Rules::AllowOnlyTransak => *p == Provider::Transak,
                Rules::None | Rules::BlockCardMethod => true,
            }
    })
}

#[test]
fn every_constrained_combination_routes_as_the_document_says() {
    let hints = [
        None,
        Some("card"),
        Some("paypal"),
        Some("revolut"),
        Some("bank"),
        Some("ideal"),
        Some("other"),
        Some("moonpay"),
        Some("wert"),
        Some("epv2"),
        Some("crypto"),
        Some("bitcoin-atm"),
    ];
    let mut checked = 0;
    for package in [Package::Free, Package::Pro, Package::Unlimited] {
        for mode in [CheckoutMode::Standard, CheckoutMode::SmartRouter] {
            for global in [false, true] {
                for rules in [
                    Rules::None,
                    Rules::BlockCardMethod,
                    Rules::BlockMoonpay,
                    Rules::AllowOnlyTransak,
                ] {
                    for epv2_active in [false, true] {
                        let m = merchant(package, mode, true);
                        let config = config(rules, epv2_active);
                        let states = states();
                        let ctx = RouteContext {
                            merchant: &m,
                            config: &config,
                            states: &states,
                            setting_enabled: global,
                        };
                        for hint in hints {
                            for country in [Some("NL"), Some("DE"), None] {
                                let d = decide(&ctx, hint, Audience::Customer(country));
                                let want = expected(
                                    package,
                                    mode,
                                    global,
                                    hint,
                                    country,
                                    rules,
                                    epv2_active,
                                );
                                let case = format!(
                                    "{package:?} {mode:?} global={global} {rules:?} epv2={epv2_active} hint={hint:?} country={country:?}: {}",
                                    d.describe()
                                );
                                assert_eq!(d.candidates.first().copied(), want, "{case}");
                                assert_eq!(d.reason == Reason::Resolved, want.is_some(), "{case}");
                                assert_eq!(
                                    d.smart_route,
                                    global
                                        && package != Package::Free
                                        && mode == CheckoutMode::SmartRouter,
                                    "{case}"
                                );
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 3 * 2 * 2 * 4 * 2 * 12 * 3);
}

#[test]
fn me_php_and_the_decision_agree_for_every_method() {
    for package in [Package::Free, Package::Pro, Package::Unlimited] {
        for mode in [CheckoutMode::Standard, CheckoutMode::SmartRouter] {
            for rules in [
                Rules::None,
                Rules::BlockCardMethod,
                Rules::BlockMoonpay,
                Rules::AllowOnlyTransak,
            ] {
                for epv2_active in [false, true] {
                    let m = merchant(package, mode, false);
                    let config = config(rules, epv2_active);
                    let states = states();
                    let ctx = RouteContext {
                        merchant: &m,
                        config: &config,
                        states: &states,
                        setting_enabled: true,
                    };
                    let caps = capabilities(&ctx);
                    for c in caps.methods {
                        let d = decide(
                            &ctx,
                            Some(c.method.as_str()),
                            Audience::Customer(Some("NL")),
                        );
                        assert_eq!(
                            c.available,
                            d.reason == Reason::Resolved,
                            "{package:?} {mode:?} {rules:?} epv2={epv2_active} {:?}: {}",
                            c.method,
                            d.describe()
                        );
                        assert!(!c.available || (c.enabled && c.configured));
                    }
                }
            }
        }
    }
}

fn pro() -> Merchant {
    merchant(Package::Pro, CheckoutMode::SmartRouter, false)
}

#[test]
fn an_unhealthy_provider_is_passed_over_for_the_next_in_priority() {
    let m = pro();
    let config = RoutingConfig::defaults(false);
    let mut states = states();
    states.unhealthy.insert(Provider::Moonpay);
    let ctx = RouteContext {
        merchant: &m,
        config: &config,
        states: &states,
        setting_enabled: true,
    };

    let d = decide(&ctx, Some("card"), Audience::Customer(None));

    assert_eq!(d.candidates, vec![Provider::Transak]);
    assert_eq!(d.describe(), "resolved; skipped moonpay (unhealthy)");
    let only = decide(&ctx, Some("moonpay"), Audience::Customer(None));
    assert_eq!(only.reason, Reason::NoUsableProvider);
}

#[test]
fn partner_split_tries_the_reseller_checkout_before_the_provider_list() {
    let m = pro();
    let mut config = RoutingConfig::defaults(false);
    config.epv2 = Epv2Switches {
        active: true,
        partner_split: true,
    };
    let mut states = states();
    states.configured.insert(Provider::Epv2Partner);
    let ctx = RouteContext {
        merchant: &m,
        config: &config,
        states: &states,
        setting_enabled: true,
    };
    for hint in ["other", "epv2"] {
        let d = decide(&ctx, Some(hint), Audience::Customer(None));
        assert_eq!(
            d.candidates,
            vec![Provider::Epv2Partner, Provider::Epv2],
            "{hint}"
        );
    }
    // Without a reseller configured, the v2 list alone.
    let mut without = states.clone();
    without.configured.remove(&Provider::Epv2Partner);
    let ctx = RouteContext {
        states: &without,
        ..ctx
    };
    assert_eq!(
        decide(&ctx, Some("other"), Audience::Customer(None)).candidates,
        vec![Provider::Epv2]
    );
}

#[test]
fn reasons_name_what_stopped_the_route() {
    let cases = [
        (
            Package::Free,
            CheckoutMode::SmartRouter,
            Some("card"),
            Some("NL"),
            Reason::PackageNotAllowed,
        ),
        (
            Package::Pro,
            CheckoutMode::Standard,
            Some("card"),
            Some("NL"),
            Reason::StandardCheckoutMode,
        ),
        (
            Package::Pro,
            CheckoutMode::SmartRouter,
            None,
            Some("NL"),
            Reason::NoHint,
        ),
        (
            Package::Pro,
            CheckoutMode::SmartRouter,
            Some("cash"),
            Some("NL"),
            Reason::UnknownHint,
        ),
        (
            Package::Pro,
            CheckoutMode::SmartRouter,
            Some("ideal"),
            Some("DE"),
            Reason::CountryNotEligible,
        ),
        (
            Package::Pro,
            CheckoutMode::SmartRouter,
            Some("ideal"),
            None,
            Reason::CountryUnknown,
        ),
        (
            Package::Pro,
            CheckoutMode::SmartRouter,
            Some("epv2"),
            None,
            Reason::Epv2Inactive,
        ),
        (
            Package::Pro,
            CheckoutMode::SmartRouter,
            Some("wert"),
            None,
            Reason::MethodNotConfigured,
        ),
        (
            Package::Pro,
            CheckoutMode::SmartRouter,
            Some("crypto"),
            None,
            Reason::CryptoNotEnabled,
        ),
    ];
    let config = RoutingConfig::defaults(false);
    let states = states();
    for (package, mode, hint, country, reason) in cases {
        let m = merchant(package, mode, false);
        let ctx = RouteContext {
            merchant: &m,
            config: &config,
            states: &states,
            setting_enabled: true,
        };
        assert_eq!(
            decide(&ctx, hint, Audience::Customer(country)).reason,
            reason,
            "{hint:?}"
        );
    }
    let m = pro();
    let ctx = RouteContext {
        merchant: &m,
        config: &config,
        states: &states,
        setting_enabled: false,
    };
    assert_eq!(
        decide(&ctx, Some("card"), Audience::Customer(None)).reason,
        Reason::GlobalSwitchOff
    );
    let mut on = config.clone();
    on.enabled_global = Some(true);
    let ctx = RouteContext { config: &on, ..ctx };
    assert_eq!(
        decide(&ctx, Some("card"), Audience::Customer(None)).reason,
        Reason::Resolved
    );
}

#[test]
fn a_slug_outside_its_home_table_routes_under_the_method_that_lists_it() {
    let m = pro();
    let mut config = RoutingConfig::defaults(false);
    config.table.insert(Method::Card, vec![Provider::Transak]);
    config.table.insert(Method::Paypal, vec![Provider::Moonpay]);
    let states = states();
    let ctx = RouteContext {
        merchant: &m,
        config: &config,
        states: &states,
        setting_enabled: true,
    };

    let d = decide(&ctx, Some("moonpay"), Audience::Customer(None));

    assert_eq!(
        (d.method, d.candidates),
        (Some(Method::Paypal), vec![Provider::Moonpay])
    );
}
