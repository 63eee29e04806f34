//! Where a block sits on the page (its placement classes); the grid's arithmetic is `app`'s.

pub use app::boards::grid::{GRID_COLUMNS, first_free, moved, parse_layout};
pub(super) use app::boards::grid::{GRID_ROWS, MAX_BLOCK_ROWS};
use store::Place;

pub(super) fn grid_classes(p: Place) -> String {
    let w = p.w.clamp(1, GRID_COLUMNS);
    let x = p.x.clamp(0, GRID_COLUMNS - w);
    format!(
        "gx{} gw{} gy{} gh{}",
        x,
        w,
        p.y.clamp(0, GRID_ROWS - 1),
        p.h.clamp(1, MAX_BLOCK_ROWS)
    )
}
