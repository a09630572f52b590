//! URL normalisation, so one article has one identity however a feed links to it: lowercase scheme
//! and host, default port and fragment dropped, tracking parameters removed, remaining query sorted.

use url::Url;

const TRACKING_PREFIXES: &[&str] = &["utm_", "mc_", "pk_", "piwik_", "matomo_", "hsa_", "_hs", "vero_", "oly_"];
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gclsrc",
    "msclkid",
    "yclid",
    "igshid",
    "mkt_tok",
    "ref_src",
    "ref",
    "cmpid",
    "ncid",
    "ito",
    "_ga",
    "spm",
    "share",
    "zarsrc",
    "zalo_source",
    "rss",
    "rssid",
    "from",
    "cid",
    "ocid",
    "taid",
    "tracking",
    "trk",
    "sr_share",
    "s_cid",
    "at_medium",
    "at_campaign",
    "at_custom1",
];

/// Normalises an absolute http(s) URL; None for other schemes or unparsable input.
pub fn normalize(raw: &str) -> Option<String> {
    let mut u = Url::parse(raw.trim()).ok()?;
    normalize_url(&mut u)?;
    Some(u.to_string())
}

/// Resolves `raw` against `base` and normalises it.
pub fn resolve(base: &Url, raw: &str) -> Option<String> {
    let mut u = base.join(raw.trim()).ok()?;
    normalize_url(&mut u)?;
    Some(u.to_string())
}

/// The site a URL belongs to: its host without `www.` or `m.`, so the desktop, mobile and bare
/// hosts of one outlet count as one site.
pub fn site(url: &str) -> Option<String> {
    let u = Url::parse(url).ok()?;
    let h = u.host_str()?.to_ascii_lowercase();
    Some(h.strip_prefix("www.").or_else(|| h.strip_prefix("m.")).unwrap_or(&h).to_string())
}

fn normalize_url(u: &mut Url) -> Option<()> {
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    u.set_fragment(None);
    if !u.username().is_empty() || u.password().is_some() {
        // credentials in a crawled link are never ours to send
        u.set_username("").ok()?;
        u.set_password(None).ok()?;
    }
    let pairs: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !TRACKING_PARAMS.contains(&k.as_str()) && !TRACKING_PREFIXES.iter().any(|p| k.starts_with(p))
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if pairs.is_empty() {
        u.set_query(None);
    } else {
        let mut pairs = pairs;
        pairs.sort();
        u.query_pairs_mut().clear().extend_pairs(pairs);
    }
    // `Url` already lowercases scheme and host and drops default ports.
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_fragment_case() {
        assert_eq!(
            normalize("HTTPS://Bao.Example:443/a/b.html?utm_source=rss&id=5&utm_medium=x#top").as_deref(),
            Some("https://bao.example/a/b.html?id=5")
        );
        assert_eq!(normalize("http://x.org/p?b=2&a=1&fbclid=z").as_deref(), Some("http://x.org/p?a=1&b=2"));
        assert_eq!(normalize("javascript:alert(1)"), None);
        assert_eq!(normalize("file:///etc/passwd"), None);
        assert_eq!(normalize("http://user:pw@x.org/").as_deref(), Some("http://x.org/"));
        assert_eq!(site("https://www.Bao.example/a"), site("http://m.bao.example/b"));
        assert_ne!(site("https://bao.example/a"), site("https://other.example/a"));
    }
}
