//! `[[locality]]`: the places an office watches, by hand or derived from a gazetteer unit.

use super::raw::RawLocality;
use super::{At, ConfigError};

#[derive(Debug, Clone)]
pub struct Locality {
    pub id: String,
    pub name: String,
    /// The name first, then the names derived from `unit` that need nothing beside them, then the
    /// configured aliases; each parsed as a phrase.
    pub aliases: Vec<String>,
    /// Names shared with a place elsewhere: each counts only in a paragraph (or the title) that also
    /// names one of the words beside it (the unit's parents).
    pub near: Vec<(String, Vec<String>)>,
    /// The gazetteer unit it was configured from (`unit`), its label, and every name derived with
    /// the reason (`presswatch locality show`).
    pub unit: Option<String>,
    pub derived: Vec<crate::gazetteer::Alias>,
    /// Phrases that name something else (`tàu Cần Giờ`, a ship): an alias inside one does not count.
    pub not: Vec<String>,
}

/// One `[[locality]]` (its id already checked).
pub(super) fn validate(at: &At, i: usize, l: &RawLocality) -> Result<Locality, ConfigError> {
        let key = |k: &str| format!("locality[{i}].{k}");
        let derived = match &l.unit {
            None => {
                if l.former || l.detail.is_some() {
                    let k = if l.former { "former" } else { "detail" };
                    return Err(at.err(key(k), "applies to a `unit`, and this locality names none"));
                }
                None
            }
            Some(spec) => {
                let g = crate::gazetteer::get();
                // None: "unit", the unit itself (and a province's towns), whatever its level
                let detail = match l.detail.as_deref() {
                    None | Some("commune") => Some(crate::gazetteer::Level::Commune),
                    Some("district") => Some(crate::gazetteer::Level::District),
                    Some("unit") => None,
                    Some(other) => {
                        return Err(at.err(key("detail"), format!("\"{other}\" is not one of \"unit\", \"district\", \"commune\"")))
                    }
                };
                let id = g.resolve(spec, l.former).map_err(|e| at.err(key("unit"), e.to_string()))?;
                let detail = detail.unwrap_or(g.units[id].level);
                Some((g.label(id), g.units[id].name, g.aliases(id, detail)))
            }
        };
        let name = match (&l.name, &derived) {
            (Some(n), _) if !n.trim().is_empty() => n.trim().to_string(),
            (Some(_), _) => return Err(at.err(key("name"), "must not be empty")),
            (None, Some((_, unit_name, _))) => unit_name.to_string(),
            (None, None) => return Err(at.err(key("name"), "is required (or a `unit` to take it from)")),
        };
        let mut aliases = vec![name.clone()];
        let mut near = Vec::new();
        for a in derived.iter().flat_map(|d| &d.2) {
            if a.near.is_empty() {
                if !aliases.contains(&a.text) {
                    aliases.push(a.text.clone());
                }
            } else {
                near.push((a.text.clone(), a.near.clone()));
            }
        }
        for (j, a) in l.aliases.iter().enumerate() {
            if crate::text::words(a).is_empty() {
                return Err(at.err(format!("locality[{i}].aliases[{j}]"), "alias has no words"));
            }
            if !aliases.contains(&a.trim().to_string()) {
                aliases.push(a.trim().to_string());
            }
        }
        let mut not = Vec::new();
        for (j, n) in l.not.iter().enumerate() {
            let key = format!("locality[{i}].not[{j}]");
            if crate::text::words(n).is_empty() {
                return Err(at.err(key, "phrase has no words"));
            }
            if !aliases.iter().any(|a| crate::text::contains_phrase(n, a)) {
                return Err(at.err(key, "contains none of the locality's name and aliases, so it would exclude nothing"));
            }
            not.push(n.trim().to_string());
        }
        let (unit, derived) = derived.map_or((None, Vec::new()), |(label, _, d)| (Some(label), d));
        Ok(Locality { id: l.id.clone(), name, aliases, near, not, unit, derived })
}
