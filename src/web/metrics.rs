//! The metrics over HTTP: the Prometheus endpoint and the middleware that counts requests.

use crate::app::AppError;
use super::error::Fail;
use super::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Instant;

pub async fn endpoint(State(st): State<AppState>) -> Response {
    match st.metrics.render(&st.cfg, &st.store, st.searcher.num_docs()).await {
        Ok(out) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], out).into_response(),
        Err(e) => Fail::App(AppError::Internal(e)).json(),
    }
}

/// Counts and times every request by its route pattern (never by raw path: ids would explode the labels).
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_string()).unwrap_or_else(|| "unmatched".into());
    let resp = next.run(req).await;
    st.metrics.http_request(method, route, resp.status().as_u16(), start.elapsed().as_secs_f64());
    resp
}
