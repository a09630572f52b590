//! Every route of the web UI and API in one table: method, path, who may use it, handler. The router
//! and the access rules are both built from it, so a route cannot exist without its rule.

use super::access::Need;
use super::{api, metrics, overview, pages, AppState};
use crate::model::Role;
use axum::routing::MethodRouter;

const ANY: Need = Need::Roles(&[Role::Admin, Role::Analyst, Role::Triage, Role::Leader]);
/// Analysts flag; triage staff and admins may too.
const FLAG: Need = Need::Roles(&[Role::Admin, Role::Analyst, Role::Triage]);
/// Working the queue.
const WORK: Need = Need::Roles(&[Role::Admin, Role::Triage]);
const ADMIN: Need = Need::Roles(&[Role::Admin]);
/// Writing a report on demand: leaders, triage staff and admins (analysts read them).
const REPORT: Need = Need::Roles(&[Role::Admin, Role::Triage, Role::Leader]);

/// A handler under one method.
fn on<H, T>(method: &str, handler: H) -> MethodRouter<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    let filter = match method {
        "GET" => axum::routing::MethodFilter::GET,
        "POST" => axum::routing::MethodFilter::POST,
        "PATCH" => axum::routing::MethodFilter::PATCH,
        "DELETE" => axum::routing::MethodFilter::DELETE,
        other => unreachable!("the route table names {other}, which `on` does not know"),
    };
    axum::routing::on(filter, handler)
}

macro_rules! table {
    ($($method:ident $path:literal $need:expr => $handler:path,)*) => {
        /// Every route, with who may use it: what `access::guard` enforces.
        pub const RULES: &[(&str, &str, Need)] = &[$((stringify!($method), $path, $need)),*];

        /// The same routes with their handlers, for `web::router`.
        pub(super) fn handlers() -> Vec<(&'static str, MethodRouter<AppState>)> {
            vec![$(($path, on(stringify!($method), $handler))),*]
        }
    };
}

table! {
    GET "/" ANY => pages::home,
    GET "/healthz" Need::Public => api::healthz,
    GET "/login" Need::Public => pages::login_form,
    POST "/login" Need::Public => pages::login,
    GET "/lang" Need::Public => pages::set_lang,
    GET "/static/{file}" Need::Public => pages::static_file,
    GET "/api/v1/openapi.json" Need::Public => api::openapi,
    POST "/logout" ANY => pages::logout,
    GET "/overview" ANY => overview::page,
    GET "/api/v1/overview" ANY => overview::api,
    GET "/search" ANY => pages::search,
    POST "/searches" ANY => pages::save_search,
    POST "/searches/{id}/delete" ANY => pages::delete_search,
    GET "/articles/{id}" ANY => pages::article,
    POST "/articles/{id}/flag" FLAG => pages::flag,
    POST "/articles/{id}/gloss" FLAG => pages::gloss,
    GET "/articles/{id}/evidence.warc.gz" ANY => pages::evidence_warc,
    GET "/queue" ANY => pages::queue,
    GET "/queue/{id}" ANY => pages::queue_item,
    POST "/queue/{id}/action" WORK => pages::queue_action,
    POST "/queue/{id}/notes" WORK => pages::queue_note,
    POST "/queue/{id}/recheck" WORK => pages::queue_recheck,
    GET "/stories/{id}" ANY => pages::story,
    GET "/reports" ANY => pages::reports,
    POST "/reports" REPORT => pages::generate_report,
    GET "/reports/{id}" ANY => pages::report,
    GET "/admin/users" ADMIN => pages::users,
    POST "/admin/users" ADMIN => pages::add_user,
    POST "/admin/users/{id}" ADMIN => pages::update_user,
    POST "/admin/users/{id}/tokens" ADMIN => pages::create_token,
    POST "/admin/tokens/{id}/revoke" ADMIN => pages::revoke_token,
    GET "/admin/sources" ADMIN => pages::sources,
    POST "/admin/sources" ADMIN => pages::add_source,
    POST "/admin/sources/{id}/enabled" ADMIN => pages::set_source_enabled,
    POST "/admin/reload" ADMIN => pages::reload_config,
    POST "/admin/sources/{id}/run" ADMIN => pages::run_source,
    POST "/admin/jobs/{id}/retry" ADMIN => pages::retry_job,
    POST "/admin/retag" ADMIN => pages::start_retag,
    GET "/admin/audit" ADMIN => pages::audit,
    GET "/admin/localities" ADMIN => pages::localities,
    GET "/admin/audit/export" ADMIN => api::audit_export,
    GET "/metrics" ADMIN => metrics::endpoint,
    GET "/api/v1/stories/{id}" ANY => api::story,
    GET "/api/v1/reports" ANY => api::reports,
    POST "/api/v1/reports" REPORT => api::generate_report,
    GET "/api/v1/reports/{id}" ANY => api::report,
    GET "/api/v1/me" ANY => api::me,
    GET "/api/v1/meta" ANY => api::meta,
    GET "/api/v1/gazetteer" ADMIN => api::gazetteer,
    GET "/api/v1/search" ANY => api::search,
    GET "/api/v1/articles/{id}" ANY => api::article,
    POST "/api/v1/articles/{id}/flag" FLAG => api::flag,
    PATCH "/api/v1/articles/{id}" FLAG => api::patch_article,
    GET "/api/v1/queue" ANY => api::queue,
    GET "/api/v1/queue/{id}" ANY => api::queue_item,
    POST "/api/v1/queue/{id}/actions" WORK => api::queue_action,
    POST "/api/v1/queue/{id}/notes" WORK => api::queue_note,
    GET "/api/v1/searches" ANY => api::saved_searches,
    POST "/api/v1/searches" ANY => api::save_search,
    DELETE "/api/v1/searches/{id}" ANY => api::delete_search,
    POST "/api/v1/tokens" ANY => api::create_token,
    GET "/api/v1/users" ADMIN => api::users,
    POST "/api/v1/users" ADMIN => api::add_user,
    PATCH "/api/v1/users/{id}" ADMIN => api::update_user,
    GET "/api/v1/sources" ADMIN => api::sources,
    POST "/api/v1/sources" ADMIN => api::add_source,
    PATCH "/api/v1/sources/{id}" ADMIN => api::patch_source,
    GET "/api/v1/config" ADMIN => api::config_status,
    POST "/api/v1/config/reload" ADMIN => api::reload_config,
    POST "/api/v1/sources/{id}/run" ADMIN => api::run_source,
    GET "/api/v1/jobs/poisoned" ADMIN => api::poisoned_jobs,
    POST "/api/v1/jobs/{id}/retry" ADMIN => api::retry_job,
    GET "/api/v1/retag" ADMIN => api::retag_status,
    POST "/api/v1/retag" ADMIN => api::start_retag,
    GET "/api/v1/audit" ADMIN => api::audit_export,
}
