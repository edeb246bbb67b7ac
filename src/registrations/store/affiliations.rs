//! Participants' organisations (affiliations): found or created by their folded key, swept
//! when no one names them, and re-keyed when the key's rule changes.

use super::*;

/// The id of the organisation, created on first mention.
pub fn organization_id(
    conn: &mut DbConn,
    org: &NewOrganization,
    now: NaiveDateTime,
) -> AppResult<String> {
    let key = org.key();
    let find = |conn: &mut DbConn| -> QueryResult<Option<String>> {
        let query = organizations::table
            .filter(organizations::name_key.eq(&key))
            .filter(organizations::country.eq(org.country.as_str()))
            .select(organizations::id);
        match conn {
            // Held until the registration naming it commits, so that a concurrent sweep of
            // unused organisations (`sweep_organizations`) cannot delete it in between.
            // SQLite's one writer has no one to race.
            DbConn::Postgres(pg) => query.for_key_share().first(pg).optional(),
            DbConn::Sqlite(sqlite) => query.first(sqlite).optional(),
        }
    };
    if let Some(id) = find(conn)? {
        return Ok(id);
    }
    let id = new_id();
    // Not a failing insert when someone else named it a moment ago: PostgreSQL would log the
    // name with the unique index's error.
    let insert = diesel::insert_into(organizations::table)
        .values((
            organizations::id.eq(&id),
            organizations::name.eq(&org.name),
            organizations::name_key.eq(&key),
            organizations::kind.eq(org.kind.as_str()),
            organizations::country.eq(org.country.as_str()),
            organizations::created_at.eq(now),
        ))
        .on_conflict_do_nothing();
    let inserted = crate::on_each_backend!(conn, each => insert.execute(each))?;
    if inserted == 1 {
        Ok(id)
    } else {
        find(conn)?.ok_or(AppError::NotFound)
    }
}

/// Deletes the organisations that no registration names any more: the name was typed by a
/// participant, and goes with the last registration that used it (deleted, purged, or moved to
/// another organisation). Answers how many went.
///
/// On PostgreSQL it never waits: an organisation that a transaction in flight has just found
/// for a registration (`organization_id` holds it with `FOR KEY SHARE`) is skipped, and left
/// for a later sweep if that registration never comes.
///
/// `candidates` bounds the look to the organisations a change may have left unused (a delete
/// touches one), so its cost does not grow with the database; `None` looks at all of them.
pub fn sweep_organizations(conn: &mut DbConn, candidates: Option<&[String]>) -> AppResult<usize> {
    let mut tries = 0;
    loop {
        // In a savepoint: on PostgreSQL a registration committed after this statement's snapshot
        // may name one of them (the foreign key then refuses); the next try no longer picks it.
        let swept = conn.transaction(|conn| {
            let ids: Vec<String> = match candidates {
                Some(candidates) => {
                    let unused = organizations::table
                        .filter(organizations::id.eq_any(candidates))
                        .filter(diesel::dsl::not(diesel::dsl::exists(
                            registrations::table
                                .filter(registrations::organization_id.eq(organizations::id)),
                        )))
                        .select(organizations::id);
                    match conn {
                        DbConn::Postgres(pg) => unused.for_update().skip_locked().load(pg)?,
                        DbConn::Sqlite(sqlite) => unused.load(sqlite)?,
                    }
                }
                None => {
                    let unused = organizations::table
                        // NOT EXISTS, an anti-join on the index: NOT IN compares each
                        // organisation with every registration once they outgrow memory.
                        .filter(diesel::dsl::not(diesel::dsl::exists(
                            registrations::table
                                .filter(registrations::organization_id.eq(organizations::id)),
                        )))
                        .select(organizations::id);
                    match conn {
                        DbConn::Postgres(pg) => unused.for_update().skip_locked().load(pg)?,
                        DbConn::Sqlite(sqlite) => unused.load(sqlite)?,
                    }
                }
            };
            let mut deleted = 0;
            for chunk in ids.chunks(500) {
                deleted +=
                    diesel::delete(organizations::table.filter(organizations::id.eq_any(chunk)))
                        .execute(conn)?;
            }
            Ok(deleted)
        });
        match swept {
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ForeignKeyViolation,
                _,
            )) if tries < 3 => tries += 1,
            other => return Ok(other?),
        }
    }
}

/// Locks an organisation against new references until this transaction ends, on PostgreSQL,
/// so that deleting its last registration can then delete it too. Take it before the meeting
/// lock: `organization_id` (in `register`, `update_own`) takes its lock in that order.
pub(super) fn lock_organization(conn: &mut DbConn, id: &str) -> AppResult<()> {
    if let DbConn::Postgres(pg) = conn {
        organizations::table
            .find(id)
            .select(organizations::id)
            .for_update()
            .load::<String>(pg)?;
    }
    Ok(())
}

/// Recomputes every organisation's key by the current rule ([`organization_key`]) and merges
/// organisations whose keys now meet, in one country, into the oldest: keys written by an
/// earlier, looser rule would otherwise keep look-alikes apart, each with a limit of its own.
/// A migration cannot run Rust, so this runs after the migrations at every start; with nothing
/// to change it only reads. Answers how many organisations were merged away.
pub fn rekey_organizations(conn: &mut DbConn) -> AppResult<usize> {
    conn.transaction(|conn| {
        let rows: Vec<(String, String, String, String)> = organizations::table
            .order((organizations::created_at.asc(), organizations::id.asc()))
            .select((
                organizations::id,
                organizations::name,
                organizations::name_key,
                organizations::country,
            ))
            .load(conn)?;
        let mut kept: HashMap<(String, String), String> = HashMap::new();
        let mut rekeyed = Vec::new();
        let mut merged = 0;
        for (id, name, old_key, country) in rows {
            // A name without letters or digits (allowed before) keeps its key.
            let key = Some(organization_key(&name))
                .filter(|k| !k.is_empty())
                .unwrap_or(old_key.clone());
            match kept.entry((key.clone(), country)) {
                std::collections::hash_map::Entry::Occupied(keeper) => {
                    diesel::update(
                        registrations::table.filter(registrations::organization_id.eq(&id)),
                    )
                    .set(registrations::organization_id.eq(keeper.get()))
                    .execute(conn)?;
                    diesel::delete(organizations::table.find(&id)).execute(conn)?;
                    merged += 1;
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(id.clone());
                    if key != old_key {
                        rekeyed.push((id, key));
                    }
                }
            }
        }
        // In two steps, so that UNIQUE (name_key, country) never sees a key held twice while
        // keys move (one organisation's new key may be another's old one).
        for (id, _) in &rekeyed {
            diesel::update(organizations::table.find(id))
                .set(organizations::name_key.eq(format!("\u{1}{id}")))
                .execute(conn)?;
        }
        for (id, key) in &rekeyed {
            diesel::update(organizations::table.find(id))
                .set(organizations::name_key.eq(key))
                .execute(conn)?;
        }
        // Also catches organisations a sweep had to skip.
        sweep_organizations(conn, None)?;
        if merged > 0 || !rekeyed.is_empty() {
            tracing::info!(
                organizations.merged = merged,
                organizations.rekeyed = rekeyed.len(),
                "organisation keys recomputed"
            );
        }
        Ok(merged)
    })
}

/// The organisations the registration form's picker offers: those of confirmed participants
/// who agreed to be listed, which the press may see anyway. An organisation typed by anyone
/// else (unconfirmed, cancelled, not consenting, or a stranger's POST) is not published.
pub fn organizations_of(conn: &mut DbConn, meeting_id: &str) -> AppResult<Vec<Organization>> {
    Ok(organizations::table
        .filter(
            organizations::id.eq_any(
                registrations::table
                    .filter(registrations::meeting_id.eq(meeting_id))
                    .filter(registrations::status.eq(Status::Confirmed.as_str()))
                    .filter(registrations::consent_press_listing.eq(true))
                    .select(registrations::organization_id),
            ),
        )
        .order((organizations::name.asc(), organizations::id.asc()))
        .select(Organization::as_select())
        .load(conn)?)
}

pub fn organization(conn: &mut DbConn, id: &str) -> AppResult<Organization> {
    Ok(organizations::table
        .find(id)
        .select(Organization::as_select())
        .first(conn)?)
}
