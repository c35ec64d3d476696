//! The client address of a request, for throttling and the security log:
//! the TCP peer, or what a trusted proxy forwarded (rules in
//! `domain::client_addr`). It must not be used to authenticate anyone.

use std::net::{IpAddr, Ipv4Addr};

use actix_web::HttpRequest;

use crate::domain::client_addr::TrustedProxies;

/// The request's client address.
pub fn client_ip(req: &HttpRequest, proxies: &TrustedProxies) -> IpAddr {
    let peer = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if proxies.is_empty() {
        return peer;
    }
    // Several X-Forwarded-For headers read as one list, in order.
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let joined = forwarded.join(",");
    proxies.client(peer, (!forwarded.is_empty()).then_some(joined.as_str()))
}
