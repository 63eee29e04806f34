//! The board grid's arithmetic: its size, the first free spot, one step of the arrangement
//! controls, the layout the designer posts, and the one rule that keeps blocks apart: a block
//! put somewhere pushes whatever it would overlap straight down ([`settle`]).

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
    // No gap fits: below everything (the caller refuses a spot past the last row).
    (0, places.iter().map(|p| p.y + p.h).max().unwrap_or(0))
}

/// Whether two placements share a cell.
pub fn overlap(a: Place, b: Place) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

/// The push-down rule. `layout` is every block with the place it should have; the blocks in
/// `first` (those the person just moved, resized or added, in that order) keep their place,
/// and every other block, top to bottom, goes straight down past whatever already stands in
/// its way. The answer has the blocks in `layout`'s order and no two of them overlap: each is
/// placed clear of all placed before it. A block in `first` that lands on an earlier one of
/// `first` is pushed down the same way.
pub fn settle(layout: &[(BlockId, Place)], first: &[BlockId]) -> Vec<(BlockId, Place)> {
    let mut order: Vec<usize> = Vec::with_capacity(layout.len());
    for id in first {
        if let Some(i) = layout.iter().position(|(b, _)| b == id)
            && !order.contains(&i)
        {
            order.push(i);
        }
    }
    let mut rest: Vec<usize> = (0..layout.len()).filter(|i| !order.contains(i)).collect();
    // Top to bottom, then left to right, so a pushed block stays below the ones above it.
    rest.sort_by_key(|&i| (layout[i].1.y, layout[i].1.x, layout[i].0.0));
    order.extend(rest);
    let mut placed: Vec<Option<Place>> = vec![None; layout.len()];
    let mut done: Vec<Place> = Vec::with_capacity(layout.len());
    for i in order {
        let mut p = layout[i].1;
        // Each step moves below one obstacle, so this ends after at most `done.len()` steps.
        while let Some(q) = done.iter().find(|q| overlap(p, **q)) {
            p.y = q.y + q.h;
        }
        done.push(p);
        placed[i] = Some(p);
    }
    layout
        .iter()
        .zip(placed)
        .map(|((id, orig), p)| (*id, p.unwrap_or(*orig)))
        .collect()
}

/// Why a layout cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    #[error("block {0} is not on this board")]
    Unknown(BlockId),
    #[error("block {0} is listed twice")]
    Twice(BlockId),
    #[error("block {0} must stay inside the 12-column grid, 1 to 8 rows tall")]
    Outside(BlockId),
    #[error("the board is full: block {0} would be pushed below row {GRID_ROWS}")]
    Full(BlockId),
}

/// The layout to store when `proposed` places arrive for a board whose blocks stand at
/// `current`: every proposed block must be on the board, once, inside the grid; blocks not
/// named keep their place; the blocks whose place changed go first and the rest are pushed
/// down ([`settle`]). The answer holds every block of the board, in `current`'s order.
pub fn arrange(
    current: &[(BlockId, Place)],
    proposed: &[(BlockId, Place)],
) -> Result<Vec<(BlockId, Place)>, LayoutError> {
    let mut layout = current.to_vec();
    let mut moved = Vec::new();
    let mut seen = Vec::new();
    for (id, p) in proposed {
        if seen.contains(id) {
            return Err(LayoutError::Twice(*id));
        }
        seen.push(*id);
        let slot = layout
            .iter_mut()
            .find(|(b, _)| b == id)
            .ok_or(LayoutError::Unknown(*id))?;
        if !inside(*p) {
            return Err(LayoutError::Outside(*id));
        }
        if slot.1 != *p {
            slot.1 = *p;
            moved.push(*id);
        }
    }
    let settled = settle(&layout, &moved);
    if let Some((id, _)) = settled.iter().find(|(_, p)| p.y + p.h > GRID_ROWS) {
        return Err(LayoutError::Full(*id));
    }
    Ok(settled)
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

    fn at(x: i64, y: i64, w: i64, h: i64) -> Place {
        Place { x, y, w, h }
    }

    fn no_two_overlap(layout: &[(BlockId, Place)]) -> bool {
        layout
            .iter()
            .enumerate()
            .all(|(i, (_, a))| layout[i + 1..].iter().all(|(_, b)| !overlap(*a, *b)))
    }

    #[test]
    fn a_block_dropped_on_another_pushes_it_down_below_itself() {
        let current = [(BlockId(1), at(0, 0, 4, 2)), (BlockId(2), at(4, 0, 4, 3))];
        let got = arrange(&current, &[(BlockId(1), at(5, 1, 4, 2))]).unwrap();
        // Block 1 keeps the spot it was dropped on; block 2 (rows 0..3) overlapped it and
        // goes down to the row under it: 1 + 2.
        assert_eq!(
            got,
            [(BlockId(1), at(5, 1, 4, 2)), (BlockId(2), at(4, 3, 4, 3))]
        );
    }

    #[test]
    fn a_push_carries_on_down_a_column() {
        // Three blocks stacked in one column; widening the one beside them over the column
        // pushes the first, which then pushes the next.
        let current = [
            (BlockId(1), at(0, 0, 3, 2)),
            (BlockId(2), at(3, 0, 3, 2)),
            (BlockId(3), at(3, 2, 3, 2)),
        ];
        let got = arrange(&current, &[(BlockId(1), at(0, 0, 6, 3))]).unwrap();
        assert_eq!(got[1].1, at(3, 3, 3, 2));
        assert_eq!(got[2].1, at(3, 5, 3, 2));
        assert!(no_two_overlap(&got));
    }

    #[test]
    fn blocks_out_of_the_way_stay_where_they_are() {
        let current = [(BlockId(1), at(0, 0, 3, 2)), (BlockId(2), at(6, 0, 6, 3))];
        let got = arrange(&current, &[(BlockId(1), at(0, 4, 3, 2))]).unwrap();
        assert_eq!(got[1].1, at(6, 0, 6, 3));
    }

    #[test]
    fn a_layout_naming_a_stranger_or_leaving_the_grid_is_refused() {
        let current = [(BlockId(1), at(0, 0, 3, 2))];
        assert_eq!(
            arrange(&current, &[(BlockId(9), at(0, 0, 3, 2))]),
            Err(LayoutError::Unknown(BlockId(9)))
        );
        assert_eq!(
            arrange(&current, &[(BlockId(1), at(10, 0, 3, 2))]),
            Err(LayoutError::Outside(BlockId(1)))
        );
        assert_eq!(
            arrange(&current, &[(BlockId(1), at(0, 0, 3, 9))]),
            Err(LayoutError::Outside(BlockId(1)))
        );
        assert_eq!(
            arrange(
                &current,
                &[(BlockId(1), at(0, 0, 3, 2)), (BlockId(1), at(0, 1, 3, 2))]
            ),
            Err(LayoutError::Twice(BlockId(1)))
        );
    }

    #[test]
    fn a_posted_layout_that_overlaps_itself_is_settled_not_stored_as_is() {
        let current = [(BlockId(1), at(0, 0, 3, 2)), (BlockId(2), at(0, 2, 3, 2))];
        // Both moved onto the same cells: the first named keeps them, the second goes below.
        let got = arrange(
            &current,
            &[(BlockId(1), at(2, 5, 3, 2)), (BlockId(2), at(2, 5, 3, 2))],
        )
        .unwrap();
        assert_eq!(
            got,
            [(BlockId(1), at(2, 5, 3, 2)), (BlockId(2), at(2, 7, 3, 2))]
        );
    }

    #[test]
    fn a_push_past_the_last_row_is_refused() {
        let current = [
            (BlockId(1), at(0, 0, 12, 2)),
            (BlockId(2), at(0, GRID_ROWS - 2, 12, 2)),
        ];
        assert_eq!(
            arrange(&current, &[(BlockId(1), at(0, GRID_ROWS - 3, 12, 2))]),
            Err(LayoutError::Full(BlockId(2)))
        );
    }

    /// A small deterministic generator (xorshift), so the property runs without a new
    /// dependency and fails the same way every time.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: i64) -> i64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as i64
        }
        fn place(&mut self) -> Place {
            let w = 1 + self.below(GRID_COLUMNS);
            let h = 1 + self.below(MAX_BLOCK_ROWS);
            at(self.below(GRID_COLUMNS - w + 1), self.below(12), w, h)
        }
    }

    #[test]
    fn any_sequence_of_moves_keeps_every_block_apart_and_the_moved_one_where_dropped() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _board in 0..200 {
            // Start from any layout, settled, as a board is after its first move.
            let n = 1 + rng.below(9);
            let start: Vec<(BlockId, Place)> = (0..n).map(|i| (BlockId(i), rng.place())).collect();
            let mut layout = settle(&start, &[]);
            assert!(no_two_overlap(&layout), "{layout:?}");
            for _move in 0..30 {
                let id = BlockId(rng.below(n));
                let to = rng.place();
                let before = layout.clone();
                let Ok(next) = arrange(&layout, &[(id, to)]) else {
                    continue;
                };
                assert!(no_two_overlap(&next), "{before:?} + {id}→{to:?} = {next:?}");
                assert_eq!(next.iter().find(|(b, _)| *b == id).unwrap().1, to);
                // Blocks only ever move down, never sideways nor up, and keep their size.
                for ((other, a), (_, b)) in before.iter().zip(&next) {
                    if *other != id && a != b {
                        assert!(a.x == b.x && a.w == b.w && a.h == b.h && b.y > a.y);
                    }
                }
                layout = next;
            }
        }
    }

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
