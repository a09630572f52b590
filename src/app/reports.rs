//! Reports on demand: the period asked for, the report generated and kept, a kept one read back.

use crate::model::ReportId;
use super::{Actor, App, AppError};
use chrono::Utc;

/// The period a request names: `week`, or `from` and `to`, or (nothing) the last full week.
pub fn report_period(week: Option<&str>, from: Option<&str>, to: Option<&str>) -> Result<crate::report::Period, AppError> {
    crate::report::Period::chosen(week, from, to, Utc::now()).map_err(|e| AppError::BadRequest(e.to_string()))
}

pub async fn generate_report(st: &App, p: &Actor, period: crate::report::Period) -> Result<i64, AppError> {
    let (id, _) = crate::report::generate(&st.store, &st.cfg, period, Utc::now(), p.name()).await?;
    Ok(id)
}

pub async fn report(st: &App, id: ReportId) -> Result<(crate::store::ReportInfo, crate::report::Report), AppError> {
    crate::report::kept(&st.store, id.0).await?.ok_or_else(|| AppError::NotFound(format!("report {id}")))
}

