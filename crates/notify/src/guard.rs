use std::net::{IpAddr, SocketAddr};

/// Why a URL is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("'{0}' is not a URL")]
    NotAUrl(String),
    #[error("only https URLs are allowed")]
    NotHttps,
    #[error("the URL names an internal address ({0}); use a public https endpoint")]
    Internal(String),
    #[error("the URL must not carry a user name or password")]
    Credentials,
    #[error("the host {host} of the URL does not resolve: {reason}")]
    Unresolved { host: String, reason: String },
}

/// Checks a webhook or Slack URL: https to a public host, unless loopback is allowed (tests).
/// Names are not resolved here (this runs when a channel is saved, too); [`resolve_public`]
/// does that at send time, for a public name that points at an internal address. A literal
/// address goes through [`special_purpose`], the same test as a resolved one.
pub fn check_url(text: &str, allow_loopback: bool) -> Result<url::Url, UrlError> {
    let url = url::Url::parse(text.trim()).map_err(|_| UrlError::NotAUrl(redact(text)))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    // The parser has already normalised the host: `0x7f.1` is 127.0.0.1 and `[::127.0.0.1]` an
    // IPv6 address, so no spelling of an address reaches the name branch.
    let ip = match url.host() {
        Some(url::Host::Ipv4(a)) => Some(IpAddr::V4(a)),
        Some(url::Host::Ipv6(a)) => Some(IpAddr::V6(a)),
        _ => None,
    };
    let loopback =
        host == "localhost" || host.ends_with(".localhost") || ip.is_some_and(|i| i.is_loopback());
    if allow_loopback && loopback && matches!(url.scheme(), "http" | "https") {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err(UrlError::NotHttps);
    }
    if host.is_empty() || loopback {
        return Err(UrlError::Internal(host));
    }
    if let Some(block) = ip.and_then(special_purpose) {
        return Err(UrlError::Internal(format!("{host}, {block}")));
    }
    Ok(url)
}

/// Resolves a checked URL's host and refuses it when any of its addresses is internal;
/// returns the addresses, so that the connection goes to the ones that were checked (a second
/// lookup could answer differently).
pub async fn resolve_public(
    url: &url::Url,
    allow_loopback: bool,
) -> Result<Vec<SocketAddr>, UrlError> {
    let host = url.host_str().unwrap_or_default();
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((bare, port))
        .await
        .map_err(|e| UrlError::Unresolved {
            host: host.to_owned(),
            reason: e.to_string(),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(UrlError::Unresolved {
            host: host.to_owned(),
            reason: "no address".to_owned(),
        });
    }
    refuse_internal(host, &addrs, allow_loopback)?;
    Ok(addrs)
}

/// `Err` naming the first address of `host` that is internal (loopback passes when allowed).
fn refuse_internal(host: &str, addrs: &[SocketAddr], allow_loopback: bool) -> Result<(), UrlError> {
    match addrs
        .iter()
        .map(SocketAddr::ip)
        .filter(|ip| !(allow_loopback && ip.is_loopback()))
        .find_map(|ip| special_purpose(ip).map(|block| (ip, block)))
    {
        Some((ip, block)) => Err(UrlError::Internal(format!(
            "{host} resolves to {ip}, {block}"
        ))),
        None => Ok(()),
    }
}

/// A block of addresses no notification may go to, and what it is.
struct Block<A> {
    first: A,
    prefix: u32,
    what: &'static str,
}

const fn v4(a: [u8; 4], prefix: u32, what: &'static str) -> Block<u32> {
    Block {
        first: u32::from_be_bytes(a),
        prefix,
        what,
    }
}

const fn v6(a: [u16; 8], prefix: u32, what: &'static str) -> Block<u128> {
    let mut first = 0u128;
    let mut i = 0;
    while i < 8 {
        first = (first << 16) | a[i] as u128;
        i += 1;
    }
    Block {
        first,
        prefix,
        what,
    }
}

/// Every block of the IANA IPv4 Special-Purpose Address Registry, refused whole (even the few
/// the registry marks globally reachable: anycast services no webhook lives on), and multicast.
const V4_BLOCKS: &[Block<u32>] = &[
    v4([0, 0, 0, 0], 8, "\"this network\" 0.0.0.0/8"),
    v4([10, 0, 0, 0], 8, "private-use 10.0.0.0/8"),
    v4([100, 64, 0, 0], 10, "shared address space 100.64.0.0/10"),
    v4([127, 0, 0, 0], 8, "loopback 127.0.0.0/8"),
    v4([169, 254, 0, 0], 16, "link-local 169.254.0.0/16"),
    v4([172, 16, 0, 0], 12, "private-use 172.16.0.0/12"),
    v4([192, 0, 0, 0], 24, "IETF protocol assignments 192.0.0.0/24"),
    v4([192, 0, 2, 0], 24, "documentation 192.0.2.0/24"),
    v4([192, 31, 196, 0], 24, "AS112 192.31.196.0/24"),
    v4([192, 52, 193, 0], 24, "AMT 192.52.193.0/24"),
    v4([192, 88, 99, 0], 24, "6to4 relay anycast 192.88.99.0/24"),
    v4([192, 168, 0, 0], 16, "private-use 192.168.0.0/16"),
    v4(
        [192, 175, 48, 0],
        24,
        "AS112 direct delegation 192.175.48.0/24",
    ),
    v4([198, 18, 0, 0], 15, "benchmarking 198.18.0.0/15"),
    v4([198, 51, 100, 0], 24, "documentation 198.51.100.0/24"),
    v4([203, 0, 113, 0], 24, "documentation 203.0.113.0/24"),
    v4([224, 0, 0, 0], 4, "multicast 224.0.0.0/4"),
    v4([240, 0, 0, 0], 4, "reserved 240.0.0.0/4"),
    v4(
        [255, 255, 255, 255],
        32,
        "limited broadcast 255.255.255.255",
    ),
];

/// The IPv6 Special-Purpose Address Registry's blocks that carry no IPv4 address (those that
/// do are judged by the address they carry, in [`special_purpose`]), the deprecated site-local
/// block, and multicast. Anything else outside 2000::/3 is refused there too.
const V6_BLOCKS: &[Block<u128>] = &[
    v6(
        [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
        48,
        "local-use IPv4/IPv6 translation 64:ff9b:1::/48",
    ),
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64, "discard-only 100::/64"),
    v6(
        [0x100, 0, 0, 1, 0, 0, 0, 0],
        64,
        "dummy prefix 100:0:0:1::/64",
    ),
    v6(
        [0x2001, 0, 0, 0, 0, 0, 0, 0],
        23,
        "IETF protocol assignments 2001::/23",
    ),
    v6(
        [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
        32,
        "documentation 2001:db8::/32",
    ),
    v6(
        [0x2620, 0x4f, 0x8000, 0, 0, 0, 0, 0],
        48,
        "AS112 direct delegation 2620:4f:8000::/48",
    ),
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20, "documentation 3fff::/20"),
    v6(
        [0x5f00, 0, 0, 0, 0, 0, 0, 0],
        16,
        "segment routing 5f00::/16",
    ),
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7, "unique-local fc00::/7"),
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10, "link-local fe80::/10"),
    v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10, "site-local fec0::/10"),
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8, "multicast ff00::/8"),
];

fn v4_block(addr: u32) -> Option<&'static str> {
    V4_BLOCKS
        .iter()
        .find(|b| addr >> (32 - b.prefix) == b.first >> (32 - b.prefix))
        .map(|b| b.what)
}

fn v6_block(addr: u128) -> Option<&'static str> {
    V6_BLOCKS
        .iter()
        .find(|b| addr >> (128 - b.prefix) == b.first >> (128 - b.prefix))
        .map(|b| b.what)
}

/// What `ip` is when it is not a public unicast address a notification may go to; `None` when
/// it is one. The one test for a literal host and for every address a name resolves to.
fn special_purpose(ip: IpAddr) -> Option<&'static str> {
    let bits = match ip {
        IpAddr::V4(a) => return v4_block(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    // The low 32 bits, for the forms that carry an IPv4 address there.
    let low_v4 = (bits & 0xffff_ffff) as u32;
    let carried = |what: &'static str, v4: u32| v4_block(v4).map(|_| what);
    match bits >> 32 {
        0 if bits == 0 => Some("unspecified ::"),
        0 if bits == 1 => Some("loopback ::1"),
        // ::a.b.c.d, the deprecated IPv4-compatible form, and ::ffff:a.b.c.d, IPv4-mapped: a
        // stack may reach the IPv4 address they carry.
        0 => carried("IPv4-compatible ::/96 of an internal IPv4 address", low_v4),
        0xffff => carried(
            "IPv4-mapped ::ffff:0:0/96 of an internal IPv4 address",
            low_v4,
        ),
        // NAT64 (RFC 6052): the gateway connects to the IPv4 address in the low 32 bits.
        0x0064_ff9b_0000_0000_0000_0000 => {
            carried("NAT64 64:ff9b::/96 of an internal IPv4 address", low_v4)
        }
        // 6to4: the relay forwards to the IPv4 address in bits 16 to 47.
        _ if bits >> 112 == 0x2002 => carried(
            "6to4 2002::/16 of an internal IPv4 address",
            ((bits >> 80) & 0xffff_ffff) as u32,
        ),
        _ => v6_block(bits).or_else(|| {
            // Only 2000::/3 is allocated for global unicast.
            (bits >> 125 != 1).then_some("outside global unicast 2000::/3")
        }),
    }
}

/// A refused URL in an error without its path, which may hold a token.
fn redact(text: &str) -> String {
    text.split('/').take(3).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ip: &str) -> SocketAddr {
        SocketAddr::new(ip.parse().unwrap(), 443)
    }

    #[test]
    fn a_name_with_any_internal_address_is_refused() {
        assert!(refuse_internal("ok.example", &[at("93.184.215.14")], false).is_ok());
        let mixed = [at("93.184.215.14"), at("10.0.0.7")];
        assert_eq!(
            refuse_internal("evil.example", &mixed, false),
            Err(UrlError::Internal(
                "evil.example resolves to 10.0.0.7, private-use 10.0.0.0/8".to_owned()
            ))
        );
        assert!(refuse_internal("v6.example", &[at("fe80::1")], false).is_err());
        assert!(refuse_internal("lo.example", &[at("127.0.0.1")], true).is_ok());
        assert!(
            refuse_internal("lan.example", &[at("192.168.1.1")], true).is_err(),
            "allowing loopback opens nothing else"
        );
    }

    #[tokio::test]
    async fn resolving_a_name_that_points_at_loopback_is_refused() {
        // `localhost` goes through the resolver here, as a public-looking name would.
        let url = url::Url::parse("https://localhost:8443/hook").unwrap();
        assert!(matches!(
            resolve_public(&url, false).await,
            Err(UrlError::Internal(m)) if m.starts_with("localhost resolves to ")
        ));
        let allowed = resolve_public(&url, true).await.unwrap();
        assert!(
            allowed
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8443)
        );
    }

    /// The IANA IPv4 and IPv6 Special-Purpose Address Registries (as of 2025), multicast, the
    /// deprecated IPv4-compatible and site-local forms, and the translation prefixes whose
    /// embedded IPv4 address is internal. Written out here from the registries, not read from
    /// the guard's own table, so a range dropped from the guard fails this test.
    const SPECIAL_V4: &[&str] = &[
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.31.196.0/24",
        "192.52.193.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "192.175.48.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "255.255.255.255/32",
    ];
    const SPECIAL_V6: &[&str] = &[
        "::/128",
        "::1/128",
        "64:ff9b:1::/48",
        "100::/64",
        "100:0:0:1::/64",
        "2001::/23",
        "2001:db8::/32",
        "2620:4f:8000::/48",
        "3fff::/20",
        "5f00::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    ];

    fn first_and_last(cidr: &str) -> [IpAddr; 2] {
        let (net, len) = cidr.split_once('/').unwrap();
        let len: u32 = len.parse().unwrap();
        match net.parse::<IpAddr>().unwrap() {
            IpAddr::V4(a) => {
                let host = u32::MAX.checked_shr(len).unwrap_or(0);
                let first = u32::from(a) & !host;
                [IpAddr::V4(first.into()), IpAddr::V4((first | host).into())]
            }
            IpAddr::V6(a) => {
                let host = u128::MAX.checked_shr(len).unwrap_or(0);
                let first = u128::from(a) & !host;
                [IpAddr::V6(first.into()), IpAddr::V6((first | host).into())]
            }
        }
    }

    fn literal(ip: IpAddr) -> String {
        match ip {
            IpAddr::V4(a) => format!("https://{a}/hook"),
            IpAddr::V6(a) => format!("https://[{a}]/hook"),
        }
    }

    /// Issue 15, finding 10: the guard let `0.0.0.0/8`, `198.18.0.0/15`, `240.0.0.0/4`,
    /// `[::127.0.0.1]` and NAT64 `[64:ff9b::7f00:1]` through.
    #[test]
    fn finding_10_the_url_guard_refuses_every_iana_special_purpose_range() {
        let mut addrs: Vec<IpAddr> = SPECIAL_V4
            .iter()
            .chain(SPECIAL_V6)
            .flat_map(|c| first_and_last(c))
            .collect();
        for embedding in [
            // IPv4-mapped, IPv4-compatible, NAT64 (RFC 6052) and 6to4 forms of internal addresses.
            "::ffff:127.0.0.1",
            "::ffff:0.0.0.0",
            "::ffff:198.18.0.1",
            "::127.0.0.1",
            "::10.0.0.1",
            "::240.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b::c0a8:101",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2002:c0a8:101:ffff:ffff:ffff:ffff:ffff",
        ] {
            addrs.push(embedding.parse().unwrap());
        }
        for ip in addrs {
            assert!(
                matches!(check_url(&literal(ip), false), Err(UrlError::Internal(_))),
                "the literal {ip} passed the URL check"
            );
            assert!(
                refuse_internal("name.example", &[SocketAddr::new(ip, 443)], false).is_err(),
                "a name resolving to {ip} passed the address check"
            );
        }
        for url in [
            "https://0.0.0.0/",
            "https://0.1.2.3/",
            "https://198.18.0.1/",
            "https://198.19.255.254/",
            "https://240.0.0.1/",
            "https://[::127.0.0.1]/",
            "https://[64:ff9b::7f00:1]/",
        ] {
            assert!(
                matches!(check_url(url, false), Err(UrlError::Internal(_))),
                "{url}"
            );
        }
        // Public neighbours of those ranges, and public IPv4 addresses in the translated forms.
        for public in [
            "1.1.1.1",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "172.32.0.0",
            "192.0.1.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2001:200::1",
            "2001:db9::1",
            "2606:4700::1111",
            "2620:4f:8001::1",
            "64:ff9b::101:101",
            "::ffff:93.184.215.14",
            "2002:5db8:d70e::1",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert!(check_url(&literal(ip), false).is_ok(), "{public} is public");
            assert!(
                refuse_internal("name.example", &[SocketAddr::new(ip, 443)], false).is_ok(),
                "{public} is public"
            );
        }
    }

    #[test]
    fn only_public_https() {
        assert!(check_url("https://hooks.slack.com/services/x", false).is_ok());
        assert_eq!(
            check_url("http://example.com/", false),
            Err(UrlError::NotHttps)
        );
        for bad in [
            "https://127.0.0.1/x",
            "https://localhost/x",
            "https://10.1.2.3/",
            "https://192.168.0.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[::ffff:10.0.0.1]/",
            "https://100.64.0.1/",
        ] {
            assert!(
                matches!(check_url(bad, false), Err(UrlError::Internal(_))),
                "{bad}"
            );
        }
        assert_eq!(
            check_url("https://u:p@example.com/", false),
            Err(UrlError::Credentials)
        );
        assert!(check_url("http://127.0.0.1:8080/hook", true).is_ok());
        assert!(
            matches!(
                check_url("https://224.0.0.1/", false),
                Err(UrlError::Internal(_))
            ),
            "multicast"
        );
        // Allowing loopback does not open other internal addresses.
        assert!(check_url("http://10.0.0.1/hook", true).is_err());
    }
}
