//! The board grid: its size, where a block sits (placement classes), the first free spot,
//! one step of the arrangement controls, and the layout the drag-and-drop script posts.

use super::*;

/// Columns of the board grid.
pub const GRID_COLUMNS: i64 = 12;
/// Rows the grid stylesheet places blocks on.
pub(super) const GRID_ROWS: i64 = 60;

pub(super) fn grid_classes(p: Place) -> String {
    let w = p.w.clamp(1, GRID_COLUMNS);
    let x = p.x.clamp(0, GRID_COLUMNS - w);
    format!(
        "gx{} gw{} gy{} gh{}",
        x,
        w,
        p.y.clamp(0, GRID_ROWS - 1),
        p.h.clamp(1, 8)
    )
}

/// The first spot, reading top to bottom and left to right, where a `w`×`h` block overlaps
/// no other block.
pub fn first_free(places: &[Place], w: i64, h: i64) -> (i64, i64) {
    let overlaps = |x: i64, y: i64| {
        places
            .iter()
            .any(|p| x < p.x + p.w && p.x < x + w && y < p.y + p.h && p.y < y + h)
    };
    for y in 0..GRID_ROWS - h {
        for x in 0..=GRID_COLUMNS - w {
            if !overlaps(x, y) {
                return (x, y);
            }
        }
    }
    (0, GRID_ROWS - h)
}

/// One step of the arrangement controls, kept inside the grid.
pub fn moved(p: Place, dir: &str) -> Option<Place> {
    let mut n = p;
    match dir {
        "left" => n.x -= 1,
        "right" => n.x += 1,
        "up" => n.y -= 1,
        "down" => n.y += 1,
        "wider" => n.w += 1,
        "narrower" => n.w -= 1,
        "taller" => n.h += 1,
        "shorter" => n.h -= 1,
        _ => return None,
    }
    n.w = n.w.clamp(1, GRID_COLUMNS);
    n.h = n.h.clamp(1, 8);
    n.x = n.x.clamp(0, GRID_COLUMNS - n.w);
    n.y = n.y.clamp(0, GRID_ROWS - 1);
    Some(n)
}

pub fn parse_layout(text: &str) -> Option<Vec<(BlockId, Place)>> {
    text.split(';')
        .filter(|s| !s.trim().is_empty())
        .map(|item| {
            let (id, rest) = item.split_once(':')?;
            let n: Vec<i64> = rest
                .split(',')
                .map(|v| v.trim().parse().ok())
                .collect::<Option<_>>()?;
            let [x, y, w, h] = n[..] else { return None };
            Some((BlockId(id.trim().parse().ok()?), Place { x, y, w, h }))
        })
        .collect()
}
