//! `/procedimenti`: the procedure catalog, grouped by task force.

use crate::api;
use crate::components::feedback::{ErrorAlert, Loading};
use crate::util::set_title;
use affianca_domain::TaskForce;
use affianca_domain::dto::{Procedure, TaskForceInfo};
use leptos::prelude::*;

#[component]
pub fn Procedures() -> impl IntoView {
    set_title("Procedimenti");
    let task_forces = LocalResource::new(api::task_forces);
    let procedures = LocalResource::new(|| api::procedures(None));

    view! {
        <h1>"Procedimenti"</h1>
        <p class="lead">
            "Il catalogo dei procedimenti su cui le task force affiancano gli enti, con il termine di legge in giorni di calendario."
        </p>
        <p class="small">
            <span class="badge bg-warning me-1">"indicativo"</span>
            "il termine è quello previsto in partenza e non è ancora stato confermato."
        </p>
        {move || match (task_forces.get(), procedures.get()) {
            (Some(Err(e)), _) | (_, Some(Err(e))) => view! { <ErrorAlert error=e/> }.into_any(),
            (Some(Ok(tfs)), Some(Ok(procs))) => view! { <Catalog task_forces=tfs procedures=procs/> }.into_any(),
            _ => view! { <Loading label="Caricamento del catalogo…"/> }.into_any(),
        }}
    }
}

#[component]
fn Catalog(task_forces: Vec<TaskForceInfo>, procedures: Vec<Procedure>) -> impl IntoView {
    // The task forces as the server lists them, then any the list missed.
    let mut groups: Vec<(TaskForce, String)> =
        task_forces.into_iter().map(|t| (t.code, t.name)).collect();
    for p in &procedures {
        if !groups.iter().any(|(code, _)| *code == p.task_force) {
            groups.push((p.task_force, p.task_force.name_it().to_owned()));
        }
    }
    groups
        .into_iter()
        .map(|(tf, name)| {
            let items: Vec<Procedure> = procedures
                .iter()
                .filter(|p| p.task_force == tf)
                .cloned()
                .collect();
            let heading = format!("tf-{}", tf.code());
            let labelled_by = heading.clone();
            view! {
                <section class="mt-5" aria-labelledby=labelled_by data-task-force=tf.code()>
                    <h2 id=heading class="h4">{name}</h2>
                    {if items.is_empty() {
                        view! { <p>"Nessun procedimento nel catalogo."</p> }.into_any()
                    } else {
                        view! { <ProcedureTable items=items/> }.into_any()
                    }}
                </section>
            }
        })
        .collect_view()
}

#[component]
fn ProcedureTable(items: Vec<Procedure>) -> impl IntoView {
    view! {
        <div class="table-responsive">
            <table class="table table-striped align-middle procedures-table">
                <thead>
                    <tr>
                        <th scope="col" class="col-code">"Codice"</th>
                        <th scope="col">"Procedimento"</th>
                        <th scope="col" class="text-end col-term">"Termine di legge (giorni)"</th>
                    </tr>
                </thead>
                <tbody>
                    {items
                        .into_iter()
                        .map(|p| {
                            view! {
                                <tr data-procedure=p.code.to_string()>
                                    <td class="font-monospace">{p.code.to_string()}</td>
                                    <th scope="row" class="fw-normal">
                                        {p.name}
                                        {(!p.active)
                                            .then(|| view! { <span class="badge bg-secondary ms-2">"non attivo"</span> })}
                                    </th>
                                    <td class="text-end">
                                        {p.legal_term_days}
                                        {p.term_indicative
                                            .then(|| {
                                                view! {
                                                    <span class="badge bg-warning ms-2" data-testid="term-indicative">
                                                        "indicativo"
                                                    </span>
                                                }
                                            })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
