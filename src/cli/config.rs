//! `check-config` and `locality find|show`: what the configuration says, read back for people.

use super::load_config;
use crate::config::Config;
use anyhow::Result;
use std::path::Path;

pub fn check_config(path: &Path) -> Result<()> {
    let c = load_config(path)?;
    let enabled = c.sources.iter().filter(|s| s.enabled).count();
    println!(
        "{}: ok ({} sources, {} enabled; {} topics; {} localities; {} agencies; {} rules; {} alerts)",
        path.display(),
        c.sources.len(),
        enabled,
        c.topics.len(),
        c.localities.len(),
        c.agencies.len(),
        c.rules.len(),
        c.alerts.len()
    );
    // a locality taken from the gazetteer: what its shared names need before they count
    for l in c.localities.iter().filter(|l| l.unit.is_some()) {
        println!(
            "locality {}: {} ({} names anywhere, {} shared names that count only beside a parent; `presswatch locality show {}` lists them)",
            l.id,
            l.unit.as_deref().unwrap_or_default(),
            l.aliases.len(),
            l.near.len(),
            l.id
        );
        for (a, near) in l.near.iter().take(10) {
            println!("  {a}: near {}", near.join(" | "));
        }
        if l.near.len() > 10 {
            println!("  ... and {} more", l.near.len() - 10);
        }
    }
    Ok(())
}

/// `locality find`: the gazetteer's units that hold the words, closest first.
pub fn locality_find(name: &str, limit: usize) -> Result<()> {
    let g = crate::gazetteer::get();
    let found = g.find(name, limit);
    if found.is_empty() {
        anyhow::bail!("no administrative unit's name holds \"{name}\"");
    }
    for id in found {
        let u = &g.units[id];
        println!("{:<6} {:<9} {}", u.code, u.level.as_str(), g.label(id));
    }
    Ok(())
}

/// `locality show`: every name a locality matches, and why.
pub fn locality_show(cfg: &Config, id: &str) -> Result<()> {
    let Some(l) = cfg.localities.iter().find(|l| l.id == id) else {
        let known: Vec<&str> = cfg.localities.iter().map(|l| l.id.as_str()).collect();
        anyhow::bail!("no locality \"{id}\" is configured (configured: {})", known.join(", "));
    };
    print!("{}", describe_locality(l));
    Ok(())
}

/// What a locality matches, for `locality show` and `check-config`.
pub fn describe_locality(l: &crate::config::Locality) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{} ({})", l.id, l.name);
    if let Some(unit) = &l.unit {
        let _ = writeln!(out, "  unit: {unit}");
    }
    let why = |text: &str| l.derived.iter().find(|a| a.text == *text && a.near.is_empty()).map(|a| a.why.as_str());
    let _ = writeln!(out, "  matches anywhere ({}):", l.aliases.len());
    for a in &l.aliases {
        match why(a) {
            Some(w) => _ = writeln!(out, "    {a:<32} {w}"),
            None if *a == l.name => _ = writeln!(out, "    {a:<32} the locality's name"),
            None => _ = writeln!(out, "    {a:<32} configured alias"),
        }
    }
    if !l.near.is_empty() {
        let _ = writeln!(out, "  shared with places elsewhere: count only in a paragraph that also names one of the words after \"near\" ({}):", l.near.len());
        for (a, near) in &l.near {
            let _ = writeln!(out, "    {a:<32} near {}", near.join(" | "));
        }
    }
    if !l.not.is_empty() {
        let _ = writeln!(out, "  not inside: {}", l.not.join(" | "));
    }
    out
}
