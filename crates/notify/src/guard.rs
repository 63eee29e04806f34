use std::net::IpAddr;

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
}

/// Checks a webhook or Slack URL: https to a public host, unless loopback is allowed (tests).
/// Names are not resolved here, so a public name pointing at an internal address still passes;
/// the check stops the plain cases (literal addresses, `localhost`).
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

fn internal(ip: IpAddr) -> bool {
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
        // Allowing loopback does not open other internal addresses.
        assert!(check_url("http://10.0.0.1/hook", true).is_err());
    }
}
