//! The route table: every route is registered here with the least [`Role`] it admits (or as
//! public), so who may call what is read where the route is declared, not inside its handler.
//!
//! A feature builds its [`Routes`] with [`Routes::page`] / [`Routes::api`]; each entry both
//! mounts the handler and records `(method, path, access)` in [`Routes::table`], which the
//! access test walks as every role. A gated route runs [`gate`] first: it identifies the caller
//! once (or takes the one the CSRF layer already found), checks the role, and leaves the
//! [`Caller`] in the request's extensions for the handler's extractor.

use axum::Router;
use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};

use crate::accounts::Role;
use crate::auth::{Caller, identify, reject};
use crate::error::WebError;
use crate::state::AppState;

/// Where the JSON API is mounted.
pub const API_PREFIX: &str = "/api/v1";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone who can reach the port: sign-in, setup, health, Prometheus, assets, share links.
    Public,
    /// A signed-in caller with at least this role.
    Least(Role),
}

/// One row of the route table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    /// `GET`, `POST`, ...; `*` for a handler that answers every other method (a refusal).
    pub method: &'static str,
    /// The full path template, `/api/v1` included for API routes.
    pub path: String,
    pub access: Access,
    /// Under `/api/v1`: answered in JSON, 401 rather than a redirect to sign in.
    pub api: bool,
}

/// A feature's routes: pages, API (mounted under [`API_PREFIX`]) and their table.
pub struct Routes {
    state: AppState,
    pages: Router<AppState>,
    api: Router<AppState>,
    table: Vec<RouteEntry>,
}

impl Routes {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
            pages: Router::new(),
            api: Router::new(),
            table: Vec::new(),
        }
    }

    /// A page route.
    pub fn page<H, T>(self, method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(false, method, path, access, handler)
    }

    /// An API route; `path` is relative to [`API_PREFIX`].
    pub fn api<H, T>(self, method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(true, method, path, access, handler)
    }

    /// A page handler for every method `path` has no route for (the share links refuse them
    /// with their own page instead of a bare 405).
    pub fn page_other_methods<H, T>(self, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.register(
            false,
            "*",
            path,
            access,
            MethodRouter::new().fallback(handler),
        )
    }

    fn add<H, T>(
        self,
        api: bool,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let name = method_name(&method);
        // Only the standard methods reach here, each of which has a filter.
        let filter = MethodFilter::try_from(method)
            .unwrap_or_else(|e| panic!("route {path}: no method filter: {e}"));
        self.register(api, name, path, access, on(filter, handler))
    }

    /// Routes `mr` behind its role's gate and lists it in the table the access test reads.
    fn register(
        mut self,
        api: bool,
        method: &'static str,
        path: &'static str,
        access: Access,
        mr: MethodRouter<AppState>,
    ) -> Self {
        let mr = self.guarded(mr, access);
        if api {
            self.api = self.api.route(path, mr);
        } else {
            self.pages = self.pages.route(path, mr);
        }
        self.table.push(RouteEntry {
            method,
            path: if api {
                format!("{API_PREFIX}{path}")
            } else {
                path.to_owned()
            },
            access,
            api,
        });
        self
    }

    fn guarded(&self, mr: MethodRouter<AppState>, access: Access) -> MethodRouter<AppState> {
        match access {
            Access::Public => mr,
            // `route_layer`: a method the path does not take stays 405, and an unknown path 404.
            Access::Least(role) => mr.route_layer(axum::middleware::from_fn_with_state(
                (self.state.clone(), role),
                gate,
            )),
        }
    }

    /// Adds another feature's routes.
    pub fn merge(mut self, other: Routes) -> Self {
        self.pages = self.pages.merge(other.pages);
        self.api = self.api.merge(other.api);
        self.table.extend(other.table);
        self
    }

    pub fn table(&self) -> &[RouteEntry] {
        &self.table
    }

    /// The page router and the API router (paths relative to [`API_PREFIX`]).
    pub fn into_parts(self) -> (Router<AppState>, Router<AppState>, Vec<RouteEntry>) {
        (self.pages, self.api, self.table)
    }
}

fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Admits a caller with at least the route's role; answers 401 (the API) or a redirect to sign
/// in (pages) to anonymous callers, and 403 to a lesser role.
pub async fn gate(
    State((state, least)): State<(AppState, Role)>,
    mut request: Request,
    next: Next,
) -> Response {
    let found = match request.extensions().get::<Caller>() {
        Some(caller) => Ok(Some(caller.clone())),
        None => identify(&state, request.headers()).await,
    };
    let caller = match found.and_then(|c| c.ok_or(WebError::Unauthenticated)) {
        Ok(caller) => caller,
        Err(e) => return reject(&request, e),
    };
    if caller.user.role < least {
        return reject(&request, WebError::Forbidden(least));
    }
    request.extensions_mut().insert(caller);
    next.run(request).await.into_response()
}
