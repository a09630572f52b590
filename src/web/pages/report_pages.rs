//! Reports: the list, a report written on demand, a kept report read.

use crate::model::ReportId;
use super::*;

#[derive(Deserialize)]
pub struct ReportForm {
    week: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
pub struct ReportQuery {
    format: Option<String>,
}

pub async fn reports(State(st): State<AppState>, headers: HeaderMap, Extension(p): Extension<Principal>) -> PageResult {
    render_reports(&st, &headers, &p, StatusCode::OK, None).await
}

pub(super) async fn render_reports(st: &AppState, headers: &HeaderMap, p: &Principal, status: StatusCode, error: Option<String>) -> PageResult {
    let lang = lang_of(headers);
    let last = crate::report::Period::last_full_week(Utc::now());
    let ctx = json!({
        "reports": st.store.reports(200).await?,
        "can_generate": crate::web::access::allows(p.user.role, "POST", "/reports"),
        "default_week": last.label(),
        "schedule": st.cfg.report.schedule.map(|(d, h)| {
            let i = d.num_days_from_monday() as usize;
            let name = match lang {
                Lang::Vi => ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"][i],
                Lang::En => ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"][i],
            };
            format!("{name} {h:02}:00")
        }),
        "error": error,
    });
    let body = render(st, "reports.html", lang, Some(p), "/reports", "reports", ctx)?;
    Ok(html(status, body))
}

pub async fn generate_report(
    State(st): State<AppState>,
    headers: HeaderMap,
    Extension(p): Extension<Principal>,
    Form(f): Form<ReportForm>,
) -> PageResult {
    let period = match app::report_period(f.week.as_deref(), f.from.as_deref(), f.to.as_deref()).map_err(Fail::from) {
        Ok(period) => period,
        Err(e) => return render_reports(&st, &headers, &p, e.status(), Some(e.public_message())).await,
    };
    let id = app::generate_report(&st, &p.actor(), period).await?;
    Ok(see_other(&format!("/reports/{id}")))
}

/// The report itself (its own page, no site chrome), or a download with `?format=`.
pub async fn report(State(st): State<AppState>, Path(id): Path<i64>, Query(q): Query<ReportQuery>) -> PageResult {
    let (_, r) = app::report(&st, ReportId(id)).await?;
    Ok(match q.format.as_deref() {
        None => crate::web::reports::report_page(&r)?,
        Some(f) => crate::web::reports::report_file(&r, f)?,
    })
}
