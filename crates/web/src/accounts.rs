//! People and access now live in the `app` crate (`app::accounts`); this re-export keeps the
//! web crate's paths (`crate::accounts::...`) as they were.

pub use app::accounts::*;
