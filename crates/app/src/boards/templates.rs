//! The boards a new board can start from: blocks named by library metric, laid out in
//! reading order.

use store::Place;

use super::grid::GRID_COLUMNS;
use super::model::BlockKind;

pub struct TemplateBlock {
    pub kind: BlockKind,
    pub title: &'static str,
    pub slugs: &'static [&'static str],
    pub by_dimension: bool,
    pub stacked: bool,
    pub donut: bool,
    pub cumulative: bool,
}

pub const fn tb(
    kind: BlockKind,
    title: &'static str,
    slugs: &'static [&'static str],
) -> TemplateBlock {
    TemplateBlock {
        kind,
        title,
        slugs,
        by_dimension: false,
        stacked: false,
        donut: false,
        cumulative: false,
    }
}

pub struct BoardTemplate {
    pub slug: &'static str,
    pub name: &'static str,
    pub blocks: &'static [TemplateBlock],
}

/// Boards made from library metrics in one click.
pub const TEMPLATES: &[BoardTemplate] = &[
    BoardTemplate {
        slug: "messaging",
        name: "Twilio Messaging",
        blocks: &[
            tb(BlockKind::Number, "Messages sent", &["messages-sent"]),
            tb(BlockKind::Number, "Delivered", &["messages-delivered"]),
            tb(
                BlockKind::Number,
                "Delivery rate",
                &["message-delivery-rate"],
            ),
            tb(BlockKind::Number, "Failed", &["messages-failed"]),
            tb(
                BlockKind::Line,
                "Sent and delivered",
                &["messages-sent", "messages-delivered"],
            ),
            TemplateBlock {
                by_dimension: true,
                stacked: true,
                ..tb(
                    BlockKind::Bar,
                    "Messages by status",
                    &["messages-by-status"],
                )
            },
            TemplateBlock {
                donut: true,
                ..tb(BlockKind::Pie, "By direction", &["messages-by-direction"])
            },
            tb(
                BlockKind::Table,
                "Errors by code",
                &["message-errors-by-code"],
            ),
        ],
    },
    BoardTemplate {
        slug: "voice",
        name: "Twilio Voice",
        blocks: &[
            tb(BlockKind::Number, "Outbound calls", &["outbound-calls"]),
            tb(BlockKind::Number, "Inbound calls", &["inbound-calls"]),
            tb(BlockKind::Number, "Answer rate", &["call-answer-rate"]),
            tb(
                BlockKind::Number,
                "Average duration",
                &["average-call-duration"],
            ),
            tb(BlockKind::Line, "Call minutes", &["call-minutes"]),
            TemplateBlock {
                by_dimension: true,
                stacked: true,
                ..tb(BlockKind::Bar, "Calls by status", &["calls-by-status"])
            },
            tb(
                BlockKind::Pie,
                "Calls by direction",
                &["calls-by-direction"],
            ),
        ],
    },
    BoardTemplate {
        slug: "spend",
        name: "Twilio Spend",
        blocks: &[
            tb(BlockKind::Number, "Total spend", &["total-spend"]),
            tb(BlockKind::Number, "Messaging spend", &["messaging-spend"]),
            tb(BlockKind::Number, "Account balance", &["account-balance"]),
            TemplateBlock {
                cumulative: true,
                ..tb(BlockKind::Line, "Spend, running total", &["total-spend"])
            },
            TemplateBlock {
                donut: true,
                ..tb(BlockKind::Pie, "Spend by category", &["spend-by-category"])
            },
            tb(
                BlockKind::Table,
                "Spend by category",
                &["spend-by-category"],
            ),
        ],
    },
];

/// Lays blocks out left to right, wrapping at the grid's width.
pub fn flow(sizes: &[(i64, i64)], start_y: i64) -> Vec<Place> {
    let (mut x, mut y, mut row_h) = (0, start_y, 0);
    sizes
        .iter()
        .map(|&(w, h)| {
            if x + w > GRID_COLUMNS {
                x = 0;
                y += row_h;
                row_h = 0;
            }
            let p = Place { x, y, w, h };
            x += w;
            row_h = row_h.max(h);
            p
        })
        .collect()
}
