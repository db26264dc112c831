//! A role and its scope, entered together: the scope input adapts to the role (fixed for the
//! region roles, a province or the region for observers, an ISTAT code for authority roles, a
//! task force for experts and coordinators).

use super::form::{FieldErrors, FieldMessage, described_by, field_error};
use crate::api;
use affianca_domain::dto::{FieldError, GrantRequest, Province};
use affianca_domain::{IstatCode, ProvinceCode, Role, Scope, TaskForce};
use leptos::prelude::*;

/// Which input a role's scope needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    /// Always the whole region: nothing to choose.
    Region,
    /// A province, or the whole region.
    ProvinceOrRegion,
    /// One authority, by ISTAT code.
    Authority,
    /// One task force.
    TaskForce,
}

pub fn scope_kind(role: Role) -> ScopeKind {
    match role {
        Role::Secretariat | Role::Admin => ScopeKind::Region,
        Role::Observer => ScopeKind::ProvinceOrRegion,
        Role::AuthorityRep | Role::AuthorityDelegate => ScopeKind::Authority,
        Role::Expert | Role::Coordinator => ScopeKind::TaskForce,
    }
}

/// The hint under the scope input.
fn scope_hint(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::Region => "Questo ruolo vale sempre per l'intera regione.",
        ScopeKind::ProvinceOrRegion => {
            "Una provincia (per un ufficio provinciale) oppure l'intera regione."
        }
        ScopeKind::Authority => {
            "6 cifre per un comune (es. 016024, Bergamo), 3 per una provincia (es. 016)."
        }
        ScopeKind::TaskForce => "La task force in cui opera.",
    }
}

/// The scope a scope input stands for. `value` is what the input holds: `region` or
/// a province code for observers, an ISTAT code, a task force code.
pub fn build_scope(role: Role, value: &str) -> Result<Scope, String> {
    let value = value.trim();
    match scope_kind(role) {
        ScopeKind::Region => Ok(Scope::Region),
        ScopeKind::ProvinceOrRegion => match value {
            "" => Err("Scegliere una provincia oppure l'intera regione.".into()),
            "region" => Ok(Scope::Region),
            p => ProvinceCode::parse(p)
                .map(Scope::Province)
                .map_err(|e| e.to_string()),
        },
        ScopeKind::Authority if value.is_empty() => {
            Err("Inserire il codice ISTAT dell'ente.".into())
        }
        ScopeKind::Authority => IstatCode::parse(value)
            .map(Scope::Authority)
            .map_err(|e| e.to_string()),
        ScopeKind::TaskForce if value.is_empty() => Err("Scegliere la task force.".into()),
        ScopeKind::TaskForce => TaskForce::parse(value)
            .map(Scope::TaskForce)
            .map_err(|e| e.to_string()),
    }
}

/// A role and scope being entered.
#[derive(Debug, Clone, Copy)]
pub struct GrantDraft {
    /// Tells rows of a list apart.
    pub key: u64,
    pub role: RwSignal<Option<Role>>,
    /// The scope input's value (see [`build_scope`]).
    pub scope: RwSignal<String>,
}

impl GrantDraft {
    pub fn new(key: u64) -> Self {
        Self {
            key,
            role: RwSignal::new(None),
            scope: RwSignal::new(String::new()),
        }
    }

    pub fn reset(&self) {
        self.role.set(None);
        self.scope.set(String::new());
    }

    /// The request for this draft, or the errors of its fields.
    pub fn check(&self, role_field: &str, scope_field: &str) -> Result<GrantRequest, FieldError> {
        let Some(role) = self.role.get_untracked() else {
            return Err(field_error(role_field, "Scegliere il ruolo."));
        };
        build_scope(role, &self.scope.get_untracked())
            .map(|scope| GrantRequest { role, scope })
            .map_err(|m| field_error(scope_field, m))
    }
}

/// The role select and the scope input of one grant. Ids: `{id_prefix}-role`,
/// `{id_prefix}-scope`, and `-error` after either for its message.
#[component]
pub fn GrantFields(
    draft: GrantDraft,
    #[prop(into)] id_prefix: String,
    /// The request field paths, to match the server's 422 errors (`grants[0].role`, `scope`).
    #[prop(into)]
    role_field: String,
    #[prop(into)] scope_field: String,
    errors: FieldErrors,
    #[prop(into)] provinces: Signal<Vec<Province>>,
) -> impl IntoView {
    let role_id = format!("{id_prefix}-role");
    let role_error_id = format!("{role_id}-error");
    let scope_id = format!("{id_prefix}-scope");
    let scope_error_id = format!("{scope_id}-error");
    let hint_id = format!("{scope_id}-hint");
    let kind = Memo::new(move |_| draft.role.get().map(scope_kind));

    // The authority named by a complete ISTAT code, to confirm the right one was typed.
    let authority = LocalResource::new(move || {
        let code = (kind.get() == Some(ScopeKind::Authority))
            .then(|| IstatCode::parse(&draft.scope.get()).ok())
            .flatten();
        async move {
            match code {
                Some(code) => Some(api::authority(&code).await),
                None => None,
            }
        }
    });

    let on_role = {
        let (role_field, scope_field) = (role_field.clone(), scope_field.clone());
        move |ev| {
            let new = Role::parse(&event_target_value(&ev)).ok();
            let old = draft.role.get_untracked();
            if old.map(scope_kind) != new.map(scope_kind) {
                draft.scope.set(String::new());
            }
            draft.role.set(new);
            errors.clear_field(&role_field);
            errors.clear_field(&scope_field);
        }
    };
    let on_scope = {
        let scope_field = scope_field.clone();
        move |ev| {
            draft.scope.set(event_target_value(&ev));
            errors.clear_field(&scope_field);
        }
    };

    let role_invalid = {
        let f = role_field.clone();
        Memo::new(move |_| errors.has(&f))
    };
    let scope_invalid = {
        let f = scope_field.clone();
        Memo::new(move |_| errors.has(&f))
    };

    let scope_input = {
        let (scope_id, scope_error_id, hint_id) =
            (scope_id.clone(), scope_error_id.clone(), hint_id.clone());
        move || {
            let describedby = described_by(Some(&hint_id), &scope_error_id, scope_invalid.get());
            let on_scope = on_scope.clone();
            match kind.get() {
                None => view! {
                    <div class="form-group mb-0">
                        <label for=scope_id.clone() class="active">"Ambito"</label>
                        <input
                            id=scope_id.clone()
                            type="text"
                            class="form-control"
                            disabled=true
                            placeholder="Scegliere prima il ruolo"
                        />
                    </div>
                }
                .into_any(),
                Some(ScopeKind::Region) => view! {
                    <div class="form-group mb-0">
                        <label for=scope_id.clone() class="active">"Ambito"</label>
                        <input
                            id=scope_id.clone()
                            type="text"
                            class="form-control"
                            readonly=true
                            value="Intera regione (Lombardia)"
                            aria-describedby=describedby
                        />
                    </div>
                }
                .into_any(),
                Some(ScopeKind::ProvinceOrRegion) => view! {
                    <div class="select-wrapper">
                        <label for=scope_id.clone()>"Ambito"</label>
                        <select
                            id=scope_id.clone()
                            aria-required="true"
                            aria-invalid=move || scope_invalid.get().then_some("true")
                            aria-describedby=describedby
                            on:change=on_scope
                        >
                            <option value="" prop:selected=move || draft.scope.with(String::is_empty)>
                                "Scegliere l'ambito"
                            </option>
                            <option value="region" prop:selected=move || draft.scope.with(|s| s == "region")>
                                "Intera regione"
                            </option>
                            {move || {
                                provinces
                                    .get()
                                    .into_iter()
                                    .map(|p| {
                                        let code = p.code.to_string();
                                        let selected = {
                                            let code = code.clone();
                                            move || draft.scope.with(|s| *s == code)
                                        };
                                        view! {
                                            <option value=code.clone() prop:selected=selected>
                                                {format!("Provincia di {} ({code})", p.name)}
                                            </option>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </select>
                    </div>
                }
                .into_any(),
                Some(ScopeKind::Authority) => view! {
                    <div class="form-group mb-0">
                        <label for=scope_id.clone() class="active">"Codice ISTAT dell'ente"</label>
                        <input
                            id=scope_id.clone()
                            type="text"
                            class="form-control font-monospace"
                            class:is-invalid=move || scope_invalid.get()
                            inputmode="numeric"
                            autocomplete="off"
                            maxlength="6"
                            aria-required="true"
                            aria-invalid=move || scope_invalid.get().then_some("true")
                            aria-describedby=describedby
                            prop:value=move || draft.scope.get()
                            on:input=on_scope
                        />
                    </div>
                }
                .into_any(),
                Some(ScopeKind::TaskForce) => view! {
                    <div class="select-wrapper">
                        <label for=scope_id.clone()>"Task force"</label>
                        <select
                            id=scope_id.clone()
                            aria-required="true"
                            aria-invalid=move || scope_invalid.get().then_some("true")
                            aria-describedby=describedby
                            on:change=on_scope
                        >
                            <option value="" prop:selected=move || draft.scope.with(String::is_empty)>
                                "Scegliere la task force"
                            </option>
                            {TaskForce::ALL
                                .into_iter()
                                .map(|t| {
                                    view! {
                                        <option
                                            value=t.code()
                                            prop:selected=move || draft.scope.with(|s| s == t.code())
                                        >
                                            {t.name_it()}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                    </div>
                }
                .into_any(),
            }
        }
    };

    let authority_note = move || {
        if kind.get() != Some(ScopeKind::Authority) {
            return None;
        }
        authority.get().flatten().map(|r| match r {
            Ok(a) => view! {
                <span class="text-success fw-semibold" data-testid="scope-authority">
                    {format!("Ente: {} ({})", a.name, a.kind.label().to_lowercase())}
                </span>
            }
            .into_any(),
            Err(e) if e.is_not_found() => view! {
                <span class="text-danger">"Nessun ente ha questo codice."</span>
            }
            .into_any(),
            Err(_) => ().into_any(),
        })
    };

    view! {
        <div class="row gx-3 gy-5 grant-fields">
            <div class="col-12 col-md-5">
                <div class="select-wrapper">
                    <label for=role_id.clone()>"Ruolo"</label>
                    <select
                        id=role_id.clone()
                        aria-required="true"
                        aria-invalid=move || role_invalid.get().then_some("true")
                        aria-describedby={
                            let id = role_error_id.clone();
                            move || role_invalid.get().then(|| id.clone())
                        }
                        on:change=on_role
                    >
                        <option value="" prop:selected=move || draft.role.with(Option::is_none)>
                            "Scegliere il ruolo"
                        </option>
                        {Role::ALL
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <option value=r.code() prop:selected=move || draft.role.get() == Some(r)>
                                        {r.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <FieldMessage errors=errors field=role_field id=role_error_id/>
            </div>
            <div class="col-12 col-md-7">
                {scope_input}
                <p id=hint_id class="form-text small text-secondary mb-0 mt-1">
                    {move || kind.get().map(scope_hint).unwrap_or("Dipende dal ruolo scelto.")}
                </p>
                <p class="small mb-0 mt-1" aria-live="polite">{authority_note}</p>
                <FieldMessage errors=errors field=scope_field id=scope_error_id/>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_gets_the_scope_input_it_accepts() {
        for role in Role::ALL {
            let value = match scope_kind(role) {
                ScopeKind::Region => "",
                ScopeKind::ProvinceOrRegion => "BG",
                ScopeKind::Authority => "016024",
                ScopeKind::TaskForce => "waste",
            };
            let scope = build_scope(role, value).expect("a valid scope");
            assert!(role.accepts(&scope), "{role} {scope}");
        }
    }

    #[test]
    fn scope_values_are_checked() {
        assert_eq!(build_scope(Role::Observer, "region"), Ok(Scope::Region));
        assert_eq!(
            build_scope(Role::Observer, "BG").unwrap().to_string(),
            "province:BG"
        );
        assert!(build_scope(Role::Observer, "").is_err());
        assert!(build_scope(Role::AuthorityRep, "").is_err());
        assert!(build_scope(Role::AuthorityRep, "16024").is_err());
        assert_eq!(
            build_scope(Role::AuthorityDelegate, " 016024 ")
                .unwrap()
                .to_string(),
            "authority:016024"
        );
        assert!(build_scope(Role::Expert, "").is_err());
        assert_eq!(build_scope(Role::Admin, "anything"), Ok(Scope::Region));
    }
}
