//! Whose request this is: the peer's address, or, behind a proxy the operator named
//! (`--trusted-proxy`), the client it forwarded for.
//!
//! `X-Forwarded-For` is only believed from a trusted peer, and read from the right: each
//! proxy appends the address it got the request from, so the rightmost entry that is not one
//! of our proxies is the client as far as our own proxies can vouch. Anything left of it was
//! written by the client itself and may be a lie; a client that sends `X-Forwarded-For:
//! 1.2.3.4` straight to Natter is just its own address.

use std::net::{IpAddr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request},
    http::HeaderMap,
};
use ipnet::IpNet;

/// The operator's proxies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&canonical(ip)))
    }

    /// The client of a request that came from `peer`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return canonical(peer);
        }
        let mut client = canonical(peer);
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            let Some(ip) = parse_hop(hop) else {
                // Garbage from beyond our proxies: the last address we could vouch for.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }

    /// The client of `request`, whose peer address axum put in its extensions. A request
    /// with none (served without connect info, as in some tests) counts as from 0.0.0.0.
    pub fn of(&self, request: &Request) -> IpAddr {
        let peer = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        self.client(peer, request.headers())
    }
}

/// `1.2.3.4`, `[::1]`, or either with a port, as proxies write them.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .or_else(|| {
            hop.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })
        .map(canonical)
}

/// Whose share of a per-address limit `ip` draws on: an IPv4 address, or an IPv6 address's
/// /64, since one host is routinely given a whole /64 and could otherwise pick a fresh
/// address, and bucket, for every request.
pub fn bucket(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
        v4 => v4,
    }
}

/// An IPv4 client reached over an IPv6 socket (`::ffff:1.2.3.4`) is the IPv4 client, so one
/// address gets one bucket whichever way it came.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for value in values {
            map.append("x-forwarded-for", value.parse().unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_are_their_own_address_whatever_they_claim() {
        let none = TrustedProxies::default();
        let claims = headers(&["1.2.3.4"]);
        assert_eq!(none.client(ip("203.0.113.9"), &claims), ip("203.0.113.9"));
        let other = TrustedProxies(vec!["10.0.0.0/8".parse().unwrap()]);
        assert_eq!(other.client(ip("203.0.113.9"), &claims), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies(vec![
            "127.0.0.1/32".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ]);
        let peer = ip("127.0.0.1");
        // The client lied about 6.6.6.6; our nginx (10.1.1.1) saw 198.51.100.7.
        let chain = headers(&["6.6.6.6, 198.51.100.7", "10.1.1.1"]);
        assert_eq!(proxies.client(peer, &chain), ip("198.51.100.7"));
        assert_eq!(
            proxies.client(peer, &headers(&["[2001:db8::5]:4711"])),
            ip("2001:db8::5")
        );
        assert_eq!(
            proxies.client(peer, &headers(&["198.51.100.7:5000"])),
            ip("198.51.100.7")
        );
        // Nothing forwarded, or only our own proxies: the innermost one we know.
        assert_eq!(proxies.client(peer, &HeaderMap::new()), peer);
        assert_eq!(
            proxies.client(peer, &headers(&["10.2.2.2"])),
            ip("10.2.2.2")
        );
        // Garbage stops the walk at the last address vouched for.
        let garbage = headers(&["198.51.100.7, not-an-ip, 10.1.1.1"]);
        assert_eq!(proxies.client(peer, &garbage), ip("10.1.1.1"));
    }

    #[test]
    fn an_ipv6_host_is_its_64() {
        assert_eq!(bucket(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(bucket(ip("2001:db8:1:2:ffff::9")), ip("2001:db8:1:2::"));
        assert_ne!(bucket(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(bucket(ip("198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(bucket(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
    }

    #[test]
    fn mapped_ipv4_is_ipv4() {
        let proxies = TrustedProxies(vec!["127.0.0.1/32".parse().unwrap()]);
        let peer = ip("::ffff:127.0.0.1");
        let chain = headers(&["::ffff:198.51.100.7"]);
        assert_eq!(proxies.client(peer, &chain), ip("198.51.100.7"));
    }
}
