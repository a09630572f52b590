//! Failures of a web request, with the stable codes the JSON API promises (`docs` in openapi.json):
//! `{"error": {"code": "...", "message": "..."}}`. HTML pages show the same message on an error page.

use crate::app::AppError;
use crate::store::StoreError;
use crate::triage::TriageError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// What the application refused (`App`), or what only the web can fail at: signing in, CSRF,
/// the login rate limit.
#[derive(Debug, thiserror::Error)]
pub enum Fail {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("log in first")]
    Unauthorized,
    #[error("missing or wrong CSRF token: reload the page and try again")]
    Csrf,
    #[error("too many failed logins: wait {0} seconds")]
    RateLimited(u64),
}

impl Fail {
    pub fn status(&self) -> StatusCode {
        match self {
            Fail::App(AppError::BadRequest(_) | AppError::InvalidQuery(_)) => StatusCode::BAD_REQUEST,
            Fail::Unauthorized => StatusCode::UNAUTHORIZED,
            Fail::App(AppError::Forbidden(_)) | Fail::Csrf => StatusCode::FORBIDDEN,
            Fail::App(AppError::NotFound(_)) => StatusCode::NOT_FOUND,
            Fail::App(AppError::Conflict(_) | AppError::IllegalTransition(_)) => StatusCode::CONFLICT,
            Fail::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Fail::App(AppError::Internal(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Fail::App(AppError::BadRequest(_)) => "bad_request",
            Fail::App(AppError::InvalidQuery(_)) => "invalid_query",
            Fail::Unauthorized => "unauthorized",
            Fail::App(AppError::Forbidden(_)) => "forbidden",
            Fail::Csrf => "csrf",
            Fail::App(AppError::NotFound(_)) => "not_found",
            Fail::App(AppError::Conflict(_)) => "conflict",
            Fail::App(AppError::IllegalTransition(_)) => "illegal_transition",
            Fail::RateLimited(_) => "rate_limited",
            Fail::App(AppError::Internal(_)) => "internal",
        }
    }

    /// The message a user sees: internal details go to the log, not the browser.
    pub fn public_message(&self) -> String {
        match self {
            Fail::App(AppError::Internal(m)) => {
                tracing::error!("request failed: {m}");
                "internal error; the details are in the server log".into()
            }
            other => other.to_string(),
        }
    }

    pub fn json(&self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code(), "message": self.public_message()}});
        let mut r = (self.status(), axum::Json(body)).into_response();
        if let Fail::RateLimited(s) = self {
            if let Ok(v) = s.to_string().parse() {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        r
    }
}

/// The lower layers' errors reach a status the way the application maps them.
macro_rules! through_app {
    ($($t:ty),*) => {$(
        impl From<$t> for Fail {
            fn from(e: $t) -> Fail {
                AppError::from(e).into()
            }
        }
    )*};
}
through_app!(StoreError, TriageError, crate::search::SearchError, crate::report::ReportError);

/// A failure answered as JSON (the API).
pub struct ApiError(pub Fail);

impl<E: Into<Fail>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.json()
    }
}

/// `Path` for the API: a malformed path parameter (`/api/v1/articles/abc`) is answered in the API's
/// JSON error shape, naming what was wrong, instead of axum's plain-text rejection.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiError(Fail::App(AppError::BadRequest(format!("path: {}", e.body_text()))))),
        }
    }
}

/// `Query` for the API: a malformed query string (`?offset=x`) is answered in the JSON error shape.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError(Fail::App(AppError::BadRequest(e.body_text())))),
        }
    }
}

/// A failure answered as an HTML page (the UI). Bilingual, since the error may come before we know
/// the user's language; the message is escaped like everything else.
pub struct PageError(pub Fail);

impl<E: Into<Fail>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        page_error(&self.0)
    }
}

pub fn page_error(f: &Fail) -> Response {
    let msg = crate::text::escape_html(&f.public_message());
    let body = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Lỗi / Error {status}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main class=\"narrow\">\
         <h1>Lỗi / Error {status}</h1><p class=\"error\" data-code=\"{code}\">{msg}</p><p><a href=\"/search\">Về trang tìm kiếm / Back to search</a></p>\
         </main></body></html>",
        status = f.status().as_u16(),
        code = f.code(),
    );
    let mut r = (f.status(), axum::response::Html(body)).into_response();
    if let Fail::RateLimited(s) = f {
        if let Ok(v) = s.to_string().parse() {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    r
}
