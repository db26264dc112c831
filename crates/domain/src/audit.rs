//! The actions the audit log records.

use crate::ParseError;
use serde::{Deserialize, Serialize};

/// A security-relevant action (DOMAIN.md §2: who did what, when, from where).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    LoginSucceeded,
    LoginFailed,
    LoginLocked,
    RefreshTokenReused,
    Logout,
    UserCreated,
    GrantAdded,
    GrantRevoked,
    ProcedureCreated,
    ProcedureUpdated,
    ProcedureDeactivated,
    AuthoritiesImported,
    RegistrationCreated,
    RegistrationSubmitted,
    RegistrationApproved,
    RegistrationRejected,
    DelegateInvited,
    InvitationRevoked,
    InvitationAccepted,
    DelegateRemoved,
    PasswordResetRequested,
    PasswordReset,
    PhaseCreated,
    PhaseAuthoritiesEnabled,
    PhaseAuthorityRemoved,
    ExpertCreated,
    ExpertUpdated,
    CoordinatorAppointed,
    CoordinatorRemoved,
    RepresentativeChanged,
    RegisterImported,
    RegisterFileWritten,
    RegisterFileDeleted,
    MeasurementsEntered,
    SemesterTransition,
    TargetsUpdated,
}

impl AuditAction {
    pub const ALL: [AuditAction; 36] = [
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginLocked,
        Self::RefreshTokenReused,
        Self::Logout,
        Self::UserCreated,
        Self::GrantAdded,
        Self::GrantRevoked,
        Self::ProcedureCreated,
        Self::ProcedureUpdated,
        Self::ProcedureDeactivated,
        Self::AuthoritiesImported,
        Self::RegistrationCreated,
        Self::RegistrationSubmitted,
        Self::RegistrationApproved,
        Self::RegistrationRejected,
        Self::DelegateInvited,
        Self::InvitationRevoked,
        Self::InvitationAccepted,
        Self::DelegateRemoved,
        Self::PasswordResetRequested,
        Self::PasswordReset,
        Self::PhaseCreated,
        Self::PhaseAuthoritiesEnabled,
        Self::PhaseAuthorityRemoved,
        Self::ExpertCreated,
        Self::ExpertUpdated,
        Self::CoordinatorAppointed,
        Self::CoordinatorRemoved,
        Self::RepresentativeChanged,
        Self::RegisterImported,
        Self::RegisterFileWritten,
        Self::RegisterFileDeleted,
        Self::MeasurementsEntered,
        Self::SemesterTransition,
        Self::TargetsUpdated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginLocked => "login_locked",
            Self::RefreshTokenReused => "refresh_token_reused",
            Self::Logout => "logout",
            Self::UserCreated => "user_created",
            Self::GrantAdded => "grant_added",
            Self::GrantRevoked => "grant_revoked",
            Self::ProcedureCreated => "procedure_created",
            Self::ProcedureUpdated => "procedure_updated",
            Self::ProcedureDeactivated => "procedure_deactivated",
            Self::AuthoritiesImported => "authorities_imported",
            Self::RegistrationCreated => "registration_created",
            Self::RegistrationSubmitted => "registration_submitted",
            Self::RegistrationApproved => "registration_approved",
            Self::RegistrationRejected => "registration_rejected",
            Self::DelegateInvited => "delegate_invited",
            Self::InvitationRevoked => "invitation_revoked",
            Self::InvitationAccepted => "invitation_accepted",
            Self::DelegateRemoved => "delegate_removed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordReset => "password_reset",
            Self::PhaseCreated => "phase_created",
            Self::PhaseAuthoritiesEnabled => "phase_authorities_enabled",
            Self::PhaseAuthorityRemoved => "phase_authority_removed",
            Self::ExpertCreated => "expert_created",
            Self::ExpertUpdated => "expert_updated",
            Self::CoordinatorAppointed => "coordinator_appointed",
            Self::CoordinatorRemoved => "coordinator_removed",
            Self::RepresentativeChanged => "representative_changed",
            Self::RegisterImported => "register_imported",
            Self::RegisterFileWritten => "register_file_written",
            Self::RegisterFileDeleted => "register_file_deleted",
            Self::MeasurementsEntered => "measurements_entered",
            Self::SemesterTransition => "semester_transition",
            Self::TargetsUpdated => "targets_updated",
        }
    }

    /// The Italian label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::LoginSucceeded => "Accesso riuscito",
            Self::LoginFailed => "Accesso fallito",
            Self::LoginLocked => "Accesso bloccato (troppi tentativi)",
            Self::RefreshTokenReused => "Riuso di un token di sessione (sessione revocata)",
            Self::Logout => "Uscita",
            Self::UserCreated => "Utente creato",
            Self::GrantAdded => "Ruolo assegnato",
            Self::GrantRevoked => "Ruolo revocato",
            Self::ProcedureCreated => "Procedimento creato",
            Self::ProcedureUpdated => "Procedimento modificato",
            Self::ProcedureDeactivated => "Procedimento disattivato",
            Self::AuthoritiesImported => "Elenco ISTAT degli enti importato",
            Self::RegistrationCreated => "Registrazione di un ente avviata",
            Self::RegistrationSubmitted => "Protocollo di collaborazione caricato",
            Self::RegistrationApproved => "Registrazione approvata",
            Self::RegistrationRejected => "Registrazione respinta",
            Self::DelegateInvited => "Delegato invitato",
            Self::InvitationRevoked => "Invito revocato",
            Self::InvitationAccepted => "Invito accettato",
            Self::DelegateRemoved => "Delegato rimosso",
            Self::PasswordResetRequested => "Richiesta di reimpostazione password",
            Self::PasswordReset => "Password reimpostata",
            Self::PhaseCreated => "Fase del programma creata",
            Self::PhaseAuthoritiesEnabled => "Enti abilitati in una fase",
            Self::PhaseAuthorityRemoved => "Ente tolto da una fase",
            Self::ExpertCreated => "Esperto aggiunto",
            Self::ExpertUpdated => "Profilo di un esperto modificato",
            Self::CoordinatorAppointed => "Coordinatore nominato",
            Self::CoordinatorRemoved => "Coordinatore rimosso",
            Self::RepresentativeChanged => "Rappresentante legale cambiato",
            Self::RegisterImported => "Registro delle pratiche caricato",
            Self::RegisterFileWritten => "Pratica scritta nel registro",
            Self::RegisterFileDeleted => "Pratica tolta dal registro",
            Self::MeasurementsEntered => "Rilevazione semestrale inserita a mano",
            Self::SemesterTransition => "Stato di un semestre cambiato",
            Self::TargetsUpdated => "Baseline e obiettivi modificati",
        }
    }

    pub fn parse(s: &str) -> Result<Self, ParseError> {
        Self::ALL
            .into_iter()
            .find(|a| a.code() == s.trim())
            .ok_or_else(|| {
                ParseError::new(format!(
                    "«{s}» non è un'azione registrata: usare uno tra {}",
                    Self::ALL.map(Self::code).join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::AuditAction;

    #[test]
    fn codes_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.code()).unwrap(), a);
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                format!("\"{}\"", a.code())
            );
            assert!(!a.label().is_empty());
        }
        assert!(AuditAction::parse("deleted_everything").is_err());
    }
}
