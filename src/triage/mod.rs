//! The review queue's rules: which actions are legal from which state, what each requires, and the
//! item that results. Pure: no I/O, so every rule is tested with plain values; `store` persists the
//! result with a version check, and the audit entry is computed here from before and after.

pub mod priority;

use crate::model::{Priority, QueueItem, QueueState};
use chrono::{DateTime, Utc};
use serde::Deserialize;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TriageError {
    #[error("cannot {action} an item that is {from}: {hint}")]
    IllegalTransition { action: &'static str, from: &'static str, hint: &'static str },
    #[error("{0}")]
    Invalid(String),
}

/// What a user asks of a queue item. The web form and the JSON API both deserialize into this.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// `new → in_review`
    StartReview,
    /// `in_review → assigned`: an agency from config is required; a user and a due date are optional.
    Assign { agency: String, assignee: Option<i64>, due: Option<DateTime<Utc>> },
    /// `assigned → responded`: the official response, as a link, a text, or both.
    Respond { response_url: Option<String>, response_text: Option<String> },
    /// `responded → closed`
    Close,
    /// Any open state → `dismissed`, with a reason.
    Dismiss { reason: String },
    /// `closed`/`dismissed` → `in_review`, with a reason.
    Reopen { reason: String },
    /// Change fields without moving the item: priority, agency, assignee, due date.
    Edit {
        priority: Option<Priority>,
        agency: Option<String>,
        assignee: Option<i64>,
        due: Option<DateTime<Utc>>,
        #[serde(default)]
        clear_assignee: bool,
        #[serde(default)]
        clear_due: bool,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::StartReview => "start_review",
            Action::Assign { .. } => "assign",
            Action::Respond { .. } => "respond",
            Action::Close => "close",
            Action::Dismiss { .. } => "dismiss",
            Action::Reopen { .. } => "reopen",
            Action::Edit { .. } => "edit",
        }
    }

    /// The reason recorded in the audit log, where the action carries one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Action::Dismiss { reason } | Action::Reopen { reason } => Some(reason),
            _ => None,
        }
    }
}

/// The actions legal from `state`, in the order the UI offers them.
pub fn legal_actions(state: QueueState) -> &'static [&'static str] {
    match state {
        QueueState::New => &["start_review", "dismiss", "edit"],
        QueueState::InReview => &["assign", "dismiss", "edit"],
        QueueState::Assigned => &["respond", "dismiss", "edit"],
        QueueState::Responded => &["close", "dismiss", "edit"],
        QueueState::Closed | QueueState::Dismissed => &["reopen"],
    }
}

/// What the configuration and the user table allow as values.
pub struct Known<'a> {
    pub agency: &'a (dyn Fn(&str) -> bool + Sync),
    pub user: &'a (dyn Fn(i64) -> bool + Sync),
}

/// The item after `action`, or why the action is not allowed. `now` stamps the change.
pub fn apply(item: &QueueItem, action: &Action, known: &Known, now: DateTime<Utc>) -> Result<QueueItem, TriageError> {
    let mut next = item.clone();
    let illegal = |hint| Err(TriageError::IllegalTransition { action: action.name(), from: item.state.as_str(), hint });
    let check_agency = |a: &str| {
        if (known.agency)(a) {
            Ok(a.to_string())
        } else {
            Err(TriageError::Invalid(format!("unknown agency `{a}`: agencies come from the configuration")))
        }
    };
    let check_user = |u: i64| if (known.user)(u) { Ok(u) } else { Err(TriageError::Invalid(format!("unknown or disabled user {u}"))) };
    match action {
        Action::StartReview => {
            if item.state != QueueState::New {
                return illegal("only a new item can be taken into review");
            }
            next.state = QueueState::InReview;
        }
        Action::Assign { agency, assignee, due } => {
            if item.state != QueueState::InReview {
                return illegal("review the item first; an item is assigned once, then edited");
            }
            next.agency_id = Some(check_agency(agency.trim())?);
            if let Some(u) = assignee {
                next.assignee_id = Some(check_user(*u)?);
            }
            if due.is_some() {
                next.due_at = *due;
            }
            next.state = QueueState::Assigned;
        }
        Action::Respond { response_url, response_text } => {
            if item.state != QueueState::Assigned {
                return illegal("only an assigned item can be answered");
            }
            let url = response_url.as_deref().map(str::trim).filter(|s| !s.is_empty());
            let text = response_text.as_deref().map(str::trim).filter(|s| !s.is_empty());
            if url.is_none() && text.is_none() {
                return Err(TriageError::Invalid("a response needs a link or a text".into()));
            }
            if let Some(u) = url {
                check_link(u)?;
            }
            next.response_url = url.map(str::to_string);
            next.response_text = text.map(str::to_string);
            next.responded_at = Some(now);
            next.state = QueueState::Responded;
        }
        Action::Close => {
            if item.state != QueueState::Responded {
                return illegal("record the official response before closing; dismiss an item that needs none");
            }
            next.state = QueueState::Closed;
            next.closed_at = Some(now);
        }
        Action::Dismiss { reason } => {
            if !item.state.is_open() {
                return illegal("the item is already finished; reopen it first");
            }
            need_reason(reason)?;
            next.state = QueueState::Dismissed;
            next.closed_at = Some(now);
        }
        Action::Reopen { reason } => {
            if item.state.is_open() {
                return illegal("only a closed or dismissed item can be reopened");
            }
            need_reason(reason)?;
            next.state = QueueState::InReview;
            next.closed_at = None;
        }
        Action::Edit { priority, agency, assignee, due, clear_assignee, clear_due } => {
            if !item.state.is_open() {
                return illegal("a finished item is not edited; reopen it first");
            }
            if let Some(p) = priority {
                next.priority = *p;
            }
            if let Some(a) = agency.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
                next.agency_id = Some(check_agency(a)?);
            }
            if *clear_assignee {
                next.assignee_id = None;
            } else if let Some(u) = assignee {
                next.assignee_id = Some(check_user(*u)?);
            }
            if *clear_due {
                next.due_at = None;
            } else if due.is_some() {
                next.due_at = *due;
            }
            if next == *item {
                return Err(TriageError::Invalid("nothing to change".into()));
            }
        }
    }
    next.updated_at = now;
    next.version = item.version + 1;
    Ok(next)
}

fn need_reason(reason: &str) -> Result<(), TriageError> {
    if reason.trim().is_empty() {
        return Err(TriageError::Invalid("a reason is required".into()));
    }
    Ok(())
}

/// Links we store are shown to staff as links: only http(s), nothing a browser would run.
pub fn check_link(u: &str) -> Result<(), TriageError> {
    match url::Url::parse(u) {
        Ok(p) if matches!(p.scheme(), "http" | "https") && p.host().is_some() => Ok(()),
        _ => Err(TriageError::Invalid(format!("`{u}` is not an http(s) link"))),
    }
}

/// The audit detail of a change: `{"field": [before, after]}` for every field that changed.
pub fn diff(before: &QueueItem, after: &QueueItem) -> serde_json::Value {
    let (b, a) = (serde_json::to_value(before).unwrap_or_default(), serde_json::to_value(after).unwrap_or_default());
    let mut out = serde_json::Map::new();
    if let (Some(b), Some(a)) = (b.as_object(), a.as_object()) {
        for (k, av) in a {
            // bookkeeping fields change on every write
            if matches!(k.as_str(), "updated_at" | "version") {
                continue;
            }
            let bv = b.get(k).cloned().unwrap_or(serde_json::Value::Null);
            if &bv != av {
                out.insert(k.clone(), serde_json::json!([bv, av]));
            }
        }
    }
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ArticleId;

    fn item(state: QueueState) -> QueueItem {
        let t = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        QueueItem {
            id: 1,
            article_id: Some(ArticleId(7)),
            story_id: None,
            state,
            reason: "sai sự thật".into(),
            priority: Priority::Normal,
            agency_id: None,
            assignee_id: None,
            due_at: None,
            response_url: None,
            response_text: None,
            created_by: Some(1),
            rule_id: None,
            created_at: t,
            updated_at: t,
            responded_at: None,
            closed_at: None,
            version: 3,
        }
    }

    fn known() -> Known<'static> {
        Known { agency: &|a| a == "cong-an", user: &|u| u == 5 }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_100_000, 0).unwrap()
    }

    #[test]
    fn the_whole_path_and_versions() {
        let k = known();
        let a = apply(&item(QueueState::New), &Action::StartReview, &k, now()).unwrap();
        assert_eq!((a.state, a.version), (QueueState::InReview, 4));
        let b = apply(&a, &Action::Assign { agency: "cong-an".into(), assignee: Some(5), due: Some(now()) }, &k, now()).unwrap();
        assert_eq!((b.state, b.agency_id.as_deref(), b.assignee_id), (QueueState::Assigned, Some("cong-an"), Some(5)));
        let c = apply(&b, &Action::Respond { response_url: Some("https://example.org/phan-hoi".into()), response_text: None }, &k, now())
            .unwrap();
        assert_eq!(c.state, QueueState::Responded);
        assert_eq!(c.responded_at, Some(now()));
        let d = apply(&c, &Action::Close, &k, now()).unwrap();
        assert_eq!(d.state, QueueState::Closed);
        let e = apply(&d, &Action::Reopen { reason: "bài bị sửa lại".into() }, &k, now()).unwrap();
        assert_eq!((e.state, e.closed_at), (QueueState::InReview, None));
        assert_eq!(e.version, 8);
    }

    #[test]
    fn illegal_transitions_say_why() {
        let k = known();
        let err = apply(&item(QueueState::New), &Action::Close, &k, now()).unwrap_err();
        assert!(matches!(err, TriageError::IllegalTransition { action: "close", from: "new", .. }), "{err}");
        assert!(apply(
            &item(QueueState::New),
            &Action::Respond { response_url: Some("https://x.vn".into()), response_text: None },
            &k,
            now()
        )
        .is_err());
        assert!(apply(&item(QueueState::Closed), &Action::Dismiss { reason: "x".into() }, &k, now()).is_err());
        assert!(apply(&item(QueueState::Assigned), &Action::Reopen { reason: "x".into() }, &k, now()).is_err());
        assert!(apply(
            &item(QueueState::Dismissed),
            &Action::Edit {
                priority: Some(Priority::High),
                agency: None,
                assignee: None,
                due: None,
                clear_assignee: false,
                clear_due: false
            },
            &k,
            now()
        )
        .is_err());
        // every state offers exactly the actions apply accepts (edit aside, which needs a change)
        for s in QueueState::ALL {
            for a in ["start_review", "assign", "respond", "close", "dismiss", "reopen"] {
                let act = match a {
                    "start_review" => Action::StartReview,
                    "assign" => Action::Assign { agency: "cong-an".into(), assignee: None, due: None },
                    "respond" => Action::Respond { response_url: None, response_text: Some("Đã trả lời".into()) },
                    "close" => Action::Close,
                    "dismiss" => Action::Dismiss { reason: "trùng".into() },
                    _ => Action::Reopen { reason: "lại".into() },
                };
                assert_eq!(apply(&item(s), &act, &k, now()).is_ok(), legal_actions(s).contains(&a), "{s:?} {a}");
            }
        }
    }

    #[test]
    fn requirements_are_checked() {
        let k = known();
        let review = item(QueueState::InReview);
        assert!(apply(&review, &Action::Assign { agency: "no-such".into(), assignee: None, due: None }, &k, now()).is_err());
        assert!(apply(&review, &Action::Assign { agency: "cong-an".into(), assignee: Some(99), due: None }, &k, now()).is_err());
        let assigned = item(QueueState::Assigned);
        let empty = Action::Respond { response_url: Some("  ".into()), response_text: None };
        assert!(apply(&assigned, &empty, &k, now()).is_err());
        let script = Action::Respond { response_url: Some("javascript:alert(1)".into()), response_text: None };
        assert!(apply(&assigned, &script, &k, now()).is_err());
        assert!(apply(&item(QueueState::New), &Action::Dismiss { reason: " ".into() }, &k, now()).is_err());
    }

    #[test]
    fn edit_and_diff() {
        let k = known();
        let before = item(QueueState::InReview);
        let edit = Action::Edit {
            priority: Some(Priority::Urgent),
            agency: None,
            assignee: Some(5),
            due: None,
            clear_assignee: false,
            clear_due: false,
        };
        let after = apply(&before, &edit, &k, now()).unwrap();
        assert_eq!(after.state, QueueState::InReview);
        let d = diff(&before, &after);
        assert_eq!(d["priority"], serde_json::json!(["normal", "urgent"]));
        assert_eq!(d["assignee_id"], serde_json::json!([null, 5]));
        assert!(d.get("version").is_none() && d.get("state").is_none());
        let same = Action::Edit {
            priority: Some(Priority::Normal),
            agency: None,
            assignee: None,
            due: None,
            clear_assignee: false,
            clear_due: false,
        };
        assert!(apply(&before, &same, &k, now()).is_err(), "an edit that changes nothing is refused");
    }
}
