//! SSRF guard for webhook targets: which addresses a delivery may reach.
//!
//! Loopback, private, link-local (cloud metadata), unique-local, CGNAT,
//! multicast, unspecified, reserved and documentation ranges are refused —
//! for IPv4, IPv6 and IPv4 embedded in IPv6 — unless the operator allowed
//! private targets explicitly. The HTTP client resolves names through
//! [`GuardedResolver`], so the address that was checked is the one connected
//! to (no second lookup a rebinding attack could change).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why a webhook URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("the webhook URL is not a valid absolute URL")]
    Malformed,
    #[error("webhook URLs must use https:// in live mode")]
    NotHttps,
    #[error("the webhook URL must use http:// or https://")]
    BadScheme,
    #[error("the webhook host resolves to a private or reserved address ({0})")]
    Private(IpAddr),
    #[error("the webhook host could not be resolved")]
    Unresolvable,
}

/// Whether an address is public (reachable on the internet, not ours to protect).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let blocked = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT (and Alibaba's metadata address)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240; // reserved
    !blocked
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    let blocked = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 metadata included)
        || (first & 0xffc0) == 0xfe80 // link local
        || (first & 0xffc0) == 0xfec0 // site local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8; // documentation
    !blocked
}

/// IPv4 carried inside IPv6: mapped (`::ffff:a.b.c.d`), compatible, or NAT64.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(tail);
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return Some(tail);
    }
    None
}

/// Checks a URL's form: scheme (https required in live mode) and host.
pub fn check_form(url: &str, https_only: bool) -> Result<url::Url, TargetError> {
    let parsed = url::Url::parse(url).map_err(|_| TargetError::Malformed)?;
    match parsed.scheme() {
        "https" => {}
        "http" if !https_only => {}
        "http" => return Err(TargetError::NotHttps),
        _ => return Err(TargetError::BadScheme),
    }
    if parsed.host().is_none() {
        return Err(TargetError::Malformed);
    }
    Ok(parsed)
}

/// Checks a URL's form and, when its host is a literal IP, that address
/// (without any DNS lookup, for synchronous callers).
pub fn check_literal(url: &str, https_only: bool, allow_private: bool) -> Result<(), TargetError> {
    let parsed = check_form(url, https_only)?;
    let literal = match parsed.host() {
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        _ => None,
    };
    match literal {
        Some(ip) if !allow_private && !is_public(ip) => Err(TargetError::Private(ip)),
        _ => Ok(()),
    }
}

/// Checks a URL fully: form, then every address its host resolves to.
pub async fn check_url(
    url: &str,
    https_only: bool,
    allow_private: bool,
) -> Result<(), TargetError> {
    let parsed = check_form(url, https_only)?;
    if allow_private {
        return Ok(());
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs = match parsed.host() {
        Some(url::Host::Ipv4(v4)) => vec![IpAddr::V4(v4)],
        Some(url::Host::Ipv6(v6)) => vec![IpAddr::V6(v6)],
        Some(url::Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map_err(|_| TargetError::Unresolvable)?
            .map(|a| a.ip())
            .collect(),
        None => return Err(TargetError::Malformed),
    };
    if addrs.is_empty() {
        return Err(TargetError::Unresolvable);
    }
    match addrs.into_iter().find(|ip| !is_public(*ip)) {
        Some(bad) => Err(TargetError::Private(bad)),
        None => Ok(()),
    }
}

/// A DNS resolver for the delivery client that drops non-public addresses,
/// so the connection goes only to an address that passed the check.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| allow_private || is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = match found.first() {
                    Some(a) => Box::new(TargetError::Private(a.ip())),
                    None => Box::new(TargetError::Unresolvable),
                };
                return Err(err);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_refused() {
        for bad in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.100.100.200",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "fc00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip(bad)), "{bad} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_allowed() {
        for good in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(good)), "{good} is public");
        }
    }

    #[test]
    fn live_mode_requires_https() {
        assert_eq!(
            check_form("http://shop.example/hook", true).unwrap_err(),
            TargetError::NotHttps
        );
        assert!(check_form("http://shop.example/hook", false).is_ok());
        assert_eq!(
            check_form("ftp://shop.example/", false).unwrap_err(),
            TargetError::BadScheme
        );
        assert_eq!(
            check_form("not a url", false).unwrap_err(),
            TargetError::Malformed
        );
    }

    #[actix_web::test]
    async fn literal_and_resolved_private_targets_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1/x",
            "http://10.0.0.1/x",
            "http://169.254.169.254/latest",
            "http://[::1]/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://localhost:9/x",
        ] {
            assert!(
                matches!(
                    check_url(url, false, false).await,
                    Err(TargetError::Private(_))
                ),
                "{url}"
            );
            assert!(
                check_url(url, false, true).await.is_ok(),
                "{url} allowed by the switch"
            );
        }
    }
}
