//! What a block is lives in `app` (the operations check it); the templates and the renderers
//! keep reading it under this path.

pub use app::boards::model::*;
