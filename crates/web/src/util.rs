//! Small helpers for the DOM and URLs.

use web_sys::js_sys;

/// Sets the document title: "<page> — Affianca".
pub fn set_title(page: &str) {
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        doc.set_title(&format!("{page} — Affianca"));
    }
}

/// Percent-encodes a query-string value.
pub fn encode(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}

/// Moves keyboard focus to the element with this id (which should have `tabindex="-1"` unless
/// it is focusable already).
pub fn focus_id(id: &str) {
    use wasm_bindgen::JsCast;
    let el = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = el {
        let _ = el.focus();
    }
}

/// The page to return to after signing in: only a path of this site, never the login itself,
/// so that the parameter cannot send people elsewhere.
pub fn safe_return_path(candidate: Option<&str>) -> String {
    match candidate {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.starts_with("/\\")
                && !p.starts_with("/accedi")
                && !p.chars().any(char::is_control) =>
        {
            p.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// "1 ente trovato", "12 enti trovati", "Nessun ente trovato".
pub fn count_authorities(n: u64) -> String {
    match n {
        0 => "Nessun ente trovato".to_owned(),
        1 => "1 ente trovato".to_owned(),
        n => format!("{n} enti trovati"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_paths_stay_on_site() {
        assert_eq!(safe_return_path(Some("/enti?q=berg")), "/enti?q=berg");
        assert_eq!(safe_return_path(Some("//evil.example")), "/");
        assert_eq!(safe_return_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_return_path(Some("https://evil.example")), "/");
        assert_eq!(safe_return_path(Some("/accedi")), "/");
        assert_eq!(safe_return_path(None), "/");
    }

    #[test]
    fn counts_read_well() {
        assert_eq!(count_authorities(0), "Nessun ente trovato");
        assert_eq!(count_authorities(1), "1 ente trovato");
        assert_eq!(count_authorities(1502), "1502 enti trovati");
    }
}
