//! Small helpers for the DOM and URLs.

use affianca_domain::Scope;
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

/// "Nessun utente trovato", "1 utente trovato", "12 utenti trovati".
pub fn count_users(n: u64) -> String {
    match n {
        0 => "Nessun utente trovato".to_owned(),
        1 => "1 utente trovato".to_owned(),
        n => format!("{n} utenti trovati"),
    }
}

/// "Nessun evento trovato", "1 evento trovato", "12 eventi trovati".
pub fn count_events(n: u64) -> String {
    match n {
        0 => "Nessun evento trovato".to_owned(),
        1 => "1 evento trovato".to_owned(),
        n => format!("{n} eventi trovati"),
    }
}

/// A calendar day (year, month, day), as a date input gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl Day {
    /// The following day.
    pub fn next(self) -> Self {
        if self.day < days_in_month(self.year, self.month) {
            Self {
                day: self.day + 1,
                ..self
            }
        } else if self.month < 12 {
            Self {
                month: self.month + 1,
                day: 1,
                ..self
            }
        } else {
            Self {
                year: self.year + 1,
                month: 1,
                day: 1,
            }
        }
    }

    fn midnight_utc(self) -> String {
        format!(
            "{:04}-{:02}-{:02}T00:00:00Z",
            self.year, self.month, self.day
        )
    }
}

/// A day written `YYYY-MM-DD` (what `<input type="date">` gives), if it is a real day.
pub fn parse_day(s: &str) -> Option<Day> {
    let mut parts = s.trim().splitn(3, '-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) || !digits(d, 2) {
        return None;
    }
    let day = Day {
        year: y.parse().ok()?,
        month: m.parse().ok()?,
        day: d.parse().ok()?,
    };
    ((1..=12).contains(&day.month) && (1..=days_in_month(day.year, day.month)).contains(&day.day))
        .then_some(day)
}

/// The first instant of a day, for a `from` filter: `2026-11-26T00:00:00Z`.
pub fn day_start(day: &str) -> Option<String> {
    parse_day(day).map(Day::midnight_utc)
}

/// The first instant after a day, for an exclusive `to` filter: the next day at midnight.
pub fn day_end(day: &str) -> Option<String> {
    parse_day(day).map(|d| d.next().midnight_utc())
}

/// An instant (milliseconds since the epoch) as a local date and time in Italian
/// (`26/11/2026, 10:30:00`), in the browser's time zone.
pub fn format_datetime(epoch_millis: i64) -> String {
    locale_string(epoch_millis, &[DAY, MONTH, YEAR, HOUR, MINUTE, SECOND])
}

/// An instant (milliseconds since the epoch) as a local date in Italian (`26/11/2026`).
pub fn format_date(epoch_millis: i64) -> String {
    locale_string(epoch_millis, &[DAY, MONTH, YEAR])
}

/// An appointment in words, in the browser's time zone: `giovedì 10 dicembre 2026 alle ore 10:00`.
pub fn format_appointment(epoch_millis: i64) -> String {
    locale_string(
        epoch_millis,
        &[
            ("weekday", "long"),
            ("day", "numeric"),
            ("month", "long"),
            YEAR,
            HOUR,
            MINUTE,
        ],
    )
}

const DAY: (&str, &str) = ("day", "2-digit");
const MONTH: (&str, &str) = ("month", "2-digit");
const YEAR: (&str, &str) = ("year", "numeric");
const HOUR: (&str, &str) = ("hour", "2-digit");
const MINUTE: (&str, &str) = ("minute", "2-digit");
const SECOND: (&str, &str) = ("second", "2-digit");

#[cfg(target_arch = "wasm32")]
fn locale_string(epoch_millis: i64, fields: &[(&str, &str)]) -> String {
    use wasm_bindgen::JsValue;
    // Milliseconds since the epoch are exact in an f64 for any date of interest.
    #[allow(clippy::cast_precision_loss)]
    let date = js_sys::Date::new(&JsValue::from_f64(epoch_millis as f64));
    let options = js_sys::Object::new();
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&options, &(*k).into(), &(*v).into());
    }
    date.to_locale_string("it-IT", &options).into()
}

/// Outside the browser (unit tests) there is no locale: the raw instant.
#[cfg(not(target_arch = "wasm32"))]
fn locale_string(epoch_millis: i64, _fields: &[(&str, &str)]) -> String {
    format!("{epoch_millis} ms")
}

/// The value of a `datetime-local` input (`2026-12-10T10:00`, the browser's time zone) as an
/// instant in UTC.
#[cfg(target_arch = "wasm32")]
pub fn local_input_to_utc(value: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    // `YYYY-MM-DDTHH:MM` without an offset is read by JavaScript as local time.
    if value.len() < 16 || value.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(value));
    if date.get_time().is_nan() {
        return None;
    }
    String::from(date.to_iso_string()).parse().ok()
}

#[cfg(not(target_arch = "wasm32"))]
pub fn local_input_to_utc(value: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    format!("{value}:00Z").parse().ok()
}

/// Where a grant applies, in words: "intera regione", "provincia BG", "ente 016024",
/// "task force Edilizia e urbanistica".
pub fn scope_label(scope: &Scope) -> String {
    match scope {
        Scope::Region => "intera regione".to_owned(),
        Scope::Province(p) => format!("provincia {p}"),
        Scope::Authority(a) => format!("ente {a}"),
        Scope::TaskForce(t) => format!("task force {}", t.name_it()),
    }
}

/// JSON on one line with a space after `,` and `:`, so that it can wrap between fields.
pub fn compact_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let fields: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), compact_json(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(a) => {
            let items: Vec<String> = a.iter().map(compact_json).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// The first `max` characters of `s`, and whether anything was cut.
pub fn truncate_chars(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max) {
        Some((i, _)) => (&s[..i], true),
        None => (s, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_become_utc_bounds() {
        assert_eq!(
            day_start("2026-11-26").as_deref(),
            Some("2026-11-26T00:00:00Z")
        );
        assert_eq!(
            day_end("2026-11-26").as_deref(),
            Some("2026-11-27T00:00:00Z")
        );
        assert_eq!(
            day_end("2026-12-31").as_deref(),
            Some("2027-01-01T00:00:00Z")
        );
        assert_eq!(
            day_end("2028-02-28").as_deref(),
            Some("2028-02-29T00:00:00Z")
        );
        for bad in [
            "",
            "2026-02-30",
            "26-11-2026",
            "2026-1-5",
            "2026/11/26",
            "oggi",
        ] {
            assert_eq!(day_start(bad), None, "{bad}");
            assert_eq!(day_end(bad), None, "{bad}");
        }
    }

    #[test]
    fn scopes_read_in_italian() {
        assert_eq!(scope_label(&Scope::Region), "intera regione");
        assert_eq!(
            scope_label(&Scope::parse("province:BG").unwrap()),
            "provincia BG"
        );
        assert_eq!(
            scope_label(&Scope::parse("authority:016024").unwrap()),
            "ente 016024"
        );
        assert_eq!(
            scope_label(&Scope::parse("task_force:waste").unwrap()),
            "task force Rifiuti"
        );
    }

    #[test]
    fn json_is_compact_but_wraps() {
        let v = serde_json::json!({"email": "a@b.it", "grants": ["observer province:BG"], "n": 1});
        assert_eq!(
            compact_json(&v),
            r#"{"email": "a@b.it", "grants": ["observer province:BG"], "n": 1}"#
        );
        assert_eq!(compact_json(&serde_json::json!("x\"y")), r#""x\"y""#);
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate_chars("abc", 5), ("abc", false));
        assert_eq!(truncate_chars("abc", 3), ("abc", false));
        assert_eq!(truncate_chars("àèìòù", 2), ("àè", true));
    }

    #[test]
    fn user_and_event_counts() {
        assert_eq!(count_users(0), "Nessun utente trovato");
        assert_eq!(count_users(1), "1 utente trovato");
        assert_eq!(count_events(2), "2 eventi trovati");
    }

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

/// Saves bytes as a download named `name` of type `mime` (through an object URL).
pub fn save_file(bytes: &[u8], name: &str, mime: &str) -> Option<()> {
    use wasm_bindgen::JsCast;
    use web_sys::js_sys::{Array, Uint8Array};
    let parts = Array::new();
    parts.push(&Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).ok()?;
    let link: web_sys::HtmlAnchorElement = web_sys::window()?
        .document()?
        .create_element("a")
        .ok()?
        .dyn_into()
        .ok()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Give the browser time to start the download before freeing the data.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        },
        std::time::Duration::from_secs(60),
    );
    Some(())
}
