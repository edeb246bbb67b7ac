//! What a registration reads of its meeting before its write (the meeting, its questions and
//! categories), kept for as long as rendered public reads are (`CONVENE_PUBLIC_CACHE_MS`, a
//! second by default): a burst of registrations into one meeting reads it once a second, not
//! three statements each. Every write of this instance drops what is kept (`AppState::write`),
//! as it drops rendered pages; another instance's change (registration closed, a question
//! added) applies here within that second, as if it had been made a second later.

use crate::db::{DbConn, Pools};
use crate::error::AppResult;
use crate::meetings::{self, questions::Questionnaire, Meeting};
use crate::values::Slug;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most this many meetings are kept; past it, all are dropped and read again.
const KEPT_MEETINGS: usize = 1024;

/// A public meeting as a registration reads it.
#[derive(Debug)]
pub struct SignupContext {
    pub meeting: Meeting,
    pub questionnaire: Questionnaire,
}

impl SignupContext {
    /// The public meeting `slug` names, with its questionnaire: what a registration reads
    /// before its write.
    pub fn read(conn: &mut DbConn, slug: &Slug) -> AppResult<Self> {
        let meeting = meetings::store::public_by_slug(conn, slug)?;
        let questionnaire = meetings::questions::store::questionnaire(conn, &meeting.id)?;
        Ok(Self {
            meeting,
            questionnaire,
        })
    }
}

struct Kept {
    generation: u64,
    at: Instant,
    context: Arc<SignupContext>,
}

pub struct SignupContexts {
    ttl: Duration,
    generation: AtomicU64,
    kept: Mutex<HashMap<String, Kept>>,
}

impl SignupContexts {
    /// A `ttl` of zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            generation: AtomicU64::new(0),
            kept: Mutex::default(),
        }
    }

    /// Something may have changed: nothing read before now is used again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn fresh(&self, slug: &str) -> Option<Arc<SignupContext>> {
        let generation = self.generation.load(Ordering::SeqCst);
        let kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(slug)
            .filter(|k| k.generation == generation && k.at.elapsed() < self.ttl)
            .map(|k| k.context.clone())
    }

    /// The public meeting `slug` names with its questionnaire, read on a read connection
    /// unless read within the last moment and unchanged here since.
    pub async fn get(&self, pools: &Pools, slug: Slug) -> AppResult<Arc<SignupContext>> {
        if let Some(context) = self.fresh(slug.as_str()) {
            return Ok(context);
        }
        // Taken before the read: a write while it runs leaves what it read stale.
        let generation = self.generation.load(Ordering::SeqCst);
        let key = slug.as_str().to_owned();
        let context = Arc::new(
            pools
                .read(move |conn| SignupContext::read(conn, &slug))
                .await?,
        );
        if !self.ttl.is_zero() {
            let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
            if kept.len() >= KEPT_MEETINGS {
                kept.clear();
            }
            kept.insert(
                key,
                Kept {
                    generation,
                    at: Instant::now(),
                    context: context.clone(),
                },
            );
        }
        Ok(context)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{self, DatabaseUrl};

    fn slug() -> Slug {
        Slug::parse(Some(crate::demo::MEETING_SLUG)).unwrap()
    }

    async fn demo_pools() -> (tempfile::TempDir, Pools) {
        let dir = tempfile::tempdir().unwrap();
        let url = DatabaseUrl::parse(dir.path().join("t.db").to_str().unwrap()).unwrap();
        let mut conn = db::connect(&url).unwrap();
        db::migrate(&mut conn).unwrap();
        crate::demo::seed(&mut conn, db::now()).unwrap();
        (dir, Pools::open(&url, 2).unwrap())
    }

    async fn rename(pools: &Pools, title: &'static str) {
        use crate::schema::meetings;
        use diesel::prelude::*;
        pools
            .write(move |conn| {
                diesel::update(meetings::table)
                    .set(meetings::title.eq(title))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .unwrap();
    }

    #[actix_web::test]
    async fn a_meeting_is_read_again_after_a_write_here_or_after_its_moment() {
        let (_dir, pools) = demo_pools().await;
        let contexts = SignupContexts::new(Duration::from_millis(300));
        let first = contexts.get(&pools, slug()).await.unwrap();
        rename(&pools, "Renamed elsewhere").await;
        // Changed by another instance: this one goes on with what it read, for its moment.
        let kept = contexts.get(&pools, slug()).await.unwrap();
        assert!(Arc::ptr_eq(&first, &kept));
        tokio::time::sleep(Duration::from_millis(350)).await;
        let later = contexts.get(&pools, slug()).await.unwrap();
        assert_eq!(later.meeting.title, "Renamed elsewhere");
        // Changed here: read again at once.
        rename(&pools, "Renamed here").await;
        contexts.invalidate();
        let now = contexts.get(&pools, slug()).await.unwrap();
        assert_eq!(now.meeting.title, "Renamed here");
    }

    #[actix_web::test]
    async fn with_no_moment_nothing_is_kept() {
        let (_dir, pools) = demo_pools().await;
        let contexts = SignupContexts::new(Duration::ZERO);
        let first = contexts.get(&pools, slug()).await.unwrap();
        let second = contexts.get(&pools, slug()).await.unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
    }
}
