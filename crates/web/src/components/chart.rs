//! Line charts drawn as SVG by the client (no CDN, no script): a value per semester with
//! horizontal reference lines (baseline, targets). Each chart is a `figure` with a caption, an
//! accessible name, and the same numbers in a table for screen readers and for copying.

use leptos::prelude::*;

/// A horizontal line across the chart (baseline, target).
#[derive(Debug, Clone, PartialEq)]
pub struct RefLine {
    pub label: String,
    pub value: f64,
    /// A CSS class for its colour and dash (`ref-baseline`, `ref-target`).
    pub class: &'static str,
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// A number as people read it here: at most one decimal, comma as separator.
pub fn it_number(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}").replace('.', ",")
    }
}

/// A "nice" upper bound for the axis (1, 2 or 5 times a power of ten).
fn nice_max(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if m * p >= v {
            return m * p;
        }
    }
    10.0 * p
}

/// A line chart: `points` are (label, value) in order; missing values leave a gap.
#[component]
pub fn LineChart(
    id: String,
    title: String,
    unit: &'static str,
    points: Vec<(String, Option<f64>)>,
    #[prop(default = Vec::new())] lines: Vec<RefLine>,
) -> impl IntoView {
    if points.iter().all(|p| p.1.is_none()) {
        return view! {
            <figure class="chart mb-4" id=id>
                <figcaption class="h6">{title}</figcaption>
                <p class="text-muted">"Nessun dato da mostrare."</p>
            </figure>
        }
        .into_any();
    }
    let max = points
        .iter()
        .filter_map(|p| p.1)
        .chain(lines.iter().map(|l| l.value))
        .fold(0.0f64, f64::max);
    let top = nice_max(max * 1.05);
    let n = points.len().max(1);
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let x = move |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = move |v: f64| TOP + plot_h * (1.0 - v / top);
    // Consecutive present values make one path segment each.
    let mut path = String::new();
    let mut pen_down = false;
    for (i, (_, v)) in points.iter().enumerate() {
        match v {
            Some(v) => {
                path.push_str(&format!(
                    "{}{:.1},{:.1} ",
                    if pen_down { "L" } else { "M" },
                    x(i),
                    y(*v)
                ));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    let ticks: Vec<f64> = (0..=4).map(|k| top * f64::from(k) / 4.0).collect();
    // Label every other semester when there are many.
    let step = if n > 12 { 2 } else { 1 };
    let summary = {
        let first = points.iter().find_map(|p| p.1.map(|v| (p.0.clone(), v)));
        let last = points
            .iter()
            .rev()
            .find_map(|p| p.1.map(|v| (p.0.clone(), v)));
        match (first, last) {
            (Some((fl, fv)), Some((ll, lv))) => format!(
                "{title}: da {} {unit} nel {fl} a {} {unit} nel {ll}.",
                it_number(fv),
                it_number(lv)
            ),
            _ => format!("{title}: nessun dato."),
        }
    };
    let table_id = format!("{id}-table");
    view! {
        <figure class="chart mb-4" id=id.clone()>
            <figcaption class="h6">{title.clone()}</figcaption>
            <svg
                viewBox=format!("0 0 {W} {H}")
                role="img"
                aria-label=summary
                aria-describedby=table_id.clone()
                class="w-100 h-auto"
                preserveAspectRatio="xMidYMid meet"
            >
                {ticks
                    .iter()
                    .map(|t| {
                        view! {
                            <line class="grid" x1=LEFT x2=W - RIGHT y1=y(*t) y2=y(*t)></line>
                            <text class="axis" x=LEFT - 6.0 y=y(*t) + 4.0 text-anchor="end">{it_number(*t)}</text>
                        }
                    })
                    .collect_view()}
                {lines
                    .iter()
                    .map(|l| view! { <line class=format!("ref {}", l.class) x1=LEFT x2=W - RIGHT y1=y(l.value) y2=y(l.value)></line> })
                    .collect_view()}
                <path class="series" d=path fill="none"></path>
                {points
                    .iter()
                    .enumerate()
                    .filter_map(|(i, (label, v))| v.map(|v| (i, label.clone(), v)))
                    .map(|(i, label, v)| {
                        view! {
                            <circle class="dot" cx=x(i) cy=y(v) r="3.5">
                                <title>{format!("{label}: {} {unit}", it_number(v))}</title>
                            </circle>
                        }
                    })
                    .collect_view()}
                {points
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % step == 0 || *i == n - 1)
                    .map(|(i, (label, _))| {
                        view! { <text class="axis" x=x(i) y=H - BOTTOM + 18.0 text-anchor="middle">{label.clone()}</text> }
                    })
                    .collect_view()}
            </svg>
            // The reference lines named below the chart (labels on close lines would overlap).
            <ul class="chart-legend list-inline small mb-0" aria-hidden="true">
                {lines
                    .iter()
                    .map(|l| view! {
                        <li class="list-inline-item">
                            <span class=format!("legend-dash {}", l.class)></span>
                            {format!("{} {}", l.label, it_number(l.value))}
                        </li>
                    })
                    .collect_view()}
            </ul>
            <table class="visually-hidden" id=table_id>
                <caption>{format!("{title} ({unit}) per semestre")}</caption>
                <thead>
                    <tr><th scope="col">"Semestre"</th><th scope="col">{unit}</th></tr>
                </thead>
                <tbody>
                    {points
                        .into_iter()
                        .map(|(label, v)| view! { <tr><th scope="row">{label}</th><td>{v.map_or("—".to_owned(), it_number)}</td></tr> })
                        .collect_view()}
                    {lines
                        .into_iter()
                        .map(|l| view! { <tr><th scope="row">{l.label}</th><td>{it_number(l.value)}</td></tr> })
                        .collect_view()}
                </tbody>
            </table>
        </figure>
    }
    .into_any()
}
