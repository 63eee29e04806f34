//! A Text block's notes: a small, safe subset of Markdown (paragraphs, emphasis, links, lists,
//! quotes, code, headings drawn as bold lines). The parser's events are written out by hand
//! from an allow-list, so raw HTML is shown as text, images as their description, and a link
//! keeps only an http, https or mailto address: whoever edits a board cannot run script in the
//! browsers of those who read it.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use super::render::esc;

/// The notes as HTML for the page.
pub fn to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 32);
    // Whether each open link was written as `<a>`: a refused address keeps its text only.
    let mut links: Vec<bool> = Vec::new();
    for event in Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(tag) => open(&mut out, tag, &mut links),
            Event::End(end) => close(&mut out, end, &mut links),
            Event::Text(t) | Event::Html(t) | Event::InlineHtml(t) => out.push_str(&esc(&t)),
            Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                out.push_str("<code>");
                out.push_str(&esc(&t));
                out.push_str("</code>");
            }
            Event::SoftBreak => out.push('\n'),
            Event::HardBreak => out.push_str("<br>"),
            Event::Rule => out.push_str("<hr>"),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }
    out
}

fn open(out: &mut String, tag: Tag<'_>, links: &mut Vec<bool>) {
    match tag {
        Tag::Paragraph | Tag::HtmlBlock => out.push_str("<p>"),
        Tag::Heading { .. } => out.push_str("<p class=\"md-heading\"><strong>"),
        Tag::BlockQuote(_) => out.push_str("<blockquote>"),
        Tag::CodeBlock(_) => out.push_str("<pre><code>"),
        Tag::List(Some(start)) => out.push_str(&format!("<ol start=\"{start}\">")),
        Tag::List(None) => out.push_str("<ul>"),
        Tag::Item => out.push_str("<li>"),
        Tag::Emphasis => out.push_str("<em>"),
        Tag::Strong => out.push_str("<strong>"),
        Tag::Strikethrough => out.push_str("<s>"),
        Tag::Link {
            dest_url, title, ..
        } => {
            let safe = allowed_address(&dest_url);
            if safe {
                out.push_str(&format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer nofollow\" target=\"_blank\"",
                    esc(&dest_url)
                ));
                if !title.is_empty() {
                    out.push_str(&format!(" title=\"{}\"", esc(&title)));
                }
                out.push('>');
            }
            links.push(safe);
        }
        // Images, tables and the rest are not in the subset: their text still shows.
        _ => {}
    }
}

fn close(out: &mut String, end: TagEnd, links: &mut Vec<bool>) {
    match end {
        TagEnd::Paragraph | TagEnd::HtmlBlock => out.push_str("</p>"),
        TagEnd::Heading(_) => out.push_str("</strong></p>"),
        TagEnd::BlockQuote(_) => out.push_str("</blockquote>"),
        TagEnd::CodeBlock => out.push_str("</code></pre>"),
        TagEnd::List(true) => out.push_str("</ol>"),
        TagEnd::List(false) => out.push_str("</ul>"),
        TagEnd::Item => out.push_str("</li>"),
        TagEnd::Emphasis => out.push_str("</em>"),
        TagEnd::Strong => out.push_str("</strong>"),
        TagEnd::Strikethrough => out.push_str("</s>"),
        TagEnd::Link => {
            let written = links.pop() == Some(true);
            if written {
                out.push_str("</a>");
            }
        }
        _ => {}
    }
}

/// The notes as plain lines, what the PNG export draws: list items get a bullet, every other
/// mark is dropped.
pub fn to_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut ordered: Vec<Option<u64>> = Vec::new();
    let flush = |line: &mut String, lines: &mut Vec<String>| {
        if !line.trim().is_empty() {
            lines.push(line.trim_end().to_owned());
        }
        line.clear();
    };
    for event in Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::List(start)) => {
                flush(&mut line, &mut lines);
                ordered.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                flush(&mut line, &mut lines);
                ordered.pop();
            }
            Event::Start(Tag::Item) => {
                flush(&mut line, &mut lines);
                let indent = "  ".repeat(ordered.len().saturating_sub(1));
                match ordered.last_mut() {
                    Some(Some(n)) => {
                        line.push_str(&format!("{indent}{n}. "));
                        *n += 1;
                    }
                    _ => line.push_str(&format!("{indent}• ")),
                }
            }
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock,
            )
            | Event::HardBreak
            | Event::Rule => flush(&mut line, &mut lines),
            Event::Text(t)
            | Event::Code(t)
            | Event::Html(t)
            | Event::InlineHtml(t)
            | Event::InlineMath(t)
            | Event::DisplayMath(t) => {
                // A code block's text carries its own line ends.
                let mut parts = t.split('\n');
                if let Some(first) = parts.next() {
                    line.push_str(first);
                }
                for part in parts {
                    flush(&mut line, &mut lines);
                    line.push_str(part);
                }
            }
            Event::SoftBreak => line.push(' '),
            _ => {}
        }
    }
    flush(&mut line, &mut lines);
    lines
}

/// Only addresses that open a page or a mail: `javascript:`, `data:` and the like are refused,
/// and so is anything without a scheme that a browser could read as one.
fn allowed_address(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emphasis_links_and_lists_render() {
        let html = to_html(
            "Read **this** and *that*.\n\n- one\n- [docs](https://example.com/a?b=1&c=2)\n",
        );
        assert_eq!(
            html,
            "<p>Read <strong>this</strong> and <em>that</em>.</p><ul><li>one</li><li>\
             <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"noopener noreferrer nofollow\" \
             target=\"_blank\">docs</a></li></ul>",
        );
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_html("<script>alert(1)</script>\n\nhi <img src=x onerror=alert(2)>");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn a_script_address_keeps_only_its_text() {
        for url in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "//evil.example",
        ] {
            let html = to_html(&format!("[click]({url})"));
            assert_eq!(html, "<p>click</p>", "{url}: {html}");
        }
    }

    #[test]
    fn an_image_shows_its_description() {
        assert_eq!(
            to_html("![a chart](https://x.example/c.png)"),
            "<p>a chart</p>"
        );
    }

    #[test]
    fn plain_lines_drop_the_marks_and_bullet_the_items() {
        assert_eq!(
            to_lines("# Weekly\n\nRead **this**.\n\n1. first\n2. second\n\n- a\n- b"),
            vec![
                "Weekly",
                "Read this.",
                "1. first",
                "2. second",
                "• a",
                "• b"
            ]
        );
    }
}
