//! Who sent a request, decided once per request by [`crate::request_log::layer`] and left in
//! its extensions as a [`Client`] for everything else (the sign-in throttle, the request log,
//! cookies, the CSRF origin check).
//!
//! Without trusted proxies the client is the connection's peer and forwarding headers are
//! ignored: anyone can write `X-Forwarded-For`. When the peer is one of the
//! [`TrustedProxies`], `X-Forwarded-For` is walked from the right (the entry the nearest proxy
//! appended) past every trusted address, and the first untrusted one is the client; entries to
//! its left were written by that client and are not believed. `X-Forwarded-Proto` from a trusted
//! peer says whether the browser used HTTPS. `X-Forwarded-Host` is never read: the proxies we
//! document pass `Host` through, and an origin that differs is named by `public_url` or
//! `trusted_origins` instead of by a header.

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Addresses and CIDR blocks of the reverse proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `trusted_proxies` entry that is neither an address nor a CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{entry}' is not an IP address or a CIDR block: write a proxy as 10.0.0.5, 10.0.0.0/8 or fd00::/8, several separated by commas"
)]
pub struct ProxyEntryError {
    pub entry: String,
}

impl TrustedProxies {
    /// A comma-separated list (`10.0.0.0/8, 192.168.1.10, ::1`); empty entries are skipped.
    pub fn parse(text: &str) -> Result<Self, ProxyEntryError> {
        let mut nets = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            nets.push(parse_entry(entry)?);
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = addr.to_canonical();
        self.0.iter().any(|net| net.contains(&addr))
    }

    /// Adds the entries of `other` (the flag may be repeated).
    pub fn extend(&mut self, other: TrustedProxies) {
        self.0.extend(other.0);
    }
}

impl FromStr for TrustedProxies {
    type Err = ProxyEntryError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

fn parse_entry(entry: &str) -> Result<IpNet, ProxyEntryError> {
    let error = || ProxyEntryError {
        entry: entry.to_owned(),
    };
    if entry.contains('/') {
        // An IPv4-mapped block would never match: peers are compared in canonical form.
        let net = IpNet::from_str(entry).map_err(|_| error())?;
        return Ok(net.trunc());
    }
    let addr = IpAddr::from_str(entry).map_err(|_| error())?;
    Ok(IpNet::from(addr.to_canonical()))
}

/// Whether the browser's request reached us over HTTPS, as far as we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
    /// No trusted proxy said; the connection itself is plain HTTP to us, but a proxy we were not
    /// told about may have terminated TLS, so nothing is concluded.
    Unknown,
}

/// Where a request came from, as [`resolve`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The client's address; `None` when the request came without a peer (in-process tests).
    pub addr: Option<IpAddr>,
    /// The connection's peer was a trusted proxy.
    pub via_trusted_proxy: bool,
    pub scheme: Scheme,
}

impl Client {
    /// The address as logs and the throttle write it.
    pub fn addr_text(&self) -> String {
        self.addr
            .map_or_else(|| "unknown".to_owned(), |a| a.to_string())
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Client::of(&parts.extensions))
    }
}

impl Client {
    /// The request's client as the request layer left it; lacking it (a router built without
    /// [`crate::App::build`]), an unknown client.
    pub fn of(extensions: &axum::http::Extensions) -> Client {
        extensions.get::<Client>().cloned().unwrap_or(Client {
            addr: None,
            via_trusted_proxy: false,
            scheme: Scheme::Unknown,
        })
    }
}

/// The client of a request from `peer` with `headers`, believing forwarding headers only from
/// a trusted peer.
pub fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> Client {
    let peer = peer.map(|p| p.to_canonical());
    let Some(peer_addr) = peer.filter(|p| trusted.contains(*p)) else {
        return Client {
            addr: peer,
            via_trusted_proxy: false,
            scheme: Scheme::Unknown,
        };
    };
    Client {
        addr: Some(forwarded_for(peer_addr, headers, trusted)),
        via_trusted_proxy: true,
        scheme: forwarded_proto(headers),
    }
}

/// The rightmost untrusted `X-Forwarded-For` entry; when every entry is trusted, the leftmost.
/// An entry that is not an address stops the walk at the last address known, so a client cannot
/// hide behind garbage (it shares the limits of the proxy that forwarded it).
fn forwarded_for(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    // Several headers form one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut current = peer;
    for entry in entries.iter().rev() {
        let Some(addr) = parse_forwarded_addr(entry) else {
            return current;
        };
        if !trusted.contains(addr) {
            return addr;
        }
        current = addr;
    }
    current
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_forwarded_addr(entry: &str) -> Option<IpAddr> {
    if let Ok(addr) = IpAddr::from_str(entry) {
        return Some(addr.to_canonical());
    }
    std::net::SocketAddr::from_str(entry)
        .ok()
        .map(|s| s.ip().to_canonical())
}

/// The scheme the nearest trusted proxy says the browser used: the header's last value, since a
/// proxy that appends adds its own on the right.
fn forwarded_proto(headers: &HeaderMap) -> Scheme {
    let last = headers
        .get_all("x-forwarded-proto")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .next_back();
    match last.map(str::to_ascii_lowercase).as_deref() {
        Some("https") => Scheme::Https,
        Some("http") => Scheme::Http,
        _ => Scheme::Unknown,
    }
}

/// The base URL people reach the app at (`https://dash.example.com`, maybe with a base path),
/// from `--public-url`: absolute links (share links, the setup link) are built on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// Without a trailing slash: `https://dash.example.com` or `https://example.com/switchboard`.
    base: String,
    origin: String,
}

/// A `public_url` that is not an http(s) base URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{text}' is not a public URL ({reason}): write the address people open, such as https://dash.example.com"
)]
pub struct PublicUrlError {
    pub text: String,
    pub reason: &'static str,
}

impl PublicUrl {
    pub fn parse(text: &str) -> Result<Self, PublicUrlError> {
        let error = |reason| PublicUrlError {
            text: text.to_owned(),
            reason,
        };
        let url = url::Url::parse(text.trim()).map_err(|_| error("not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(error("the scheme must be http or https"));
        }
        if url.host_str().is_none() {
            return Err(error("it has no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(error("it must not hold a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(error("it must not have a query or a fragment"));
        }
        let origin = url.origin().ascii_serialization();
        let path = url.path().trim_end_matches('/');
        Ok(Self {
            base: format!("{origin}{path}"),
            origin,
        })
    }

    /// `path` (starting with `/`) under the public URL.
    pub fn join(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The origin a browser sends in `Origin` from pages at this URL.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }
}

impl FromStr for PublicUrl {
    type Err = PublicUrlError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl std::fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn proxies(text: &str) -> TrustedProxies {
        TrustedProxies::parse(text).unwrap()
    }

    #[test]
    fn trusted_proxies_take_addresses_and_blocks_and_name_a_bad_entry() {
        let p = proxies(" 10.0.0.0/8, 192.168.1.10 ,fd00::/8,");
        assert!(p.contains(ip("10.200.3.4")));
        assert!(p.contains(ip("192.168.1.10")));
        assert!(!p.contains(ip("192.168.1.11")));
        assert!(p.contains(ip("fd12::1")));
        assert!(p.contains(ip("::ffff:10.1.1.1")), "an IPv4-mapped peer");
        assert!(!p.contains(ip("11.0.0.1")));
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0", "1.2.3.4/x"] {
            let e = TrustedProxies::parse(&format!("10.0.0.1,{bad}")).unwrap_err();
            assert_eq!(e.entry, bad);
            assert!(e.to_string().contains(bad) && e.to_string().contains("10.0.0.0/8"));
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_its_headers_say() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-proto", "https"),
        ]);
        let c = resolve(Some(ip("198.51.100.1")), &h, &proxies("10.0.0.0/8"));
        assert_eq!(c.addr, Some(ip("198.51.100.1")));
        assert_eq!(c.scheme, Scheme::Unknown);
        assert!(!c.via_trusted_proxy);
    }

    #[test]
    fn a_trusted_peer_forwards_the_rightmost_untrusted_address() {
        let trusted = proxies("10.0.0.0/8");
        // The client wrote a made-up first entry; the proxies appended the real one and their own.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.9, 10.0.0.7")]);
        let c = resolve(Some(ip("10.0.0.2")), &h, &trusted);
        assert_eq!(c.addr, Some(ip("203.0.113.9")));
        assert!(c.via_trusted_proxy);
        // Two headers are one list.
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "203.0.113.9:5555"),
        ]);
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), &h, &trusted).addr,
            Some(ip("203.0.113.9"))
        );
        let h = headers(&[("x-forwarded-for", "[2001:db8::5]:80")]);
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), &h, &trusted).addr,
            Some(ip("2001:db8::5"))
        );
    }

    #[test]
    fn all_trusted_gives_the_leftmost_and_garbage_stops_at_the_last_known_hop() {
        let trusted = proxies("10.0.0.0/8");
        let h = headers(&[("x-forwarded-for", "10.1.1.1, 10.2.2.2")]);
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), &h, &trusted).addr,
            Some(ip("10.1.1.1"))
        );
        let h = headers(&[("x-forwarded-for", "203.0.113.9, unknown, 10.2.2.2")]);
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), &h, &trusted).addr,
            Some(ip("10.2.2.2"))
        );
        // No header at all: the proxy itself.
        assert_eq!(
            resolve(Some(ip("10.0.0.2")), &HeaderMap::new(), &trusted).addr,
            Some(ip("10.0.0.2"))
        );
    }

    #[test]
    fn a_trusted_peer_says_the_scheme_by_its_last_forwarded_proto() {
        let trusted = proxies("127.0.0.1");
        let scheme = |v: &str| {
            resolve(
                Some(ip("127.0.0.1")),
                &headers(&[("x-forwarded-proto", v)]),
                &trusted,
            )
            .scheme
        };
        assert_eq!(scheme("https"), Scheme::Https);
        assert_eq!(scheme("HTTP"), Scheme::Http);
        assert_eq!(scheme("http, https"), Scheme::Https);
        assert_eq!(scheme("gopher"), Scheme::Unknown);
    }

    #[test]
    fn a_public_url_is_an_http_base_with_at_most_a_path() {
        let u = PublicUrl::parse("https://Dash.Example.com/").unwrap();
        assert_eq!(u.join("/shared/abc"), "https://dash.example.com/shared/abc");
        assert_eq!(u.origin(), "https://dash.example.com");
        let u = PublicUrl::parse("http://example.com:8443/switchboard/").unwrap();
        assert_eq!(
            u.join("/setup?token=x"),
            "http://example.com:8443/switchboard/setup?token=x"
        );
        assert_eq!(u.origin(), "http://example.com:8443");
        for bad in [
            "dash.example.com",
            "ftp://dash.example.com",
            "https://dash.example.com/?a=1",
            "https://dash.example.com/#top",
            "https://u:p@dash.example.com",
        ] {
            let e = PublicUrl::parse(bad).unwrap_err().to_string();
            assert!(
                e.contains(bad) && e.contains("https://dash.example.com"),
                "{e}"
            );
        }
    }
}
