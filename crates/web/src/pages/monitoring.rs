//! Monitoring (DOMAIN.md §5): an authority's indicators with charts against baseline and targets,
//! the upload of its file register (drag and drop, progress, dry-run preview, error table), the
//! manual semester table, and its semesters' validation; the secretariat's validation queue,
//! the programme dashboard with drill-down (region → province → authority → procedure), and the
//! targets settings; the province offices' dashboard.

use crate::api::{self, ApiError, UploadError};
use crate::components::chart::{LineChart, RefLine, it_number};
use crate::components::crumbs::Crumbs;
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::text_field::human_size;
use crate::session::use_session;
use crate::util::set_title;
use affianca_domain::Role;
use affianca_domain::dto::{
    IndicatorLevel, IndicatorReport, ManualEntry, ManualRow, MeasurementChange, Milestone,
    MonitoringSettings, Progress, RegisterImport, RegisterProblem, ScopeSummary, SemesterAction,
    SemesterReport, SemesterStatus, SemesterTransition, TrafficLight,
};
use affianca_domain::links;
use affianca_domain::monitoring::IndicatorRow;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};
use wasm_bindgen::JsCast;

/// A value refused before it is sent, shown like the server's 422.
fn invalid(detail: String) -> ApiError {
    ApiError::Problem(Box::new(affianca_domain::dto::Problem {
        kind: String::new(),
        title: "Dati non validi".into(),
        status: 422,
        detail: Some(detail),
        code: "validation_failed".into(),
        request_id: None,
        errors: Vec::new(),
    }))
}

fn days(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), it_number)
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{} %", it_number(v)))
}

/// A traffic light with its words (colour is never the only cue).
#[component]
pub fn Light(status: TrafficLight) -> impl IntoView {
    view! {
        <span class="text-nowrap" data-status=status.code()>
            <span class=format!("light light-{}", status.code()) aria-hidden="true"></span>
            {status.label()}
        </span>
    }
}

fn status_badge(s: SemesterStatus) -> &'static str {
    match s {
        SemesterStatus::Draft => "badge bg-secondary",
        SemesterStatus::Submitted => "badge bg-primary",
        SemesterStatus::Validated => "badge bg-success",
        SemesterStatus::Returned => "badge bg-warning text-dark",
    }
}

/// `/monitoraggio`: where each role starts.
#[component]
pub fn MonitoringHome() -> impl IntoView {
    set_title("Monitoraggio");
    let session = use_session();
    move || {
        let codes = session.authority_codes();
        if let Some(c) = codes.first() {
            return view! { <Redirect path=links::authority_monitoring(c.as_ref())/> }.into_any();
        }
        if session.has_any_role(affianca_domain::roles::set::OVERSIGHT) {
            return view! { <Redirect path="/monitoraggio/cruscotto"/> }.into_any();
        }
        if let Some(p) = session.observed_provinces().first() {
            return view! { <Redirect path=format!("/monitoraggio/cruscotto?livello=province&chiave={p}")/> }
                .into_any();
        }
        view! {
            <Crumbs trail=vec![] here="Monitoraggio".to_owned()/>
            <h1>"Monitoraggio"</h1>
            <p class="lead">
                "Gli indicatori di arretrato e tempi si consultano dalle pagine degli enti che si affiancano: aprire una richiesta e poi l'ente."
            </p>
        }
        .into_any()
    }
}

/// The progress of a scope: baseline, latest, each milestone's target and progress.
#[component]
fn ProgressSummary(progress: Progress) -> impl IntoView {
    let Progress {
        baseline,
        latest,
        targets,
        status,
    } = progress;
    view! {
        <div class="row g-3 mb-3" id="progress-summary">
            <div class="col-md-4">
                <div class="card card-bg h-100"><div class="card-body">
                    <p class="card-title h6 mb-1">"Stato rispetto agli obiettivi"</p>
                    <p class="h4 mb-0" id="progress-status"><Light status=status/></p>
                </div></div>
            </div>
            <div class="col-md-4">
                <div class="card card-bg h-100"><div class="card-body">
                    <p class="card-title h6 mb-1">
                        {baseline.as_ref().map_or("Baseline".to_owned(), |b| format!("Baseline {}", b.period))}
                    </p>
                    {match &baseline {
                        Some(b) => view! {
                            <p class="mb-0">"Arretrato "<strong>{b.backlog}</strong>" · durata media "<strong>{days(b.avg_duration_days)}</strong>" gg"</p>
                        }.into_any(),
                        None => view! { <p class="mb-0 text-muted">"Nessun dato nel semestre di riferimento."</p> }.into_any(),
                    }}
                </div></div>
            </div>
            <div class="col-md-4">
                <div class="card card-bg h-100"><div class="card-body">
                    <p class="card-title h6 mb-1">
                        {latest.as_ref().map_or("Ultimo semestre".to_owned(), |l| format!("Ultimo semestre {}", l.period))}
                    </p>
                    {match &latest {
                        Some(l) => view! {
                            <p class="mb-0">"Arretrato "<strong>{l.backlog}</strong>" · durata media "<strong>{days(l.avg_duration_days)}</strong>" gg"</p>
                        }.into_any(),
                        None => view! { <p class="mb-0 text-muted">"Nessun dato."</p> }.into_any(),
                    }}
                </div></div>
            </div>
        </div>
        <div class="table-responsive">
            <table class="table table-sm align-middle" id="targets-table">
                <caption>"Obiettivi: riduzione rispetto alla baseline e avanzamento (riduzione ottenuta / riduzione richiesta)"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Traguardo"</th>
                        <th scope="col" class="text-end">"Arretrato obiettivo"</th>
                        <th scope="col" class="text-end">"Variazione arretrato"</th>
                        <th scope="col" class="text-end">"Avanzamento arretrato"</th>
                        <th scope="col" class="text-end">"Durata obiettivo (gg)"</th>
                        <th scope="col" class="text-end">"Variazione durata"</th>
                        <th scope="col" class="text-end">"Avanzamento durata"</th>
                        <th scope="col">"Stato"</th>
                    </tr>
                </thead>
                <tbody>
                    {targets.into_iter().map(|t| view! {
                        <tr>
                            <th scope="row" class="fw-normal">
                                {format!("{}: arretrato −{} %, durata −{} %", t.milestone.period, it_number(t.milestone.backlog_reduction_pct), it_number(t.milestone.duration_reduction_pct))}
                            </th>
                            <td class="text-end">{days(t.backlog_target)}</td>
                            <td class="text-end">{pct(t.backlog_change_pct)}</td>
                            <td class="text-end">{pct(t.backlog_progress_pct)}</td>
                            <td class="text-end">{days(t.avg_duration_target)}</td>
                            <td class="text-end">{pct(t.avg_duration_change_pct)}</td>
                            <td class="text-end">{pct(t.avg_duration_progress_pct)}</td>
                            <td><Light status=t.status/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// Backlog and average duration per semester, against the baseline and the targets.
#[component]
fn IndicatorCharts(report: IndicatorReport) -> impl IntoView {
    let points = |f: &dyn Fn(&affianca_domain::dto::SeriesPoint) -> Option<f64>| {
        report
            .series
            .iter()
            .map(|p| {
                (
                    p.period.to_string(),
                    if p.authorities > 0 { f(p) } else { None },
                )
            })
            .collect::<Vec<_>>()
    };
    let backlog = points(&|p| Some(p.backlog as f64));
    let duration = points(&|p| p.avg_duration_days);
    let mut backlog_lines = Vec::new();
    let mut duration_lines = Vec::new();
    if let Some(b) = &report.progress.baseline {
        backlog_lines.push(RefLine {
            label: format!("Baseline {}", b.period),
            value: b.backlog as f64,
            class: "ref-baseline",
        });
        if let Some(d) = b.avg_duration_days {
            duration_lines.push(RefLine {
                label: format!("Baseline {}", b.period),
                value: d,
                class: "ref-baseline",
            });
        }
    }
    for t in &report.progress.targets {
        if let Some(v) = t.backlog_target {
            backlog_lines.push(RefLine {
                label: format!("Obiettivo {}", t.milestone.period),
                value: v,
                class: "ref-target",
            });
        }
        if let Some(v) = t.avg_duration_target {
            duration_lines.push(RefLine {
                label: format!("Obiettivo {}", t.milestone.period),
                value: v,
                class: "ref-target",
            });
        }
    }
    view! {
        <div class="row">
            <div class="col-lg-6">
                <LineChart id="chart-backlog".to_owned() title="Arretrato a fine semestre".to_owned() unit="pratiche" points=backlog lines=backlog_lines/>
            </div>
            <div class="col-lg-6">
                <LineChart id="chart-duration".to_owned() title="Durata media delle pratiche concluse".to_owned() unit="giorni" points=duration lines=duration_lines/>
            </div>
        </div>
    }
}

/// The semesters of a report as a table.
#[component]
fn SeriesTable(report: IndicatorReport) -> impl IntoView {
    view! {
        <details class="mb-4">
            <summary>"Tutti i valori per semestre"</summary>
            <div class="table-responsive">
                <table class="table table-sm align-middle" id="series-table">
                    <thead>
                        <tr>
                            <th scope="col">"Semestre"</th>
                            <th scope="col" class="text-end">"Avviate"</th>
                            <th scope="col" class="text-end">"Concluse"</th>
                            <th scope="col" class="text-end">"di cui con sospensione"</th>
                            <th scope="col" class="text-end">"di cui con conferenza"</th>
                            <th scope="col" class="text-end">"Silenzio-assenso"</th>
                            <th scope="col" class="text-end">"Durata media (gg)"</th>
                            <th scope="col" class="text-end">"Durata netta (gg)"</th>
                            <th scope="col" class="text-end">"Arretrato"</th>
                            <th scope="col" class="text-end">"Enti con dati"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {report.series.into_iter().rev().map(|p| view! {
                            <tr data-period=p.period.to_string()>
                                <th scope="row">{p.period.to_string()}</th>
                                <td class="text-end">{p.started}</td>
                                <td class="text-end">{p.concluded_express}</td>
                                <td class="text-end">{p.concluded_express_with_suspension}</td>
                                <td class="text-end">{p.concluded_express_with_conference}</td>
                                <td class="text-end">{p.concluded_silent_assent}</td>
                                <td class="text-end">{days(p.avg_duration_days)}</td>
                                <td class="text-end">{days(p.avg_net_duration_days)}</td>
                                <td class="text-end">{p.backlog}</td>
                                <td class="text-end">{p.authorities}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </details>
    }
}

/// `/monitoraggio/enti/:istat_code`: one authority's monitoring.
#[component]
pub fn AuthorityMonitoring() -> impl IntoView {
    let params = use_params_map();
    let code = Memo::new(move |_| params.with(|p| p.get("istat_code").unwrap_or_default()));
    let session = use_session();
    let version = RwSignal::new(0u32);
    let only_validated = RwSignal::new(false);
    let authority = LocalResource::new(move || {
        let c = code.get();
        async move {
            let code = affianca_domain::IstatCode::parse(&c).map_err(|_| ApiError::Status(404))?;
            api::authority(&code).await
        }
    });
    let report = LocalResource::new(move || {
        let (c, _, v) = (code.get(), version.get(), only_validated.get());
        async move {
            api::indicators(&[
                ("level", "authority".to_owned()),
                ("key", c),
                ("validated_only", v.to_string()),
            ])
            .await
        }
    });
    let semesters = LocalResource::new(move || {
        let (c, _) = (code.get(), version.get());
        async move { api::semesters(&c).await }
    });
    let may_write = Memo::new(move |_| {
        let c = code.get();
        session.has_role(Role::Secretariat)
            || session.authority_codes().iter().any(|a| a.as_str() == c)
    });
    let changed = Callback::new(move |()| version.update(|v| *v += 1));
    let name = move || {
        authority
            .get()
            .and_then(Result::ok)
            .map_or_else(|| code.get(), |a| a.name)
    };
    Effect::new(move |_| set_title(&format!("Monitoraggio · {}", name())));
    view! {
        <Crumbs trail=vec![("/monitoraggio".into(), "Monitoraggio".into())] here=Signal::derive(name)/>
        <h1 class="mb-2">"Monitoraggio: " {name}</h1>
        <p class="lead">"Arretrato e tempi medi dei procedimenti per semestre, calcolati con le regole nazionali (DPCM 12/11/2021) e confrontati con la baseline e gli obiettivi."</p>
        <section aria-labelledby="indicators-title" class="mb-5">
            <div class="d-flex flex-wrap align-items-center justify-content-between">
                <h2 id="indicators-title" class="h3">"I miei indicatori"</h2>
                <a id="by-procedure" href=move || format!("/monitoraggio/cruscotto?livello=authority&chiave={}", code.get())>
                    "Per procedimento"
                </a>
                <div class="form-check form-switch mb-0">
                    <input class="form-check-input" type="checkbox" id="only-validated"
                        prop:checked=move || only_validated.get()
                        on:change=move |ev| only_validated.set(event_target_checked(&ev))/>
                    <label class="form-check-label" for="only-validated">"Solo dati validati"</label>
                </div>
            </div>
            {move || match report.get() {
                None => view! { <Loading label="Calcolo degli indicatori…"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                Some(Ok(r)) => view! {
                    <ProgressSummary progress=r.progress.clone()/>
                    <IndicatorCharts report=r.clone()/>
                    <SeriesTable report=r/>
                }.into_any(),
            }}
        </section>
        <Show when=move || may_write.get()>
            <RegisterUpload code=code.get_untracked() on_saved=changed/>
        </Show>
        <section aria-labelledby="semesters-title" class="mb-5">
            <h2 id="semesters-title" class="h3">"Semestri e validazione"</h2>
            {move || match semesters.get() {
                None => view! { <Loading label="Caricamento dei semestri…"/> }.into_any(),
                Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                Some(Ok(list)) if list.is_empty() => view! {
                    <p class="text-muted" id="no-semesters">"Nessun dato ancora: caricare il registro delle pratiche o compilare la tabella del semestre."</p>
                }.into_any(),
                Some(Ok(list)) => view! {
                    <div id="semesters">
                        {list.into_iter().map(|s| view! { <SemesterCard semester=s on_changed=changed/> }).collect_view()}
                    </div>
                }.into_any(),
            }}
        </section>
        <Show when=move || may_write.get()>
            <ManualEntryForm code=code.get_untracked() on_saved=changed/>
        </Show>
        <AuthorityTargetsPanel code=code.get_untracked() editable=session.has_role(Role::Secretariat) on_saved=changed/>
    }
}

/// The targets that apply to the authority; the secretariat may give it its own baseline.
#[component]
fn AuthorityTargetsPanel(code: String, editable: bool, on_saved: Callback<()>) -> impl IntoView {
    let code = StoredValue::new(code);
    let version = RwSignal::new(0u32);
    let targets = LocalResource::new(move || {
        version.get();
        async move { api::authority_targets(&code.get_value()).await }
    });
    let baseline = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiError>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        let text = baseline.get_untracked();
        let body = affianca_domain::dto::TargetOverride {
            baseline: affianca_domain::Period::parse(&text).ok(),
            milestones: None,
        };
        spawn_local(async move {
            let r = if body.baseline.is_none() && text.trim().is_empty() {
                api::delete_authority_targets(&code.get_value()).await
            } else if body.baseline.is_none() {
                Err(invalid(format!(
                    "«{text}» non è un semestre: scrivere ad esempio 2022S1."
                )))
            } else {
                api::put_authority_targets(&code.get_value(), &body)
                    .await
                    .map(|_| ())
            };
            match r {
                Ok(()) => {
                    version.update(|v| *v += 1);
                    on_saved.run(());
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section aria-labelledby="authority-targets-title" class="mb-5" id="authority-targets">
            <h2 id="authority-targets-title" class="h3">"Baseline e obiettivi dell'ente"</h2>
            {move || targets.get().map(|r| match r {
                Err(e) => view! { <ErrorAlert error=e/> }.into_any(),
                Ok(t) => view! {
                    <p>
                        {format!("Semestre di riferimento: {}{}. Traguardi: {}.",
                            t.effective.baseline,
                            if t.over.as_ref().is_some_and(|o| o.baseline.is_some()) { " (proprio dell'ente)" } else { " (del programma)" },
                            t.effective.milestones.iter().map(|m| format!("{} arretrato −{} %, durata −{} %", m.period, it_number(m.backlog_reduction_pct), it_number(m.duration_reduction_pct))).collect::<Vec<_>>().join("; "))}
                    </p>
                }.into_any(),
            })}
            {editable.then(|| view! {
                <form class="row g-2 align-items-end" on:submit=save novalidate=true>
                    <div class="col-md-4 form-group mb-0 pt-3">
                        <label for="authority-baseline" class="active">"Baseline propria (vuoto: quella del programma)"</label>
                        <input id="authority-baseline" type="text" class="form-control" placeholder="2022S1"
                            prop:value=move || baseline.get() on:input=move |ev| baseline.set(event_target_value(&ev))/>
                    </div>
                    <div class="col-auto">
                        <button type="submit" class="btn btn-outline-primary" id="authority-targets-save">"Salva"</button>
                    </div>
                </form>
            })}
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        </section>
    }
}

/// The upload of a register: drop or choose a file, preview (dry run), then save.
#[component]
fn RegisterUpload(code: String, on_saved: Callback<()>) -> impl IntoView {
    let file = StoredValue::new_local(None::<web_sys::File>);
    let chosen = RwSignal::new(None::<(String, u64)>);
    let over = RwSignal::new(false);
    let progress = RwSignal::new(None::<f64>);
    let pending = RwSignal::new(false);
    let preview = RwSignal::new(None::<RegisterImport>);
    let invalid = RwSignal::new(None::<RegisterProblem>);
    let failure = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(None::<RegisterImport>);
    let code = StoredValue::new(code);

    let pick = move |f: Option<web_sys::File>| {
        preview.set(None);
        invalid.set(None);
        failure.set(None);
        saved.set(None);
        progress.set(None);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        chosen.set(f.as_ref().map(|f| (f.name(), f.size() as u64)));
        file.set_value(f);
    };
    let on_change = move |ev: leptos::ev::Event| {
        let f = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|i| i.files())
            .and_then(|f| f.get(0));
        pick(f);
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        over.set(false);
        let f = ev
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0));
        if f.is_some() {
            pick(f);
        }
    };
    let send = move |dry_run: bool| {
        let Some(f) = file.get_value() else {
            return;
        };
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        progress.set(Some(0.0));
        invalid.set(None);
        failure.set(None);
        let code = code.get_value();
        spawn_local(async move {
            let result = api::upload_register(&code, &f, dry_run, move |p| {
                progress.try_set(Some(p));
            })
            .await;
            pending.try_set(false);
            progress.try_set(None);
            match result {
                Ok(r) if dry_run => {
                    preview.try_set(Some(r));
                }
                Ok(r) => {
                    preview.try_set(None);
                    saved.try_set(Some(r));
                    on_saved.run(());
                }
                Err(UploadError::Invalid(p)) => {
                    preview.try_set(None);
                    invalid.try_set(Some(*p));
                    crate::util::focus_id("register-errors");
                }
                Err(UploadError::Api(e)) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section aria-labelledby="register-title" class="mb-5" id="register-upload">
            <h2 id="register-title" class="h3">"Carica il registro delle pratiche"</h2>
            <p>
                "Un file CSV (separatore «;» o «,», UTF-8) o un foglio Excel (primo foglio) con le intestazioni "
                <code>"codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione"</code>
                ". Date AAAA-MM-GG o GG/MM/AAAA; termine vuoto = termine del catalogo. Le pratiche già caricate si aggiornano per codice; l'anteprima non salva nulla. Al massimo 50 MB e 500.000 righe."
            </p>
            <div
                class=move || if over.get() { "drop-zone over mb-3" } else { "drop-zone mb-3" }
                on:dragover=move |ev: leptos::ev::DragEvent| { ev.prevent_default(); over.set(true); }
                on:dragleave=move |_| over.set(false)
                on:drop=on_drop
            >
                <p class="mb-2">"Trascinare qui il file, oppure"</p>
                <label for="register-file" class="btn btn-outline-primary btn-sm mb-0">"Scegli il file"</label>
                <input id="register-file" type="file" class="visually-hidden" accept=".csv,.txt,.xlsx,.xls,.ods" on:change=on_change/>
                <p class="mt-2 mb-0" id="register-chosen" aria-live="polite">
                    {move || chosen.get().map(|(n, s)| format!("{n} ({})", human_size(s)))}
                </p>
            </div>
            <div class="d-flex gap-2 mb-3">
                <button type="button" id="register-preview" class="btn btn-outline-primary"
                    disabled=move || chosen.get().is_none() || pending.get()
                    on:click=move |_| send(true)>"Anteprima degli indicatori"</button>
                <button type="button" id="register-save" class="btn btn-primary"
                    disabled=move || chosen.get().is_none() || pending.get()
                    on:click=move |_| send(false)>"Carica e salva"</button>
            </div>
            {move || progress.get().map(|p| {
                let percent = (p * 100.0).round() as i64;
                view! {
                    <div class="progress mb-2" role="progressbar" aria-label="Caricamento del registro"
                        aria-valuemin="0" aria-valuemax="100" aria-valuenow=percent.to_string()>
                        <div class="progress-bar" style:width=format!("{percent}%")></div>
                    </div>
                    <p class="small" aria-live="polite">
                        {if percent >= 100 { "Controllo e calcolo degli indicatori…".to_owned() } else { format!("Caricamento {percent} %") }}
                    </p>
                }
            })}
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            {move || invalid.get().map(|p| view! { <RegisterErrorsTable problem=p/> })}
            {move || saved.get().map(|r| view! {
                <div class="alert alert-success" role="status" id="register-saved">
                    {format!(
                        "Registro salvato: {} pratiche lette, {} nuove, {} aggiornate, {} invariate. Semestri ricalcolati: {}.",
                        r.rows, r.files_added, r.files_updated, r.files_unchanged,
                        if r.semesters_affected.is_empty() { "nessuno".to_owned() } else { r.semesters_affected.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ") }
                    )}
                    {(!r.semesters_locked.is_empty()).then(|| format!(
                        " Semestri chiusi, non modificati: {}.",
                        r.semesters_locked.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                    ))}
                </div>
            })}
            {move || preview.get().map(|r| view! { <PreviewTable import=r/> })}
        </section>
    }
}

/// Every bad row of a refused register.
#[component]
fn RegisterErrorsTable(problem: RegisterProblem) -> impl IntoView {
    let more = problem
        .total_errors
        .saturating_sub(problem.row_errors.len());
    view! {
        <div id="register-errors" tabindex="-1" class="alert alert-danger" role="alert">
            <p class="mb-2 fw-semibold">{problem.detail.clone()}</p>
            <div class="table-responsive bg-white">
                <table class="table table-sm mb-0" id="register-errors-table">
                    <thead>
                        <tr>
                            <th scope="col">"Riga"</th>
                            <th scope="col">"Colonna"</th>
                            <th scope="col">"Valore"</th>
                            <th scope="col">"Problema"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {problem.row_errors.into_iter().map(|e| view! {
                            <tr>
                                <td>{e.row}</td>
                                <td><code>{e.column}</code></td>
                                <td>{e.value}</td>
                                <td>{e.reason}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            {(more > 0).then(|| view! { <p class="mt-2 mb-0">{format!("… e altri {more} errori.")}</p> })}
        </div>
    }
}

fn indicator_cells(r: &IndicatorRow) -> impl IntoView + use<> {
    view! {
        <td class="text-end">{r.started}</td>
        <td class="text-end">{r.concluded_express}</td>
        <td class="text-end">{r.concluded_silent_assent}</td>
        <td class="text-end">{days(r.avg_duration_days)}</td>
        <td class="text-end">{days(r.avg_net_duration_days)}</td>
        <td class="text-end">{it_number(r.max_term_days)}</td>
        <td class="text-end">{r.backlog}</td>
    }
}

/// The indicators a register would give.
#[component]
fn PreviewTable(import: RegisterImport) -> impl IntoView {
    view! {
        <div id="register-preview-result">
            <p class="fw-semibold">
                {format!(
                    "Anteprima (nulla è stato salvato): {} pratiche, {} nuove, {} da aggiornare, {} invariate.",
                    import.rows, import.files_added, import.files_updated, import.files_unchanged
                )}
            </p>
            <div class="table-responsive">
                <table class="table table-sm align-middle" id="preview-table">
                    <thead>
                        <tr>
                            <th scope="col">"Procedimento"</th>
                            <th scope="col">"Semestre"</th>
                            <th scope="col" class="text-end">"Avviate"</th>
                            <th scope="col" class="text-end">"Concluse"</th>
                            <th scope="col" class="text-end">"Silenzio-assenso"</th>
                            <th scope="col" class="text-end">"Durata media"</th>
                            <th scope="col" class="text-end">"Durata netta"</th>
                            <th scope="col" class="text-end">"Termine"</th>
                            <th scope="col" class="text-end">"Arretrato"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {import.indicators.into_iter().map(|r| view! {
                            <tr>
                                <th scope="row" class="fw-normal">{r.procedure.clone()}</th>
                                <td>{r.period.to_string()}</td>
                                {indicator_cells(&r)}
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </div>
    }
}

/// One semester: state, lock, measurements, the actions the caller may take, and history.
#[component]
fn SemesterCard(semester: SemesterReport, on_changed: Callback<()>) -> impl IntoView {
    let period = semester.period.to_string();
    let code = StoredValue::new(semester.authority.clone());
    let comment = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiError>);
    let pending = RwSignal::new(false);
    let history = RwSignal::new(None::<Vec<MeasurementChange>>);
    let p = StoredValue::new(period.clone());
    let act = move |action: SemesterAction| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        failure.set(None);
        let body = SemesterTransition {
            action,
            comment: Some(comment.get_untracked()).filter(|c| !c.trim().is_empty()),
        };
        spawn_local(async move {
            let r = api::semester_transition(&code.get_value(), &p.get_value(), &body).await;
            pending.try_set(false);
            match r {
                Ok(_) => on_changed.run(()),
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    let load_history = move |_| {
        spawn_local(async move {
            match api::semester_history(&code.get_value(), &p.get_value()).await {
                Ok(h) => {
                    history.try_set(Some(h));
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    let actions = semester.allowed_actions.clone();
    let needs_comment = actions.contains(&SemesterAction::Return);
    view! {
        <div class="card card-bg mb-3" id=format!("sem-{period}") data-status=semester.status.code()>
            <div class="card-body">
                <div class="d-flex flex-wrap align-items-center gap-3 mb-2">
                    <h3 class="h5 mb-0">{format!("Semestre {period}")}</h3>
                    <span class=status_badge(semester.status)>{semester.status.label()}</span>
                    {semester.locked.then(|| view! { <span class="badge bg-dark">"Chiuso"</span> })}
                    {semester.reopened.then(|| view! { <span class="badge bg-info text-dark">"Riaperto"</span> })}
                    <span class="small text-muted">
                        {format!("I dati inviati si chiudono il {}", semester.locks_on.format("%d/%m/%Y"))}
                    </span>
                </div>
                {semester.comment.clone().map(|c| view! { <p class="mb-2"><strong>"Nota della Segreteria: "</strong>{c}</p> })}
                {if semester.measurements.is_empty() {
                    view! { <p class="text-muted">"Nessun dato per questo semestre."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-responsive">
                            <table class="table table-sm align-middle mb-2">
                                <thead>
                                    <tr>
                                        <th scope="col">"Procedimento"</th>
                                        <th scope="col">"Fonte"</th>
                                        <th scope="col" class="text-end">"Avviate"</th>
                                        <th scope="col" class="text-end">"Concluse"</th>
                                        <th scope="col" class="text-end">"Silenzio-assenso"</th>
                                        <th scope="col" class="text-end">"Durata media"</th>
                                        <th scope="col" class="text-end">"Durata netta"</th>
                                        <th scope="col" class="text-end">"Termine"</th>
                                        <th scope="col" class="text-end">"Arretrato"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {semester.measurements.iter().map(|m| view! {
                                        <tr>
                                            <th scope="row" class="fw-normal">{m.indicators.procedure.clone()}</th>
                                            <td>{m.source.label()}</td>
                                            {indicator_cells(&m.indicators)}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
                {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
                {needs_comment.then(|| view! {
                    <div class="form-group mb-2 pt-3">
                        <label for=format!("comment-{}", p.get_value()) class="active">"Nota per l'ente (obbligatoria per restituire)"</label>
                        <input type="text" class="form-control" id=format!("comment-{}", p.get_value())
                            prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))/>
                    </div>
                })}
                <div class="d-flex flex-wrap gap-2">
                    {actions.into_iter().map(|a| {
                        let class = if a == SemesterAction::Return { "btn btn-outline-danger btn-sm" } else { "btn btn-primary btn-sm" };
                        view! {
                            <button type="button" class=class data-action=a.code() disabled=move || pending.get()
                                on:click=move |_| act(a)>{a.label()}</button>
                        }
                    }).collect_view()}
                    <button type="button" class="btn btn-link btn-sm" on:click=load_history>"Storico delle modifiche"</button>
                </div>
                {move || history.get().map(|h| if h.is_empty() {
                    view! { <p class="small text-muted mt-2 mb-0">"Nessuna modifica ai dati validati."</p> }.into_any()
                } else {
                    view! {
                        <ul class="small mt-2 mb-0">
                            {h.into_iter().map(|c| view! {
                                <li>{format!("{} · {} {}: {} → {} ({})",
                                    c.changed_at.format("%d/%m/%Y %H:%M"), c.procedure, c.field,
                                    c.old_value.unwrap_or_else(|| "—".into()), c.new_value.unwrap_or_else(|| "—".into()),
                                    c.changed_by.unwrap_or_default())}</li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </div>
        </div>
    }
}

/// One editable row of the manual table.
#[derive(Debug, Clone, Copy)]
struct ManualFields {
    procedure: RwSignal<String>,
    started: RwSignal<String>,
    concluded: RwSignal<String>,
    silent: RwSignal<String>,
    avg: RwSignal<String>,
    backlog: RwSignal<String>,
}

impl ManualFields {
    fn new() -> Self {
        Self {
            procedure: RwSignal::new(String::new()),
            started: RwSignal::new(String::new()),
            concluded: RwSignal::new(String::new()),
            silent: RwSignal::new(String::new()),
            avg: RwSignal::new(String::new()),
            backlog: RwSignal::new(String::new()),
        }
    }
}

fn int_of(s: &str) -> i64 {
    s.trim().parse().unwrap_or(-1)
}

/// The semester table typed in, for authorities without a register.
#[component]
fn ManualEntryForm(code: String, on_saved: Callback<()>) -> impl IntoView {
    let code = StoredValue::new(code);
    let period = RwSignal::new(String::new());
    let rows = RwSignal::new(vec![ManualFields::new()]);
    let failure = RwSignal::new(None::<ApiError>);
    let done = RwSignal::new(false);
    let procedures = LocalResource::new(|| api::procedures(None));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        done.set(false);
        let body = ManualEntry {
            rows: rows
                .get_untracked()
                .iter()
                .filter(|r| !r.procedure.get_untracked().is_empty())
                .map(|r| ManualRow {
                    procedure: r.procedure.get_untracked(),
                    started: int_of(&r.started.get_untracked()),
                    concluded_express: int_of(&r.concluded.get_untracked()),
                    concluded_express_with_suspension: 0,
                    concluded_express_with_conference: 0,
                    concluded_silent_assent: int_of(&r.silent.get_untracked()).max(0),
                    avg_duration_days: r.avg.get_untracked().trim().replace(',', ".").parse().ok(),
                    avg_net_duration_days: None,
                    max_term_days: None,
                    backlog: int_of(&r.backlog.get_untracked()),
                })
                .collect(),
        };
        let p = period.get_untracked().trim().to_uppercase();
        spawn_local(async move {
            match api::enter_measurements(&code.get_value(), &p, &body).await {
                Ok(_) => {
                    done.try_set(true);
                    on_saved.run(());
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <section aria-labelledby="manual-title" class="mb-5" id="manual-entry">
            <h2 id="manual-title" class="h3">"Tabella del semestre (senza registro)"</h2>
            <p>"Per gli enti che non hanno un registro informatico: una riga per procedimento con i conteggi del semestre, la durata media in giorni delle pratiche concluse e l'arretrato a fine semestre."</p>
            <form on:submit=submit novalidate=true>
                <div class="form-group pt-3" style:max-width="14rem">
                    <label for="manual-period" class="active">"Semestre (es. 2025S2)"</label>
                    <input id="manual-period" type="text" class="form-control" required=true
                        prop:value=move || period.get() on:input=move |ev| period.set(event_target_value(&ev))/>
                </div>
                <div class="table-responsive">
                    <table class="table table-sm align-middle">
                        <thead>
                            <tr>
                                <th scope="col">"Procedimento"</th>
                                <th scope="col">"Avviate"</th>
                                <th scope="col">"Concluse (espresse)"</th>
                                <th scope="col">"Silenzio-assenso"</th>
                                <th scope="col">"Durata media (gg)"</th>
                                <th scope="col">"Arretrato"</th>
                            </tr>
                        </thead>
                        <tbody>
                            <For each=move || rows.get().into_iter().enumerate() key=|(i, _)| *i let:item>
                                {
                                    let (i, r) = item;
                                    let n = i + 1;
                                    view! {
                                        <tr>
                                            <td>
                                                <select class="form-select" id=format!("manual-procedure-{i}") aria-label=format!("Procedimento, riga {n}")
                                                    on:change=move |ev| r.procedure.set(event_target_value(&ev))>
                                                    <option value="">"—"</option>
                                                    {move || procedures.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|p| {
                                                        let c = p.code.to_string();
                                                        view! { <option value=c.clone() selected=move || r.procedure.get() == c>{format!("{} – {}", p.code, p.name)}</option> }
                                                    }).collect_view()}
                                                </select>
                                            </td>
                                            <td><input type="number" min="0" class="form-control" id=format!("manual-started-{i}") aria-label=format!("Avviate, riga {n}") on:input=move |ev| r.started.set(event_target_value(&ev))/></td>
                                            <td><input type="number" min="0" class="form-control" id=format!("manual-concluded-{i}") aria-label=format!("Concluse, riga {n}") on:input=move |ev| r.concluded.set(event_target_value(&ev))/></td>
                                            <td><input type="number" min="0" class="form-control" id=format!("manual-silent-{i}") aria-label=format!("Silenzio-assenso, riga {n}") on:input=move |ev| r.silent.set(event_target_value(&ev))/></td>
                                            <td><input type="text" inputmode="decimal" class="form-control" id=format!("manual-avg-{i}") aria-label=format!("Durata media, riga {n}") on:input=move |ev| r.avg.set(event_target_value(&ev))/></td>
                                            <td><input type="number" min="0" class="form-control" id=format!("manual-backlog-{i}") aria-label=format!("Arretrato, riga {n}") on:input=move |ev| r.backlog.set(event_target_value(&ev))/></td>
                                        </tr>
                                    }
                                }
                            </For>
                        </tbody>
                    </table>
                </div>
                {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
                {move || done.get().then(|| view! { <div class="alert alert-success" role="status" id="manual-saved">"Tabella salvata."</div> })}
                <div class="d-flex gap-2">
                    <button type="button" class="btn btn-outline-primary" on:click=move |_| rows.update(|r| r.push(ManualFields::new()))>"Aggiungi una riga"</button>
                    <button type="submit" class="btn btn-primary" id="manual-save">"Salva la tabella"</button>
                </div>
            </form>
        </section>
    }
}

/// `/monitoraggio/validazione`: the semesters waiting for the secretariat.
#[component]
pub fn ValidationQueue() -> impl IntoView {
    set_title("Validazione dei semestri");
    let queue = LocalResource::new(|| api::semester_queue("submitted"));
    view! {
        <Crumbs trail=vec![("/monitoraggio".into(), "Monitoraggio".into())] here="Validazione".to_owned()/>
        <h1 class="mb-2">"Semestri da validare"</h1>
        <p class="lead">"Le rilevazioni inviate dagli enti, dalla più vecchia. Aprire l'ente per controllare i dati e validarli o restituirli con una nota."</p>
        {move || match queue.get() {
            None => view! { <Loading label="Caricamento…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(items)) if items.is_empty() => view! { <p id="queue-empty">"Nessun semestre in attesa di validazione."</p> }.into_any(),
            Some(Ok(items)) => view! {
                <div class="table-responsive">
                    <table class="table align-middle" id="validation-queue">
                        <thead>
                            <tr>
                                <th scope="col">"Ente"</th>
                                <th scope="col">"Provincia"</th>
                                <th scope="col">"Semestre"</th>
                                <th scope="col">"Inviato il"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {items.into_iter().map(|i| view! {
                                <tr>
                                    <th scope="row" class="fw-normal">
                                        <a href=format!("{}#sem-{}", links::authority_monitoring(i.authority.as_ref()), i.period)>{i.authority_name.clone()}</a>
                                    </th>
                                    <td>{i.province.clone().unwrap_or_default()}</td>
                                    <td>{i.period.to_string()}</td>
                                    <td>{i.submitted_at.map(|t| t.format("%d/%m/%Y").to_string()).unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any(),
        }}
    }
}

fn level_label(l: IndicatorLevel) -> &'static str {
    match l {
        IndicatorLevel::Region => "Regione",
        IndicatorLevel::Province => "Provincia",
        IndicatorLevel::TaskForce => "Task force",
        IndicatorLevel::Procedure => "Procedimento",
        IndicatorLevel::Phase => "Fase",
        IndicatorLevel::Authority => "Ente",
    }
}

/// Where a child of the dashboard leads: its own dashboard, or an authority's page.
fn child_href(c: &ScopeSummary, validated: bool) -> String {
    let v = if validated { "&solo_validati=1" } else { "" };
    match c.level {
        IndicatorLevel::Authority => links::authority_monitoring(&c.key),
        l => format!(
            "/monitoraggio/cruscotto?livello={}&chiave={}{v}",
            l.code(),
            c.key
        ),
    }
}

/// `/monitoraggio/cruscotto?livello=…&chiave=…`: the dashboard of a scope.
#[component]
pub fn Dashboard() -> impl IntoView {
    let query = use_query_map();
    let session = use_session();
    let level = Memo::new(move |_| {
        query.with(|q| {
            q.get("livello")
                .and_then(|l| IndicatorLevel::parse(&l).ok())
                .unwrap_or(IndicatorLevel::Region)
        })
    });
    let key = Memo::new(move |_| query.with(|q| q.get("chiave")));
    let validated = Memo::new(move |_| query.with(|q| q.get("solo_validati").is_some()));
    let params = move || {
        let mut p = vec![("level", level.get().code().to_owned())];
        if let Some(k) = key.get() {
            p.push(("key", k));
        }
        if validated.get() {
            p.push(("validated_only", "true".to_owned()));
        }
        p
    };
    let report = LocalResource::new(move || {
        let p = params();
        async move { api::indicators(&p).await }
    });
    let completeness = LocalResource::new(move || {
        let mut p = params();
        p.retain(|(k, _)| *k != "validated_only");
        async move { api::completeness(&p).await }
    });
    let ranking = LocalResource::new(move || {
        let mut p = params();
        p.push(("by", "backlog".to_owned()));
        p.push(("limit", "10".to_owned()));
        async move { api::rankings(&p).await }
    });
    let export_failure = RwSignal::new(None::<ApiError>);
    let export = move |_| {
        let q: Vec<String> = params()
            .into_iter()
            .map(|(k, v)| format!("{k}={}", crate::util::encode(&v)))
            .collect();
        let path = format!("/indicators?{}&format=csv", q.join("&"));
        spawn_local(async move {
            match api::download_csv(&path).await {
                Ok(bytes) => {
                    crate::util::save_file(&bytes, "indicatori.csv", "text/csv");
                }
                Err(e) => {
                    export_failure.try_set(Some(e));
                }
            }
        });
    };
    let title = move || {
        report
            .get()
            .and_then(Result::ok)
            .map_or_else(|| "Cruscotto".to_owned(), |r| r.name)
    };
    Effect::new(move |_| set_title(&format!("Cruscotto · {}", title())));
    let is_staff = move || session.has_any_role(affianca_domain::roles::set::OVERSIGHT);
    let toggle_href = move || {
        let mut q = format!("/monitoraggio/cruscotto?livello={}", level.get().code());
        if let Some(k) = key.get() {
            q.push_str(&format!("&chiave={k}"));
        }
        if !validated.get() {
            q.push_str("&solo_validati=1");
        }
        q
    };
    view! {
        <Crumbs trail=vec![("/monitoraggio".into(), "Monitoraggio".into())] here=Signal::derive(title)/>
        <div class="d-flex flex-wrap align-items-center justify-content-between gap-2">
            <h1 class="mb-2">{title}</h1>
            <div class="d-flex gap-2">
                <Show when=move || is_staff() && level.get() != IndicatorLevel::Region>
                    <a class="btn btn-outline-primary btn-sm" href="/monitoraggio/cruscotto">"Torna alla regione"</a>
                </Show>
                <a class="btn btn-outline-primary btn-sm" id="toggle-validated" href=toggle_href>
                    {move || if validated.get() { "Mostra tutti i dati" } else { "Solo dati validati" }}
                </a>
                <button type="button" class="btn btn-outline-primary btn-sm" id="export-csv" on:click=export>"Esporta CSV"</button>
            </div>
        </div>
        <p class="lead">
            {move || if validated.get() { "Dati validati dalla Segreteria Tecnica." } else { "Tutti i dati inviati, validati e non." }}
            " Le medie sono calcolate sui totali (giorni complessivi / pratiche concluse)."
        </p>
        {move || export_failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        {move || match report.get() {
            None => view! { <Loading label="Calcolo degli indicatori…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(r)) => {
                let v = validated.get_untracked();
                let children = r.children.clone();
                let child_level = children.first().map(|c| c.level);
                view! {
                    <ProgressSummary progress=r.progress.clone()/>
                    <IndicatorCharts report=r.clone()/>
                    <SeriesTable report=r/>
                    {child_level.map(|cl| view! {
                        <section aria-labelledby="children-title" class="mb-4">
                            <h2 id="children-title" class="h4">{format!("Per {}", level_label(cl).to_lowercase())}</h2>
                            <div class="table-responsive">
                                <table class="table align-middle" id="children-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">{level_label(cl)}</th>
                                            <th scope="col" class="text-end">"Arretrato baseline"</th>
                                            <th scope="col" class="text-end">"Arretrato ultimo"</th>
                                            <th scope="col" class="text-end">"Durata media ultima (gg)"</th>
                                            <th scope="col">"Stato"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {children.into_iter().map(|c| {
                                            let href = child_href(&c, v);
                                            let drill = cl != IndicatorLevel::Procedure || c.level != IndicatorLevel::Procedure;
                                            view! {
                                                <tr data-key=c.key.clone()>
                                                    <th scope="row" class="fw-normal">
                                                        {if drill { view! { <a href=href>{c.name.clone()}</a> }.into_any() } else { view! { <span>{c.name.clone()}</span> }.into_any() }}
                                                    </th>
                                                    <td class="text-end">{c.progress.baseline.as_ref().map(|b| b.backlog.to_string()).unwrap_or_else(|| "—".into())}</td>
                                                    <td class="text-end">{c.progress.latest.as_ref().map(|b| b.backlog.to_string()).unwrap_or_else(|| "—".into())}</td>
                                                    <td class="text-end">{days(c.progress.latest.as_ref().and_then(|b| b.avg_duration_days))}</td>
                                                    <td><Light status=c.progress.status/></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        </section>
                    })}
                }.into_any()
            }
        }}
        <div class="row">
            <section class="col-lg-6 mb-4" aria-labelledby="completeness-title">
                <h2 id="completeness-title" class="h4">"Completezza delle rilevazioni"</h2>
                {move || match completeness.get() {
                    None => view! { <Loading label="…"/> }.into_any(),
                    Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                    Some(Ok(rows)) => view! {
                        <table class="table table-sm" id="completeness-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Semestre"</th>
                                    <th scope="col" class="text-end">"Enti"</th>
                                    <th scope="col" class="text-end">"Con dati"</th>
                                    <th scope="col" class="text-end">"Inviati"</th>
                                    <th scope="col" class="text-end">"Validati"</th>
                                    <th scope="col" class="text-end">"In ritardo"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().rev().take(6).map(|r| view! {
                                    <tr>
                                        <th scope="row">{r.period.to_string()}</th>
                                        <td class="text-end">{r.authorities}</td>
                                        <td class="text-end">{r.with_data}</td>
                                        <td class="text-end">{r.submitted}</td>
                                        <td class="text-end">{r.validated}</td>
                                        <td class="text-end">{r.late}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }}
            </section>
            <section class="col-lg-6 mb-4" aria-labelledby="ranking-title">
                <h2 id="ranking-title" class="h4">"Enti con l'arretrato maggiore"</h2>
                {move || match ranking.get() {
                    None => view! { <Loading label="…"/> }.into_any(),
                    Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
                    Some(Ok(rows)) => view! {
                        <table class="table table-sm" id="ranking-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Ente"</th>
                                    <th scope="col" class="text-end">"Arretrato"</th>
                                    <th scope="col" class="text-end">"Durata media"</th>
                                    <th scope="col">"Stato"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr>
                                        <th scope="row" class="fw-normal"><a href=links::authority_monitoring(r.authority.as_str())>{r.name.clone()}</a></th>
                                        <td class="text-end">{r.backlog}</td>
                                        <td class="text-end">{days(r.avg_duration_days)}</td>
                                        <td><Light status=r.status/></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                }}
            </section>
        </div>
        <Show when=is_staff>
            <p>
                <a href="/monitoraggio/validazione" class="me-3">"Semestri da validare"</a>
                <a href="/monitoraggio/obiettivi">"Baseline e obiettivi"</a>
            </p>
        </Show>
    }
}

/// `/monitoraggio/obiettivi`: baseline, lock period and milestones (the secretariat edits).
#[component]
pub fn TargetsSettings() -> impl IntoView {
    set_title("Baseline e obiettivi");
    let session = use_session();
    let settings = LocalResource::new(api::monitoring_settings);
    view! {
        <Crumbs trail=vec![("/monitoraggio".into(), "Monitoraggio".into())] here="Baseline e obiettivi".to_owned()/>
        <h1 class="mb-2">"Baseline e obiettivi"</h1>
        <p class="lead">"Il semestre di riferimento, i traguardi di riduzione dell'arretrato e dei tempi medi, e dopo quanti giorni dalla fine del semestre i dati inviati si chiudono."</p>
        {move || match settings.get() {
            None => view! { <Loading label="Caricamento…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(s)) => view! { <TargetsForm settings=s editable=session.has_role(Role::Secretariat)/> }.into_any(),
        }}
    }
}

#[component]
fn TargetsForm(settings: MonitoringSettings, editable: bool) -> impl IntoView {
    let baseline = RwSignal::new(settings.baseline.to_string());
    let lock_days = RwSignal::new(settings.lock_days.to_string());
    let milestones: Vec<(RwSignal<String>, RwSignal<String>, RwSignal<String>)> = settings
        .milestones
        .iter()
        .map(|m| {
            (
                RwSignal::new(m.period.to_string()),
                RwSignal::new(it_number(m.backlog_reduction_pct)),
                RwSignal::new(it_number(m.duration_reduction_pct)),
            )
        })
        .collect();
    let ms = StoredValue::new(milestones.clone());
    let failure = RwSignal::new(None::<ApiError>);
    let saved = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        failure.set(None);
        saved.set(false);
        let num = |s: String| s.trim().replace(',', ".").parse::<f64>().unwrap_or(-1.0);
        let Ok(b) = affianca_domain::Period::parse(&baseline.get_untracked()) else {
            failure.set(Some(invalid(
                "La baseline è un semestre come 2021S2.".into(),
            )));
            return;
        };
        let mut list = Vec::new();
        for (p, bl, du) in ms.get_value() {
            if let Ok(period) = affianca_domain::Period::parse(&p.get_untracked()) {
                list.push(Milestone {
                    period,
                    backlog_reduction_pct: num(bl.get_untracked()),
                    duration_reduction_pct: num(du.get_untracked()),
                });
            }
        }
        let body = MonitoringSettings {
            baseline: b,
            lock_days: lock_days.get_untracked().trim().parse().unwrap_or(u32::MAX),
            milestones: list,
        };
        spawn_local(async move {
            match api::put_monitoring_settings(&body).await {
                Ok(_) => {
                    saved.try_set(true);
                }
                Err(e) => {
                    failure.try_set(Some(e));
                }
            }
        });
    };
    view! {
        <form on:submit=submit novalidate=true id="targets-form">
            <div class="row g-3 pt-3">
                <div class="col-md-3 form-group">
                    <label for="baseline" class="active">"Semestre di riferimento"</label>
                    <input id="baseline" type="text" class="form-control" disabled=!editable
                        prop:value=move || baseline.get() on:input=move |ev| baseline.set(event_target_value(&ev))/>
                </div>
                <div class="col-md-3 form-group">
                    <label for="lock-days" class="active">"Chiusura dopo (giorni)"</label>
                    <input id="lock-days" type="number" min="0" class="form-control" disabled=!editable
                        prop:value=move || lock_days.get() on:input=move |ev| lock_days.set(event_target_value(&ev))/>
                </div>
            </div>
            <table class="table align-middle" id="milestones-table">
                <thead>
                    <tr>
                        <th scope="col">"Traguardo (semestre)"</th>
                        <th scope="col">"Riduzione arretrato (%)"</th>
                        <th scope="col">"Riduzione durata media (%)"</th>
                    </tr>
                </thead>
                <tbody>
                    {milestones.into_iter().enumerate().map(|(i, (p, b, d))| view! {
                        <tr>
                            <td><input type="text" class="form-control" id=format!("milestone-period-{i}") aria-label=format!("Semestre del traguardo {}", i + 1) disabled=!editable prop:value=move || p.get() on:input=move |ev| p.set(event_target_value(&ev))/></td>
                            <td><input type="text" inputmode="decimal" class="form-control" id=format!("milestone-backlog-{i}") aria-label=format!("Riduzione dell'arretrato, traguardo {}", i + 1) disabled=!editable prop:value=move || b.get() on:input=move |ev| b.set(event_target_value(&ev))/></td>
                            <td><input type="text" inputmode="decimal" class="form-control" id=format!("milestone-duration-{i}") aria-label=format!("Riduzione della durata, traguardo {}", i + 1) disabled=!editable prop:value=move || d.get() on:input=move |ev| d.set(event_target_value(&ev))/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            {move || saved.get().then(|| view! { <div class="alert alert-success" role="status" id="targets-saved">"Impostazioni salvate: i cruscotti usano i nuovi obiettivi."</div> })}
            {editable.then(|| view! { <button type="submit" class="btn btn-primary" id="targets-save">"Salva"</button> })}
        </form>
    }
}
