//! The one diesel schema, shared by SQLite and PostgreSQL (see the migrations).

diesel::table! {
    accounts (id) {
        id -> Text,
        email -> Text,
        email_key -> Text,
        name -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        name_key -> Text,
        kind -> Text,
        country -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    meetings (id) {
        id -> Text,
        slug -> Text,
        title -> Text,
        description -> Text,
        venue -> Text,
        city -> Text,
        country -> Text,
        timezone -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        registration_opens_at -> Nullable<Timestamp>,
        registration_closes_at -> Nullable<Timestamp>,
        capacity -> Nullable<BigInt>,
        per_organization_limit -> Nullable<BigInt>,
        requires_approval -> Bool,
        languages -> Text,
        status -> Text,
        translations -> Text,
        queue_counter -> BigInt,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        purged_at -> Nullable<Timestamp>,
        purged_counts -> Nullable<Text>,
        approval_threshold -> Nullable<BigInt>,
        address -> Text,
        contact_email -> Nullable<Text>,
        invitation_reminder_days -> Nullable<Integer>,
        signatory_name -> Nullable<Text>,
        signatory_title -> Nullable<Text>,
        travel_support -> Bool,
        visa_letters -> Bool,
    }
}

diesel::table! {
    meeting_organizers (meeting_id, account_id) {
        meeting_id -> Text,
        account_id -> Text,
    }
}

diesel::table! {
    registration_attempts (id) {
        id -> Text,
        meeting_id -> Text,
        client_key -> Text,
        at -> Timestamp,
    }
}

diesel::table! {
    registrations (id) {
        id -> Text,
        meeting_id -> Text,
        email -> Text,
        email_key -> Text,
        full_name -> Text,
        organization_id -> Text,
        job_title -> Nullable<Text>,
        country -> Text,
        language -> Text,
        dietary -> Nullable<Text>,
        accessibility -> Nullable<Text>,
        interpretation -> Nullable<Text>,
        consent_data_processing -> Bool,
        consent_press_listing -> Bool,
        status -> Text,
        queue_ticket -> Nullable<BigInt>,
        search_text -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        checked_in_at -> Nullable<Timestamp>,
        status_changed_at -> Timestamp,
        link_resent_at -> Nullable<Timestamp>,
        category -> Nullable<Text>,
        answers -> Text,
        delegation_id -> Nullable<Text>,
        checkin_code -> Nullable<Text>,
        updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    check_ins (id) {
        id -> Text,
        meeting_id -> Text,
        registration_id -> Text,
        nonce -> Text,
        day -> Text,
        device_at -> Timestamp,
        received_at -> Timestamp,
        source -> Text,
        desk_token_id -> Nullable<Text>,
        account_id -> Nullable<Text>,
        first -> Bool,
        undone_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    attendances (registration_id, day) {
        registration_id -> Text,
        day -> Text,
        meeting_id -> Text,
        arrived_at -> Timestamp,
        check_in_id -> Text,
    }
}

diesel::table! {
    delegations (id) {
        id -> Text,
        meeting_id -> Text,
        organization_name -> Text,
        organization_kind -> Text,
        organization_country -> Text,
        category -> Text,
        seats -> BigInt,
        focal_email -> Text,
        focal_name -> Text,
        focal_language -> Text,
        token_digest -> Nullable<Text>,
        nomination_deadline -> Nullable<Timestamp>,
        unused_seats -> Text,
        released_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        meeting_id -> Text,
        email -> Text,
        email_key -> Text,
        full_name -> Text,
        organization_name -> Nullable<Text>,
        organization_kind -> Nullable<Text>,
        country -> Nullable<Text>,
        category -> Text,
        language -> Text,
        token_digest -> Nullable<Text>,
        status -> Text,
        registration_id -> Nullable<Text>,
        delegation_id -> Nullable<Text>,
        created_by -> Nullable<Text>,
        sent_at -> Timestamp,
        reminded_at -> Nullable<Timestamp>,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    questions (id) {
        id -> Text,
        meeting_id -> Text,
        code -> Text,
        label -> Text,
        translations -> Text,
        kind -> Text,
        options -> Text,
        required -> Bool,
        categories -> Nullable<Text>,
        position -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    categories (id) {
        id -> Text,
        meeting_id -> Text,
        code -> Text,
        name -> Text,
        translations -> Text,
        capacity -> Nullable<BigInt>,
        requires_approval -> Bool,
        invitation_only -> Bool,
        press_accreditation -> Bool,
        position -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tokens (id) {
        id -> Text,
        digest -> Text,
        kind -> Text,
        account_id -> Nullable<Text>,
        registration_id -> Nullable<Text>,
        meeting_id -> Nullable<Text>,
        label -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        kind -> Text,
        meeting_id -> Nullable<Text>,
        registration_id -> Nullable<Text>,
        recipient -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        meeting_id -> Nullable<Text>,
        subject_id -> Nullable<Text>,
        detail -> Text,
    }
}

diesel::table! {
    rooms (id) {
        id -> Text,
        meeting_id -> Text,
        name -> Text,
        capacity -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        meeting_id -> Text,
        title -> Text,
        description -> Text,
        kind -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        room_id -> Nullable<Text>,
        language -> Text,
        interpretation -> Bool,
        position -> Integer,
        translations -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    session_speakers (id) {
        id -> Text,
        session_id -> Text,
        meeting_id -> Text,
        role -> Text,
        registration_id -> Nullable<Text>,
        name -> Nullable<Text>,
        organization -> Nullable<Text>,
        person_key -> Text,
        position -> Integer,
        public -> Bool,
    }
}

diesel::table! {
    agenda_changes (id) {
        id -> Text,
        meeting_id -> Text,
        session_id -> Text,
        at -> Timestamp,
        change -> Text,
        notified_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(meetings -> accounts (created_by));
diesel::joinable!(meeting_organizers -> meetings (meeting_id));
diesel::joinable!(meeting_organizers -> accounts (account_id));
diesel::joinable!(registrations -> meetings (meeting_id));
diesel::joinable!(registrations -> organizations (organization_id));
diesel::joinable!(categories -> meetings (meeting_id));
diesel::joinable!(questions -> meetings (meeting_id));
diesel::joinable!(invitations -> meetings (meeting_id));
diesel::joinable!(delegations -> meetings (meeting_id));
diesel::joinable!(check_ins -> meetings (meeting_id));
diesel::joinable!(attendances -> meetings (meeting_id));
diesel::joinable!(travel_requests -> registrations (registration_id));
diesel::joinable!(visa_letters -> registrations (registration_id));
diesel::joinable!(visa_letters -> meetings (meeting_id));

diesel::table! {
    /// Kept by triggers (migration `2026-12-03-000002_counts`); read through `meetings::counts`.
    meeting_counts (meeting_id, dimension, key, shard) {
        meeting_id -> Text,
        dimension -> Text,
        key -> Text,
        shard -> Integer,
        n -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    categories,
    questions,
    invitations,
    delegations,
    meeting_counts,
    organizations,
    meetings,
    meeting_organizers,
    registrations,
    tokens,
    outbox,
    audit_log,
    press_access_log,
    rooms,
    sessions,
    session_speakers,
    agenda_changes,
    check_ins,
    attendances,
    travel_requests,
    visa_letters,
    webhooks,
    webhook_deliveries,
);

diesel::table! {
    webhooks (id) {
        id -> Text,
        meeting_id -> Text,
        url -> Text,
        events -> Text,
        secret -> Text,
        created_at -> Timestamp,
        disabled_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webhook_deliveries (seq) {
        seq -> BigInt,
        id -> Text,
        webhook_id -> Text,
        meeting_id -> Text,
        subject_id -> Nullable<Text>,
        event -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_status -> Nullable<Integer>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    travel_requests (registration_id) {
        registration_id -> Text,
        meeting_id -> Text,
        funding_requested -> Bool,
        departure_city -> Nullable<Text>,
        arrival_date -> Nullable<Text>,
        departure_date -> Nullable<Text>,
        hotel_needed -> Bool,
        visa_letter_requested -> Bool,
        nationality -> Nullable<Text>,
        passport_sealed -> Nullable<Binary>,
        passport_hint -> Nullable<Text>,
        passport_expiry -> Nullable<Text>,
        birth_date_sealed -> Nullable<Binary>,
        funding_decision -> Nullable<Text>,
        decision_note -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        itinerary -> Nullable<Text>,
        hotel_booking -> Nullable<Text>,
        updated_at -> Timestamp,
        sensitive_purged_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    visa_letters (reference) {
        reference -> Text,
        registration_id -> Text,
        meeting_id -> Text,
        issued_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    press_access_log (id) {
        id -> Text,
        token_id -> Text,
        meeting_id -> Text,
        at -> Timestamp,
        format -> Text,
    }
}

diesel::joinable!(press_access_log -> tokens (token_id));
diesel::joinable!(sessions -> rooms (room_id));
diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::joinable!(session_speakers -> sessions (session_id));
diesel::joinable!(session_speakers -> registrations (registration_id));
