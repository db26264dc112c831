//! `/foglio-ore`: the signed-in expert's monthly timesheet, from their activity log, with the CSV
//! download for the programme's reporting.

use crate::api::{self, ApiError};
use crate::components::crumbs::Crumbs;
use crate::components::feedback::{ErrorAlert, Loading};
use crate::pages::phases::day;
use crate::pages::request::hours_it;
use crate::session::use_session;
use crate::util::{save_file, set_title};
use affianca_domain::links;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[component]
pub fn TimesheetPage() -> impl IntoView {
    set_title("Foglio ore");
    let session = use_session();
    let month = RwSignal::new(crate::pages::requests::today().format("%Y-%m").to_string());
    let sheet = LocalResource::new(move || {
        let m = month.get();
        let me = session.user_id();
        async move {
            match me {
                Some(me) => api::timesheet(me, &m).await,
                None => Err(ApiError::SessionExpired),
            }
        }
    });
    let failure = RwSignal::new(None::<ApiError>);
    let download = move |_| {
        let Some(me) = session.user_id() else { return };
        let m = month.get_untracked();
        spawn_local(async move {
            match api::download(&format!("/experts/{me}/timesheet.csv?month={m}")).await {
                Ok(bytes) => {
                    save_file(&bytes, &format!("foglio-ore-{m}.csv"), "text/csv");
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <Crumbs trail=vec![] here="Foglio ore".to_owned()/>
        <h1 class="mb-3">"Foglio ore"</h1>
        <div class="d-flex flex-wrap align-items-end gap-3 mb-4">
            <div class="form-group mb-0">
                <label for="timesheet-month" class="active">"Mese"</label>
                <input
                    id="timesheet-month"
                    type="month"
                    class="form-control"
                    prop:value=move || month.get()
                    on:change=move |ev| month.set(event_target_value(&ev))
                />
            </div>
            <button id="timesheet-csv" type="button" class="btn btn-outline-primary" on:click=download>
                "Scarica CSV"
            </button>
        </div>
        {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        {move || match sheet.get() {
            None => view! { <Loading label="Caricamento del foglio ore…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(t)) if t.lines.is_empty() => view! { <p id="timesheet-empty">"Nessuna attività nel mese."</p> }.into_any(),
            Some(Ok(t)) => view! {
                <p id="timesheet-total" class="lead">"Totale del mese: " <strong>{hours_it(t.total_hours)} " ore"</strong></p>
                <div class="table-responsive">
                    <table id="timesheet" class="table align-middle">
                        <thead>
                            <tr>
                                <th scope="col">"Data"</th>
                                <th scope="col">"Richiesta"</th>
                                <th scope="col">"Ente"</th>
                                <th scope="col">"Attività"</th>
                                <th scope="col" class="text-end">"Ore"</th>
                                <th scope="col" class="text-end">"Pratiche"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {t.lines.into_iter().map(|l| view! {
                                <tr>
                                    <td>{day(l.entry.date)}</td>
                                    <td><a href=links::request(l.entry.request_id)>{format!("n. {} — {}", l.entry.request_id, l.subject)}</a></td>
                                    <td>{l.authority_name.clone()}</td>
                                    <td>{l.entry.kind.label()}</td>
                                    <td class="text-end">{hours_it(l.entry.hours)}</td>
                                    <td class="text-end">{l.entry.files_handled}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any(),
        }}
    }
}
