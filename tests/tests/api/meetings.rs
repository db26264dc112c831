use affianca_domain::Role;
use affianca_domain::dto::{Meeting, Notification, Page};
use affianca_tests::{assert_problem, spawn_app};
use serde_json::json;

#[tokio::test]
async fn a_meeting_is_scheduled_answered_exported_and_put_in_calendars() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let body = json!({
        "province": "BG", "starts_at": "2026-12-10T09:30:00Z", "duration_minutes": 90,
        "place": "Sala consiliare; Via Tasso 8, Bergamo", "agenda": "Presentazione del programma",
        "istat_codes": ["016024", "016", "016025"]
    });
    let res = app.post_json("/api/v1/meetings", Some(&sec), &body).await;
    assert_eq!(res.status(), 201);
    let m: Meeting = res.json().await.unwrap();
    assert_eq!((m.invited, m.attending), (3, 0));

    // The mayor of Bergamo was told, answers for Bergamo, and sees only Bergamo's invitation.
    let rep = app.token_for(Role::AuthorityRep).await;
    let notes: Page<Notification> = app
        .get("/api/v1/notifications", &rep)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(notes.items[0].kind, "meeting_invitation");
    let p = assert_problem(
        app.post_json(
            &format!("/api/v1/meetings/{}/rsvp", m.id),
            Some(&rep),
            &json!({"istat_code": "016024", "attending": true, "attendees": 0}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p.errors[0].field, "attendees");
    let res = app
        .post_json(
            &format!("/api/v1/meetings/{}/rsvp", m.id),
            Some(&rep),
            &json!({"istat_code": "016024", "attending": true, "attendees": 3}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let seen: Meeting = res.json().await.unwrap();
    assert_eq!(
        seen.invitations
            .iter()
            .map(|i| i.istat_code.as_str())
            .collect::<Vec<_>>(),
        ["016024"]
    );
    assert_eq!((seen.attending, seen.attendees), (1, 3));
    // Not for an authority that is not theirs.
    assert_problem(
        app.post_json(
            &format!("/api/v1/meetings/{}/rsvp", m.id),
            Some(&rep),
            &json!({"istat_code": "016025", "attending": false}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // Brescia's delegate was not invited: the meeting does not exist for them.
    let other = app.token_for(Role::AuthorityDelegate).await;
    assert_problem(
        app.get(&format!("/api/v1/meetings/{}", m.id), &other).await,
        404,
        "not_found",
    )
    .await;
    let theirs: Vec<Meeting> = app
        .get("/api/v1/meetings", &other)
        .await
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());

    let res = app
        .get(&format!("/api/v1/meetings/{}/attendance.csv", m.id), &sec)
        .await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = res.text().await.unwrap();
    assert!(
        csv.starts_with("\u{feff}codice_istat;ente;risposta;partecipanti;data_risposta\r\n"),
        "{csv}"
    );
    assert!(csv.contains("016024;Bergamo;partecipa;3;"), "{csv}");
    assert!(csv.contains("016025;"), "{csv}");
    assert!(csv.contains("in attesa"), "{csv}");
    assert_problem(
        app.get(&format!("/api/v1/meetings/{}/attendance.csv", m.id), &rep)
            .await,
        403,
        "forbidden",
    )
    .await;

    let ics = app
        .get(&format!("/api/v1/meetings/{}/calendar.ics", m.id), &rep)
        .await;
    assert_eq!(
        ics.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let ics = ics.text().await.unwrap();
    for line in [
        "BEGIN:VCALENDAR",
        "DTSTART:20261210T093000Z",
        "DTEND:20261210T110000Z",
        "LOCATION:Sala consiliare\\; Via Tasso 8\\, Bergamo",
        "END:VEVENT",
    ] {
        assert!(ics.contains(line), "{line} in {ics}");
    }
}

#[tokio::test]
async fn invite_all_takes_every_authority_of_the_province_and_only_those() {
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let res = app
        .post_json("/api/v1/meetings", Some(&sec), &json!({"province": "LO", "starts_at": "2027-01-15T10:00:00Z", "place": "Lodi", "invite_all": true}))
        .await;
    let m: Meeting = res.json().await.unwrap();
    assert_eq!(m.invited, 60 + 1, "60 comuni and the Provincia di Lodi");
    let p = assert_problem(
        app.post_json("/api/v1/meetings", Some(&sec), &json!({"province": "LO", "starts_at": "2027-01-15T10:00:00Z", "place": " ", "istat_codes": ["016024"], "duration_minutes": 5})).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        p.errors
            .iter()
            .map(|e| e.field.as_str())
            .collect::<Vec<_>>(),
        ["duration_minutes", "place", "istat_codes[0]"]
    );
    let observer_bg = app.token_for(Role::Observer).await;
    assert_problem(
        app.get(&format!("/api/v1/meetings/{}", m.id), &observer_bg)
            .await,
        404,
        "not_found",
    )
    .await;
}
