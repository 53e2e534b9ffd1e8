//! Who the client of a request is, for the console's audit log and login limits and the
//! enrollment budget: the TCP peer; or, when the peer is a reverse proxy the configuration
//! trusts (`[serve] trusted_proxies` of `platform.toml`), the last hop of `X-Forwarded-For`
//! that is not one of those proxies. A client that is not a trusted proxy cannot choose its
//! address: its `X-Forwarded-For` is ignored.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use super::Peer;

/// The header a reverse proxy appends the address of its own client to.
pub const FORWARDED_FOR: &str = "x-forwarded-for";

/// The client's address, put in each request's extensions by [`resolve`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The reverse proxies whose `X-Forwarded-For` is believed (none by default).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Arc<[IpAddr]>);

impl TrustedProxies {
    /// These addresses (an IPv4 address mapped in IPv6 is the same address).
    pub fn new(addresses: &[IpAddr]) -> TrustedProxies {
        TrustedProxies(addresses.iter().map(IpAddr::to_canonical).collect())
    }

    fn contains(&self, address: IpAddr) -> bool {
        self.0.contains(&address.to_canonical())
    }

    /// The client of a request from `peer` with these headers: `peer` unless it is trusted;
    /// then, from the right of `X-Forwarded-For`, the first hop that is not trusted (a hop
    /// that does not read as an address stops the walk at the trusted hop before it; a
    /// chain of trusted hops only gives its leftmost).
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all(FORWARDED_FOR)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|line| line.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.iter().rev() {
            let Some(address) = hop_address(hop) else {
                return client;
            };
            client = address;
            if !self.contains(address) {
                return address;
            }
        }
        client
    }
}

/// A hop of `X-Forwarded-For`: an address, or an address with a port (`[::1]:80`).
fn hop_address(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|address| address.to_canonical())
}

/// Puts the request's [`ClientIp`] in its extensions.
pub async fn resolve(
    State(trusted): State<TrustedProxies>,
    ConnectInfo(Peer(peer)): ConnectInfo<Peer>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = trusted.client_of(peer.ip(), request.headers());
    request.extensions_mut().insert(ClientIp(client));
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(FORWARDED_FOR, HeaderValue::from_str(line).unwrap());
        }
        headers
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let none = TrustedProxies::default();
        let proxy = TrustedProxies::new(&[ip("10.0.0.1")]);
        let spoofed = forwarded(&["203.0.113.9"]);
        assert_eq!(none.client_of(ip("10.0.0.1"), &spoofed), ip("10.0.0.1"));
        assert_eq!(proxy.client_of(ip("10.0.0.2"), &spoofed), ip("10.0.0.2"));
    }

    #[test]
    fn behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::new(&[ip("10.0.0.1"), ip("10.0.0.2")]);
        let peer = ip("10.0.0.1");
        // What the client wrote itself (left) is not believed; what the proxies added is.
        assert_eq!(
            proxies.client_of(peer, &forwarded(&["198.51.100.7, 203.0.113.9"])),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client_of(peer, &forwarded(&["198.51.100.7", "203.0.113.9, 10.0.0.2"])),
            ip("203.0.113.9")
        );
        assert_eq!(
            proxies.client_of(peer, &forwarded(&["[2001:db8::5]:4711"])),
            ip("2001:db8::5")
        );
        // No header: the proxy itself; only proxies: the leftmost; garbage stops the walk at
        // the trusted hop before it.
        assert_eq!(proxies.client_of(peer, &HeaderMap::new()), peer);
        assert_eq!(
            proxies.client_of(peer, &forwarded(&["10.0.0.2"])),
            ip("10.0.0.2")
        );
        assert_eq!(
            proxies.client_of(peer, &forwarded(&["203.0.113.9, unknown, 10.0.0.2"])),
            ip("10.0.0.2")
        );
        // An IPv4 peer seen as IPv6 is the same proxy.
        assert_eq!(
            proxies.client_of(ip("::ffff:10.0.0.1"), &forwarded(&["203.0.113.9"])),
            ip("203.0.113.9")
        );
    }
}
