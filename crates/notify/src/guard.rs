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
/// does that at send time, for a public name that points at an internal address.
pub fn check_url(text: &str, allow_loopback: bool) -> Result<url::Url, UrlError> {
    let url = url::Url::parse(text.trim()).map_err(|_| UrlError::NotAUrl(redact(text)))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let ip = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .ok();
    let loopback =
        host == "localhost" || host.ends_with(".localhost") || ip.is_some_and(|i| i.is_loopback());
    if allow_loopback && loopback && matches!(url.scheme(), "http" | "https") {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err(UrlError::NotHttps);
    }
    if loopback || ip.is_some_and(internal) || host.is_empty() {
        return Err(UrlError::Internal(host));
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
        .find(|ip| internal(*ip) && !(allow_loopback && ip.is_loopback()))
    {
        Some(ip) => Err(UrlError::Internal(format!("{host} resolves to {ip}"))),
        None => Ok(()),
    }
}

fn internal(ip: IpAddr) -> bool {
    if ip.is_multicast() {
        return true;
    }
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                // 100.64.0.0/10, carrier-grade NAT
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| internal(IpAddr::V4(v4)))
        }
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
                "evil.example resolves to 10.0.0.7".to_owned()
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
