//! `/rapporti`: the workload and service report for the secretariat (every task force) and the
//! coordinators (theirs): open and overdue requests, median working days to take charge and to
//! assign, the authorities' ratings, the hours logged; per expert and per authority.

use crate::api;
use crate::components::crumbs::Crumbs;
use crate::components::feedback::{ErrorAlert, Loading};
use crate::pages::request::hours_it;
use crate::util::set_title;
use affianca_domain::dto::ServiceReport;
use affianca_domain::links;
use leptos::prelude::*;

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), hours_it)
}

#[component]
pub fn Reports() -> impl IntoView {
    set_title("Rapporti");
    let today = crate::pages::requests::today();
    let from = RwSignal::new(format!("{}-01-01", chrono::Datelike::year(&today)));
    let to = RwSignal::new(today.to_string());
    let report = LocalResource::new(move || {
        let (f, t) = (from.get(), to.get());
        async move { api::service_report(&f, &t).await }
    });
    view! {
        <Crumbs trail=vec![] here="Rapporti".to_owned()/>
        <h1 class="mb-2">"Carichi di lavoro e livelli di servizio"</h1>
        <p class="lead">"Le richieste inviate nel periodo: tempi di presa in carico e di assegnazione in giorni lavorativi, valutazioni degli enti, ore registrate dagli esperti."</p>
        <div class="row g-3 mb-4 pt-4">
            <div class="col-md-3 form-group mb-0">
                <label for="report-from" class="active">"Inviate dal"</label>
                <input id="report-from" type="date" class="form-control" prop:value=move || from.get() on:change=move |ev| from.set(event_target_value(&ev))/>
            </div>
            <div class="col-md-3 form-group mb-0">
                <label for="report-to" class="active">"al"</label>
                <input id="report-to" type="date" class="form-control" prop:value=move || to.get() on:change=move |ev| to.set(event_target_value(&ev))/>
            </div>
        </div>
        {move || match report.get() {
            None => view! { <Loading label="Calcolo del rapporto…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(r)) => view! { <ReportTables report=r/> }.into_any(),
        }}
    }
}

#[component]
fn ReportTables(report: ServiceReport) -> impl IntoView {
    view! {
        <section aria-labelledby="report-tf-title">
            <h2 id="report-tf-title" class="h4">"Per task force"</h2>
            <div class="table-responsive">
                <table id="report-task-forces" class="table align-middle">
                    <thead>
                        <tr>
                            <th scope="col">"Task force"</th>
                            <th scope="col" class="text-end">"Inviate"</th>
                            <th scope="col" class="text-end">"Aperte"</th>
                            <th scope="col" class="text-end">"In ritardo"</th>
                            <th scope="col" class="text-end">"Presa in carico (mediana, gg lav.)"</th>
                            <th scope="col" class="text-end">"Assegnazione (mediana, gg lav.)"</th>
                            <th scope="col" class="text-end">"Valutazione media"</th>
                            <th scope="col" class="text-end">"Ore"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {report.task_forces.into_iter().map(|t| {
                            let late = if t.overdue > 0 { "text-end text-danger fw-semibold" } else { "text-end" };
                            view! {
                            <tr data-task-force=t.task_force.code()>
                                <th scope="row" class="fw-normal">{t.task_force.name_it()}</th>
                                <td class="text-end">{t.submitted}</td>
                                <td class="text-end">{t.open}</td>
                                <td class=late>{t.overdue}</td>
                                <td class="text-end">{opt(t.median_take_charge_days)}</td>
                                <td class="text-end">{opt(t.median_assign_days)}</td>
                                <td class="text-end">{opt(t.average_rating)} {(t.ratings > 0).then(|| format!(" ({})", t.ratings))}</td>
                                <td class="text-end">{hours_it(t.hours)}</td>
                            </tr>
                        }}).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="mt-4" aria-labelledby="report-experts-title">
            <h2 id="report-experts-title" class="h4">"Per esperto"</h2>
            <div class="table-responsive">
                <table id="report-experts" class="table align-middle">
                    <thead>
                        <tr>
                            <th scope="col">"Esperto"</th>
                            <th scope="col" class="text-end">"Richieste da referente"</th>
                            <th scope="col" class="text-end">"Aperte"</th>
                            <th scope="col" class="text-end">"Valutazione media"</th>
                            <th scope="col" class="text-end">"Ore"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {report.experts.into_iter().map(|e| view! {
                            <tr>
                                <th scope="row" class="fw-normal"><a href=links::expert(e.expert.user_id.0)>{e.expert.full_name.clone()}</a></th>
                                <td class="text-end">{e.lead_requests}</td>
                                <td class="text-end">{e.open}</td>
                                <td class="text-end">{opt(e.average_rating)}</td>
                                <td class="text-end">{hours_it(e.hours)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
        <section class="mt-4" aria-labelledby="report-authorities-title">
            <h2 id="report-authorities-title" class="h4">"Per ente (i primi 50)"</h2>
            <div class="table-responsive">
                <table id="report-authorities" class="table align-middle">
                    <thead>
                        <tr>
                            <th scope="col">"Ente"</th>
                            <th scope="col" class="text-end">"Richieste"</th>
                            <th scope="col" class="text-end">"Ore"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {report.authorities.into_iter().take(50).map(|a| view! {
                            <tr>
                                <th scope="row" class="fw-normal"><a href=links::authority(a.istat_code.as_str())>{a.name.clone()}</a></th>
                                <td class="text-end">{a.requests}</td>
                                <td class="text-end">{hours_it(a.hours)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}
