use std::time::Duration;

use domain::Secret;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use watch::SmtpTls;

use crate::SendError;
use crate::message::Message;

pub(crate) struct Smtp<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<&'a str>,
    pub password: Option<&'a Secret>,
    pub timeout: Duration,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `multipart/alternative` of the plain text and a `multipart/related` holding the HTML and
/// each chart as an inline PNG its `cid:` names. A chart that does not rasterise is left out:
/// the HTML shows its alt text and the text part has every value.
fn with_inline_charts(message: &Message, html: &str) -> MultiPart {
    let mut related = MultiPart::related().singlepart(SinglePart::html(html.to_owned()));
    let png_type = ContentType::parse("image/png");
    for image in &message.images {
        match (charts::png(&image.svg, 2.0), &png_type) {
            (Ok(png), Ok(png_type)) => {
                related = related.singlepart(
                    Attachment::new_inline(image.cid.clone()).body(png, png_type.clone()),
                );
            }
            (Err(e), _) => {
                tracing::warn!(cid = %image.cid, error = %e, "a chart of an email did not rasterise");
            }
            (_, Err(e)) => tracing::warn!(error = %e, "image/png is not a MIME type to lettre"),
        }
    }
    MultiPart::alternative()
        .singlepart(SinglePart::plain(message.text.clone()))
        .multipart(related)
}

pub(crate) async fn send(
    smtp: &Smtp<'_>,
    from: &str,
    to: &[String],
    message: &Message,
) -> Result<(), SendError> {
    let mailbox = |s: &str| {
        s.parse::<Mailbox>()
            .map_err(|e| SendError::permanent(format!("'{s}' is not an email address: {e}")))
    };
    let mut builder = lettre::Message::builder()
        .from(mailbox(from)?)
        .subject(message.title.as_str());
    if to.is_empty() {
        return Err(SendError::permanent("the email channel has no recipient"));
    }
    for r in to {
        builder = builder.to(mailbox(r)?);
    }
    let email = match &message.html {
        Some(html) if !message.images.is_empty() => {
            builder.multipart(with_inline_charts(message, html))
        }
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            message.text.clone(),
            html.clone(),
        )),
        None => builder.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(message.text.clone()),
        ),
    }
    .map_err(|e| SendError::permanent(format!("cannot build the email: {e}")))?;

    let relay_error = |e: lettre::transport::smtp::Error| {
        SendError::permanent(format!("cannot use SMTP server {}: {e}", smtp.host))
    };
    let mut transport = match smtp.tls {
        SmtpTls::Implicit => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(smtp.host).map_err(relay_error)?
        }
        SmtpTls::StartTls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(smtp.host).map_err(relay_error)?
        }
        SmtpTls::None => {
            // Unencrypted SMTP would send the message, and any password, in the clear: only to
            // a relay on this machine (or the tests' server), and never with credentials.
            if !is_loopback(smtp.host) {
                return Err(SendError::permanent(
                    "SMTP without TLS is only allowed to a server on this machine (localhost)",
                ));
            }
            if smtp.username.is_some() {
                return Err(SendError::permanent(
                    "SMTP credentials are never sent without TLS",
                ));
            }
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host)
        }
    }
    .port(smtp.port)
    .timeout(Some(smtp.timeout));
    if let Some(user) = smtp.username {
        let password = smtp
            .password
            .map(|p| p.expose().to_owned())
            .unwrap_or_default();
        transport = transport.credentials(Credentials::new(user.to_owned(), password));
    }
    transport
        .build()
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| {
            let msg = format!("SMTP delivery failed: {e}");
            if e.is_permanent() {
                SendError::permanent(msg)
            } else {
                SendError::transient(msg)
            }
        })
}
