//! `/incontri`: the province meetings the user may see, soonest first; the secretariat schedules
//! them here. `/incontri/:id`: a meeting, its calendar file, the answer of the user's invited
//! authorities (confirm with the number of people, or decline) and, for the secretariat, the
//! attendance list with its CSV export.

use crate::api::{self, ApiError};
use crate::components::choice::TextArea;
use crate::components::crumbs::{Crumbs, crumb};
use crate::components::feedback::{ErrorAlert, Loading};
use crate::components::form::{FieldErrors, field_error};
use crate::components::icon::Icon;
use crate::components::text_field::{SuccessMessage, TextField};
use crate::pages::phases::split_codes;
use crate::session::use_session;
use crate::util::{focus_id, format_appointment, format_datetime, local_input_to_utc, set_title};
use affianca_domain::dto::{CreateMeetingRequest, Meeting, MeetingInvitation, RsvpRequest};
use affianca_domain::links;
use affianca_domain::{ProvinceCode, Role};
use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map};

/// An invitation's answer in Italian.
pub fn response_label(response: &str) -> &'static str {
    match response {
        "attending" => "Partecipa",
        "declined" => "Non partecipa",
        _ => "In attesa di risposta",
    }
}

fn when(m: &Meeting) -> String {
    format_appointment(m.starts_at.timestamp_millis())
}

#[component]
pub fn Meetings() -> impl IntoView {
    set_title("Incontri");
    let session = use_session();
    let list = LocalResource::new(api::meetings);
    view! {
        <Crumbs trail=vec![] here="Incontri".to_owned()/>
        <h1 class="mb-2">"Incontri nelle province"</h1>
        <p class="lead mb-4">
            "La Segreteria Tecnica organizza incontri in ogni provincia con gli enti del territorio. Gli enti invitati confermano o declinano la partecipazione."
        </p>
        {move || match list.get() {
            None => view! { <Loading label="Caricamento degli incontri…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(items)) if items.is_empty() => view! { <p id="meetings-empty">"Nessun incontro in programma."</p> }.into_any(),
            Some(Ok(items)) => {
                view! {
                    <div class="table-responsive">
                        <table id="meetings-table" class="table align-middle">
                            <thead>
                                <tr>
                                    <th scope="col">"Quando"</th>
                                    <th scope="col">"Provincia"</th>
                                    <th scope="col">"Luogo"</th>
                                    <th scope="col" class="text-end">"Enti invitati"</th>
                                    <th scope="col" class="text-end">"Confermati"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {items
                                    .into_iter()
                                    .map(|m| {
                                        view! {
                                            <tr data-meeting-id=m.id.to_string()>
                                                <th scope="row" class="fw-normal">
                                                    <a href=links::meeting(m.id)>{when(&m)}</a>
                                                </th>
                                                <td>{m.province.to_string()}</td>
                                                <td>{m.place.clone()}</td>
                                                <td class="text-end">{m.invited}</td>
                                                <td class="text-end">{m.attending}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }
        }}
        <Show when=move || session.has_role(Role::Secretariat)>
            <NewMeetingForm/>
        </Show>
    }
}

#[component]
fn NewMeetingForm() -> impl IntoView {
    let navigate = use_navigate();
    let provinces = LocalResource::new(api::provinces);
    let province = RwSignal::new(String::new());
    let starts = RwSignal::new(String::new());
    let duration = RwSignal::new("120".to_owned());
    let place = RwSignal::new(String::new());
    let agenda = RwSignal::new(String::new());
    let invite_all = RwSignal::new(true);
    let codes = RwSignal::new(String::new());
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let mut errs = Vec::new();
        let province = ProvinceCode::parse(&province.get_untracked())
            .map_err(|_| errs.push(field_error("province", "scegliere la provincia")))
            .ok();
        let starts_at = local_input_to_utc(&starts.get_untracked());
        if starts_at.is_none() {
            errs.push(field_error("starts_at", "data e ora dell'incontro"));
        }
        let duration_minutes = match duration.get_untracked().trim().parse::<i32>() {
            Ok(n) if (15..=600).contains(&n) => n,
            _ => {
                errs.push(field_error("duration_minutes", "in minuti, da 15 a 600"));
                0
            }
        };
        if place.get_untracked().trim().is_empty() {
            errs.push(field_error("place", "dove si tiene l'incontro"));
        }
        let all = invite_all.get_untracked();
        let istat_codes = if all {
            Vec::new()
        } else {
            split_codes(&codes.get_untracked())
        };
        if !all && istat_codes.is_empty() {
            errs.push(field_error(
                "istat_codes",
                "almeno un ente da invitare, o tutti",
            ));
        }
        failure.set(None);
        if !errs.is_empty() {
            errors.set(errs);
            focus_id("new-meeting-title");
            return;
        }
        let (Some(province), Some(starts_at)) = (province, starts_at) else {
            return;
        };
        let body = CreateMeetingRequest {
            province,
            starts_at,
            duration_minutes,
            place: place.get_untracked().trim().to_owned(),
            agenda: agenda.get_untracked().trim().to_owned(),
            invite_all: all,
            istat_codes,
        };
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let result = api::create_meeting(&body).await;
            busy.try_set(false);
            match result {
                Ok(m) => navigate(&links::meeting(m.id), Default::default()),
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                    focus_id("new-meeting-title");
                }
            }
        });
    };
    view! {
        <section class="mt-5" aria-labelledby="new-meeting-title">
            <h2 id="new-meeting-title" class="h4" tabindex="-1">"Nuovo incontro"</h2>
            <p>"Gli enti invitati ricevono una notifica e possono confermare la partecipazione."</p>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            <form id="new-meeting-form" class="d-grid gap-3" novalidate on:submit=submit>
                <div class="row g-3">
                    <div class="col-md-4">
                        <div class="select-wrapper">
                            <label for="meeting-province">"Provincia"</label>
                            <select
                                id="meeting-province"
                                aria-invalid=move || errors.has("province").then_some("true")
                                on:change=move |ev| {
                                    province.set(event_target_value(&ev));
                                    errors.clear_field("province");
                                }
                            >
                                <option value="">"Scegliere…"</option>
                                {move || {
                                    provinces
                                        .get()
                                        .and_then(Result::ok)
                                        .unwrap_or_default()
                                        .into_iter()
                                        .map(|p| view! { <option value=p.code.to_string()>{p.name}</option> })
                                        .collect_view()
                                }}
                            </select>
                        </div>
                        <crate::components::form::FieldMessage errors=errors field="province" id="meeting-province-error"/>
                    </div>
                    <div class="col-md-5">
                        <TextField id="meeting-starts" field="starts_at" label="Data e ora" kind="datetime-local" value=starts errors=errors/>
                    </div>
                    <div class="col-md-3">
                        <TextField
                            id="meeting-duration"
                            field="duration_minutes"
                            label="Durata (minuti)"
                            kind="number"
                            inputmode="numeric"
                            value=duration
                            errors=errors
                        />
                    </div>
                </div>
                <TextField id="meeting-place" field="place" label="Luogo" value=place errors=errors/>
                <TextArea id="meeting-agenda" field="agenda" label="Ordine del giorno" value=agenda errors=errors/>
                <div class="form-check mb-0">
                    <input
                        id="meeting-invite-all"
                        type="checkbox"
                        prop:checked=move || invite_all.get()
                        on:change=move |ev| invite_all.set(event_target_checked(&ev))
                    />
                    <label for="meeting-invite-all">"Invita tutti gli enti della provincia"</label>
                </div>
                <Show when=move || !invite_all.get()>
                    <TextArea
                        id="meeting-codes"
                        field="istat_codes"
                        label="Codici ISTAT degli enti invitati"
                        value=codes
                        errors=errors
                        hint="Solo enti della provincia scelta; separati da spazi, virgole o a capo."
                    />
                </Show>
                <div>
                    <button id="create-meeting" type="submit" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true")>
                        "Programma l'incontro"
                    </button>
                </div>
            </form>
        </section>
    }
}

#[component]
pub fn MeetingDetail() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok())));
    let version = RwSignal::new(0_u32);
    let meeting = LocalResource::new(move || {
        version.track();
        let id = id.get();
        async move {
            match id {
                Some(id) => api::meeting(id).await,
                None => Err(ApiError::Status(404)),
            }
        }
    });
    let news = RwSignal::new(None::<String>);
    let title = move || {
        meeting
            .get()
            .and_then(Result::ok)
            .map(|m| format!("Incontro in provincia {}", m.province))
            .unwrap_or_else(|| "Incontro".to_owned())
    };
    Effect::new(move |_| set_title(&title()));
    view! {
        <Crumbs trail=vec![crumb("/incontri", "Incontri")] here=Signal::derive(title)/>
        <h1 class="mb-3">{title}</h1>
        <SuccessMessage id="meeting-news" message=news/>
        {move || match meeting.get() {
            None => view! { <Loading label="Caricamento dell'incontro…"/> }.into_any(),
            Some(Err(e)) => view! { <ErrorAlert error=e/> }.into_any(),
            Some(Ok(m)) => {
                view! { <MeetingView meeting=m news=news reload=Callback::new(move |()| version.update(|v| *v += 1))/> }
                    .into_any()
            }
        }}
    }
}

/// Downloads a file of the meeting (`calendar.ics`, `attendance.csv`).
fn download(id: i64, file: &'static str, mime: &'static str, failure: RwSignal<Option<ApiError>>) {
    spawn_local(async move {
        match api::download(&format!("/meetings/{id}/{file}")).await {
            Ok(bytes) => {
                let name = format!("incontro-{id}-{file}");
                if crate::util::save_file(&bytes, &name, mime).is_none() {
                    failure.try_set(Some(ApiError::Decode));
                }
            }
            Err(e) => {
                failure.try_set(Some(e));
            }
        }
    });
}

#[component]
fn MeetingView(
    meeting: Meeting,
    news: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let secretariat = session.has_role(Role::Secretariat);
    let own = use_session().authority_codes();
    let id = meeting.id;
    let failure = RwSignal::new(None::<ApiError>);
    let mine: Vec<MeetingInvitation> = meeting
        .invitations
        .iter()
        .filter(|i| own.contains(&i.istat_code))
        .cloned()
        .collect();
    view! {
        <dl class="row" id="meeting-summary">
            <dt class="col-sm-3">"Quando"</dt>
            <dd class="col-sm-9" data-field="starts_at">
                {when(&meeting)} " (" {meeting.duration_minutes} " minuti)"
            </dd>
            <dt class="col-sm-3">"Luogo"</dt>
            <dd class="col-sm-9" data-field="place">{meeting.place.clone()}</dd>
            <dt class="col-sm-3">"Ordine del giorno"</dt>
            <dd class="col-sm-9 preserve-lines" data-field="agenda">
                {if meeting.agenda.is_empty() { "—".to_owned() } else { meeting.agenda.clone() }}
            </dd>
            <dt class="col-sm-3">"Partecipazione"</dt>
            <dd class="col-sm-9" data-field="attendance">
                {format!(
                    "{} enti invitati, {} confermati, {} persone attese",
                    meeting.invited,
                    meeting.attending,
                    meeting.attendees,
                )}
            </dd>
        </dl>
        {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
        <div class="d-flex flex-wrap gap-3 mb-4">
            <button
                id="download-ics"
                type="button"
                class="btn btn-outline-primary"
                on:click=move |_| download(id, "calendar.ics", "text/calendar", failure)
            >
                <Icon name="it-calendar" class="icon-primary icon-sm me-1"/>
                "Aggiungi al calendario (.ics)"
            </button>
            {secretariat
                .then(|| {
                    view! {
                        <button
                            id="download-attendance"
                            type="button"
                            class="btn btn-outline-primary"
                            on:click=move |_| download(id, "attendance.csv", "text/csv", failure)
                        >
                            <Icon name="it-download" class="icon-primary icon-sm me-1"/>
                            "Esporta le presenze (CSV)"
                        </button>
                    }
                })}
        </div>
        {mine
            .into_iter()
            .map(|inv| view! { <RsvpForm id=id invitation=inv news=news reload=reload/> })
            .collect_view()}
        <section class="mt-4" aria-labelledby="attendance-title">
            <h2 id="attendance-title" class="h4">"Enti invitati"</h2>
            <div class="table-responsive">
                <table id="attendance-table" class="table align-middle">
                    <thead>
                        <tr>
                            <th scope="col">"Ente"</th>
                            <th scope="col">"Risposta"</th>
                            <th scope="col" class="text-end">"Persone"</th>
                            <th scope="col">"Risposto il"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {meeting
                            .invitations
                            .into_iter()
                            .map(|i| {
                                view! {
                                    <tr data-istat-code=i.istat_code.to_string() data-response=i.response.clone()>
                                        <th scope="row" class="fw-normal">{i.authority_name.clone()}</th>
                                        <td>{response_label(&i.response)}</td>
                                        <td class="text-end">{(i.response == "attending").then_some(i.attendees)}</td>
                                        <td>{i.responded_at.map(|t| format_datetime(t.timestamp_millis()))}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// The answer of one of the user's authorities.
#[component]
fn RsvpForm(
    id: i64,
    invitation: MeetingInvitation,
    news: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let code = invitation.istat_code.clone();
    let attending = RwSignal::new(invitation.response != "declined");
    let people = RwSignal::new(invitation.attendees.max(1).to_string());
    let errors = FieldErrors::new();
    let failure = RwSignal::new(None::<ApiError>);
    let busy = RwSignal::new(false);
    let name = invitation.authority_name.clone();
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let yes = attending.get_untracked();
        let attendees = if yes {
            match people.get_untracked().trim().parse::<i32>() {
                Ok(n) if (1..=50).contains(&n) => n,
                _ => {
                    errors.set(vec![field_error(
                        "attendees",
                        "quante persone parteciperanno: da 1 a 50",
                    )]);
                    return;
                }
            }
        } else {
            0
        };
        failure.set(None);
        news.set(None);
        busy.set(true);
        let body = RsvpRequest {
            istat_code: code.clone(),
            attending: yes,
            attendees,
        };
        let name = name.clone();
        spawn_local(async move {
            let result = api::rsvp(id, &body).await;
            busy.try_set(false);
            match result {
                Ok(_) => {
                    news.try_set(Some(if yes {
                        format!("Partecipazione di {name} confermata ({attendees} persone).")
                    } else {
                        format!("{name}: partecipazione declinata.")
                    }));
                    focus_id("meeting-news");
                    reload.run(());
                }
                Err(e) => {
                    errors.set_from(&e);
                    failure.try_set(Some(e));
                }
            }
        });
    };
    let code = invitation.istat_code.to_string();
    let (yes_id, no_id, people_id) = (
        format!("rsvp-yes-{code}"),
        format!("rsvp-no-{code}"),
        format!("rsvp-people-{code}"),
    );
    view! {
        <section class="callout mb-4" aria-labelledby=format!("rsvp-title-{code}")>
            <h2 id=format!("rsvp-title-{code}") class="h5 callout-title">
                "La risposta di " {invitation.authority_name.clone()}
            </h2>
            <p data-testid="rsvp-current">
                "Risposta attuale: " <strong>{response_label(&invitation.response)}</strong>
            </p>
            {move || failure.get().map(|e| view! { <ErrorAlert error=e/> })}
            <form id=format!("rsvp-form-{code}") class="d-grid gap-3" novalidate on:submit=submit>
                <fieldset>
                    <legend class="h6">"Parteciperete?"</legend>
                    <div class="form-check form-check-inline">
                        <input
                            id=yes_id.clone()
                            type="radio"
                            name=format!("rsvp-{code}")
                            prop:checked=move || attending.get()
                            on:change=move |_| attending.set(true)
                        />
                        <label for=yes_id>"Sì, parteciperemo"</label>
                    </div>
                    <div class="form-check form-check-inline">
                        <input
                            id=no_id.clone()
                            type="radio"
                            name=format!("rsvp-{code}")
                            prop:checked=move || !attending.get()
                            on:change=move |_| attending.set(false)
                        />
                        <label for=no_id>"No, non parteciperemo"</label>
                    </div>
                </fieldset>
                <Show when=move || attending.get()>
                    <div class="col-md-4">
                        <label for=people_id.clone() class="active">"Numero di persone"</label>
                        <input
                            id=people_id.clone()
                            type="number"
                            min="1"
                            max="50"
                            class="form-control"
                            aria-invalid=move || errors.has("attendees").then_some("true")
                            prop:value=move || people.get()
                            on:input=move |ev| {
                                people.set(event_target_value(&ev));
                                errors.clear_field("attendees");
                            }
                        />
                        <crate::components::form::FieldMessage errors=errors field="attendees" id=format!("{}-error", people_id.clone())/>
                    </div>
                </Show>
                <div>
                    <button id=format!("rsvp-submit-{code}") type="submit" class="btn btn-primary" aria-disabled=move || busy.get().then_some("true")>
                        "Invia la risposta"
                    </button>
                </div>
            </form>
        </section>
    }
}
