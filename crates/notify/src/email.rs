use std::time::Duration;

use domain::Secret;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use watch::SmtpTls;

use crate::message::Message;
use crate::{SendError, Timeouts};

pub(crate) struct Smtp<'a> {
    pub host: &'a str,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: Option<&'a str>,
    pub password: Option<&'a Secret>,
    pub timeouts: Timeouts,
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

    if smtp.tls == SmtpTls::None {
        // Unencrypted SMTP would send the message, and any password, in the clear: only to a
        // relay on this machine (or the tests' server), and never with credentials.
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
    }
    let tls = match smtp.tls {
        SmtpTls::None => None,
        SmtpTls::Implicit | SmtpTls::StartTls => {
            Some(TlsParameters::new(smtp.host.to_owned()).map_err(|e| {
                SendError::permanent(format!("cannot use SMTP server {}: {e}", smtp.host))
            })?)
        }
    };
    let envelope = email.envelope().clone();
    let bytes = email.formatted();
    let t = smtp.timeouts;
    let server = format!("{}:{}", smtp.host, smtp.port);
    // lettre bounds the TCP connect only; every exchange after it is bounded here, so a server
    // that accepts the connection and then says nothing fails the attempt instead of holding it.
    let late = |what: &str, limit: Duration| {
        SendError::transient(format!(
            "the SMTP server {server} {what} within {} s",
            limit.as_secs_f64()
        ))
    };
    let hello = ClientId::default();
    let implicit = tls.clone().filter(|_| smtp.tls == SmtpTls::Implicit);
    let greeting = t.connect + t.smtp_step;
    let mut conn = tokio::time::timeout(
        greeting,
        AsyncSmtpConnection::connect_tokio1(
            (smtp.host, smtp.port),
            Some(t.connect),
            &hello,
            implicit,
            None,
        ),
    )
    .await
    .map_err(|_| {
        SendError::transient(format!(
            "the SMTP server {server} did not greet within {} s of connecting; check the port \
             and the TLS setting (a port that expects TLS waits silently for a TLS client)",
            greeting.as_secs_f64()
        ))
    })?
    .map_err(smtp_error)?;
    let exchanged = async {
        if let (SmtpTls::StartTls, Some(tls)) = (smtp.tls, tls) {
            tokio::time::timeout(t.smtp_step, conn.starttls(tls, &hello))
                .await
                .map_err(|_| late("did not complete STARTTLS", t.smtp_step))?
                .map_err(smtp_error)?;
        }
        if let Some(user) = smtp.username {
            let password = smtp
                .password
                .map(|p| p.expose().to_owned())
                .unwrap_or_default();
            let credentials = Credentials::new(user.to_owned(), password);
            tokio::time::timeout(t.smtp_step, conn.auth(DEFAULT_MECHANISMS, &credentials))
                .await
                .map_err(|_| late("did not answer the login", t.smtp_step))?
                .map_err(smtp_error)?;
        }
        tokio::time::timeout(t.smtp_step, conn.send(&envelope, &bytes))
            .await
            .map_err(|_| late("did not accept the message", t.smtp_step))?
            .map_err(smtp_error)?;
        Ok(())
    }
    .await;
    // Sent or not, QUIT and close; a server that does not answer QUIT changes nothing.
    let _ = tokio::time::timeout(t.smtp_step, conn.abort()).await;
    exchanged
}

fn smtp_error(e: lettre::transport::smtp::Error) -> SendError {
    let msg = format!("SMTP delivery failed: {e}");
    if e.is_permanent() {
        SendError::permanent(msg)
    } else {
        SendError::transient(msg)
    }
}
