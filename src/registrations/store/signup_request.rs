//! The registration a request makes: on PostgreSQL over a plain connection, from the
//! request's own thread (`signup_pg::register_direct`); otherwise `signup::register` on the
//! write pool.

use super::*;

/// `register` for a request, on the pools: on PostgreSQL over a plain connection, a
/// registration without travel is sent from the request's own thread (`db::DirectPg`).
pub async fn register_from_request(
    pools: &crate::db::Pools,
    to: Destination,
    new: NewRegistration,
    client: ClientGuard,
) -> AppResult<()> {
    match &pools.direct {
        Some(direct) if new.travel.is_none() => {
            let _counted = pools.load.begin();
            super::signup_pg::register_direct(direct, &to, &new, &client, crate::db::now()).await
        }
        _ => {
            pools
                .write(move |conn| {
                    super::signup::register(conn, &to, &new, &client, crate::db::now())
                })
                .await
        }
    }
}
