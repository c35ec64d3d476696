//! Which address a request came from, for login throttling, rate limits
//! and the security log.
//!
//! The TCP peer is the client unless it is one of the operator's trusted
//! proxies (`KASSA_TRUSTED_PROXIES`, CIDRs, none by default); only then is
//! `X-Forwarded-For` read, from the right, skipping further trusted hops.
//! Anyone can send the header, so it is never believed from an untrusted
//! peer. Pure: the caller passes the peer and the header's value.

use std::net::IpAddr;

use ipnet::IpNet;

/// The operator's trusted proxies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A CIDR (or bare address) that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not an IP address or CIDR block")]
pub struct BadCidr(pub String);

impl TrustedProxies {
    /// Parses a comma- or space-separated list of CIDRs or addresses.
    pub fn parse(list: &str) -> Result<TrustedProxies, BadCidr> {
        list.split([',', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| BadCidr(s.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer, or when the peer is trusted, the
    /// right-most `X-Forwarded-For` entry that is not itself trusted.
    pub fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let Some(header) = forwarded_for else {
            return peer;
        };
        let mut client = peer;
        for hop in header.rsplit(',') {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                // A malformed hop: stop at the last address we could trust.
                return client;
            };
            client = canonical(ip);
            if !self.trusts(client) {
                return client;
            }
        }
        client
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) as plain IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.9"), Some("1.1.1.1")),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_passes_on_the_first_untrusted_hop_from_the_right() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.168.1.1").unwrap();
        assert_eq!(
            t.client(ip("10.1.2.3"), Some("6.6.6.6, 198.51.100.7, 192.168.1.1")),
            ip("198.51.100.7")
        );
        assert_eq!(t.client(ip("10.1.2.3"), None), ip("10.1.2.3"));
        assert_eq!(t.client(ip("10.1.2.3"), Some("junk")), ip("10.1.2.3"));
    }

    #[test]
    fn mapped_ipv6_peers_match_ipv4_blocks() {
        let t = TrustedProxies::parse("127.0.0.1").unwrap();
        assert_eq!(
            t.client(ip("::ffff:127.0.0.1"), Some("203.0.113.5")),
            ip("203.0.113.5")
        );
    }

    #[test]
    fn a_bad_block_is_refused_with_its_text() {
        let err = TrustedProxies::parse("10.0.0.0/8, nonsense").unwrap_err();
        assert_eq!(err.0, "nonsense");
    }
}
