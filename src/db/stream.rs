//! Reading a long result in one ordered pass, in constant memory: the exports. SQLite steps
//! its statement row by row already. PostgreSQL's client would hold the whole result in memory
//! before the first row, so there the query runs as a server-side cursor, fetched a batch at a
//! time, inside one transaction (one plan, no re-seek per page).

use super::DbConn;
use crate::error::{AppError, AppResult};
use diesel::backend::Backend;
use diesel::connection::{Connection, DefaultLoadingMode};
use diesel::deserialize::FromSqlRow;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::query_dsl::LoadQuery;
use diesel::{QueryResult, RunQueryDsl};
use std::marker::PhantomData;

/// Rows a PostgreSQL cursor hands over per round trip.
const FETCH_BATCH: usize = 1000;

type Multi = <DbConn as Connection>::Backend;

/// Hands each row of `query` to `each`, in the query's order; `each` answers `false` to stop
/// early (the reader of the export went away).
pub fn each_row<Q, U>(
    conn: &mut DbConn,
    query: Q,
    mut each: impl FnMut(U) -> AppResult<bool>,
) -> AppResult<()>
where
    Q: Query + QueryFragment<Multi> + QueryId,
    Q: for<'a> LoadQuery<'a, DbConn, U, DefaultLoadingMode>,
    Fetch<Q::SqlType>: for<'a> LoadQuery<'a, DbConn, U>,
    U: FromSqlRow<Q::SqlType, Multi> + 'static,
{
    if let DbConn::Sqlite(_) = conn {
        for row in query.load_iter::<U, DefaultLoadingMode>(conn)? {
            if !each(row?)? {
                break;
            }
        }
        return Ok(());
    }
    conn.transaction::<_, AppError, _>(|conn| {
        Declare(query).execute(conn)?;
        'reading: loop {
            let rows: Vec<U> = Fetch::<Q::SqlType>::batch().load(conn)?;
            let last = rows.len() < FETCH_BATCH;
            for row in rows {
                if !each(row)? {
                    break 'reading;
                }
            }
            if last {
                break;
            }
        }
        // Closed here too, not only at the transaction's end: inside a caller's transaction
        // this one is a savepoint, whose release leaves a cursor open.
        diesel::sql_query("CLOSE convene_rows").execute(conn)?;
        Ok(())
    })
}

/// `DECLARE … CURSOR FOR <query>`, with the query's own binds.
struct Declare<Q>(Q);

impl<Q> QueryId for Declare<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Declare<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("DECLARE convene_rows NO SCROLL CURSOR FOR ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Declare<Q> {}

/// `FETCH` from the cursor: rows of the declared query's type.
pub struct Fetch<ST>(PhantomData<ST>);

impl<ST> Fetch<ST> {
    fn batch() -> Self {
        Self(PhantomData)
    }
}

impl<ST> QueryId for Fetch<ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST> Query for Fetch<ST> {
    type SqlType = ST;
}

impl<ST, DB: Backend> QueryFragment<DB> for Fetch<ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Not kept as a prepared statement: the same text fetches rows of other types for other
        // exports.
        out.unsafe_to_cache_prepared();
        out.push_sql(&format!("FETCH FORWARD {FETCH_BATCH} FROM convene_rows"));
        Ok(())
    }
}

impl<ST, Conn> RunQueryDsl<Conn> for Fetch<ST> {}
