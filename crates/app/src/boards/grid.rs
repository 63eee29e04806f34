//! The board grid's arithmetic: its size, the first free spot, one step of the arrangement
//! controls, and the layout the drag-and-drop script posts.

use store::{BlockId, Place};

/// Columns of the board grid.
pub const GRID_COLUMNS: i64 = 12;
/// Rows the grid stylesheet places blocks on.
pub const GRID_ROWS: i64 = 60;
/// The tallest a block may be, in rows.
pub const MAX_BLOCK_ROWS: i64 = 8;

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
    n.h = n.h.clamp(1, MAX_BLOCK_ROWS);
    n.x = n.x.clamp(0, GRID_COLUMNS - n.w);
    n.y = n.y.clamp(0, GRID_ROWS - 1);
    Some(n)
}

/// Whether a placement sits wholly inside the grid.
pub fn inside(p: Place) -> bool {
    p.x >= 0
        && p.w >= 1
        && p.x + p.w <= GRID_COLUMNS
        && p.y >= 0
        && p.y < GRID_ROWS
        && (1..=MAX_BLOCK_ROWS).contains(&p.h)
}

/// `id:x,y,w,h;id:x,y,w,h`, as `boards.js` sends after a drag; `None` when any item does not
/// read.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boards::templates::flow;

    #[test]
    fn moves_stay_inside_the_grid() {
        let p = Place {
            x: 0,
            y: 0,
            w: 12,
            h: 2,
        };
        assert_eq!(moved(p, "left"), Some(p));
        assert_eq!(moved(p, "wider"), Some(p));
        assert_eq!(moved(p, "narrower").unwrap().w, 11);
        assert_eq!(
            moved(Place { x: 9, ..p }, "right").unwrap().x,
            0,
            "a 12-wide block stays at 0"
        );
        assert_eq!(moved(p, "fly"), None);
    }

    #[test]
    fn layouts_read_and_flow_wraps() {
        assert_eq!(
            parse_layout("1:0,0,4,2; 2:4,0,8,3"),
            Some(vec![
                (
                    BlockId(1),
                    Place {
                        x: 0,
                        y: 0,
                        w: 4,
                        h: 2
                    }
                ),
                (
                    BlockId(2),
                    Place {
                        x: 4,
                        y: 0,
                        w: 8,
                        h: 3
                    }
                )
            ])
        );
        assert_eq!(parse_layout("1:0,0,4"), None);
        let taken = [
            Place {
                x: 0,
                y: 0,
                w: 3,
                h: 2,
            },
            Place {
                x: 3,
                y: 0,
                w: 6,
                h: 3,
            },
        ];
        assert_eq!(first_free(&taken, 3, 2), (9, 0));
        assert_eq!(first_free(&taken, 4, 2), (0, 3));
        let f = flow(&[(6, 3), (6, 2), (3, 2)], 0);
        assert_eq!(
            f[2],
            Place {
                x: 0,
                y: 3,
                w: 3,
                h: 2
            }
        );
    }
}
