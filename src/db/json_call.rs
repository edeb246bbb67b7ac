//! A call of one of PostgreSQL's functions that take one JSON argument (`convene_register`,
//! `convene_check_in`), kept prepared on its connection. Diesel sends `sql_query` text to be
//! parsed and planned afresh on every call; this statement is parsed once per connection and
//! then only bound and run, as `pgbench -M prepared` runs it.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Text, Untyped};
use diesel::{PgConnection, QueryResult, RunQueryDsl};

/// `SELECT <columns> FROM <function>($1::jsonb)`, with the argument bound as text.
pub struct JsonCall {
    /// The statement's text before the argument, `SELECT … FROM f(`: a constant, so that the
    /// statement cache (keyed by text) holds one statement per function.
    pub head: &'static str,
    pub argument: String,
}

impl QueryFragment<Pg> for JsonCall {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql(self.head);
        out.push_bind_param::<Text, _>(&self.argument)?;
        out.push_sql("::jsonb)");
        Ok(())
    }
}

/// No static id: diesel then keys its statement cache by the text, which differs per function.
impl QueryId for JsonCall {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// Rows read by column name, as `sql_query`'s are.
impl Query for JsonCall {
    type SqlType = Untyped;
}

impl RunQueryDsl<PgConnection> for JsonCall {}
