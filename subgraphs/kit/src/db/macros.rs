//! `db_run!` and `db_tx!`: write a query once, compile it for each backend.
//!
//! Diesel checks queries against a concrete backend, so a body that must run on both is
//! expanded twice, once with `conn: &mut PgConn` and once with `conn: &mut SqliteConn`. The
//! body is an expression producing a future (usually `async move { … }`) whose output is
//! `Result<T, DbError>`, or `Result<T, E>` with the `-> E` form, where `E: From<DbError>`.
//! The macro evaluates to that result.

/// Runs a body on a pooled connection.
///
/// ```ignore
/// let n: i64 = kit::db_run!(db, |conn| async move {
///     Ok(posts::table.count().get_result(conn).await?)
/// })?;
/// let post = kit::db_run!(db, |conn| -> BlogError, async move { ... })?;
/// ```
#[macro_export]
macro_rules! db_run {
    ($db:expr, |$conn:ident| -> $err:ty, $body:expr) => {
        $crate::__db_dispatch!(run, $db, $conn, $err, $body)
    };
    ($db:expr, |$conn:ident| $body:expr) => {
        $crate::__db_dispatch!(run, $db, $conn, $crate::db::DbError, $body)
    };
}

/// Runs a body inside a transaction: committed when it returns `Ok`, rolled back on `Err`.
/// On SQLite, transactions take turns (see `Db::transaction_lock`) and begin `IMMEDIATE`.
///
/// ```ignore
/// kit::db_tx!(db, |conn| async move {
///     diesel::insert_into(users::table).values(&user).execute(conn).await?;
///     diesel::insert_into(outbox::table).values(&event).execute(conn).await?;
///     Ok(())
/// })?;
/// ```
#[macro_export]
macro_rules! db_tx {
    ($db:expr, |$conn:ident| -> $err:ty, $body:expr) => {
        $crate::__db_dispatch!(tx, $db, $conn, $err, $body)
    };
    ($db:expr, |$conn:ident| $body:expr) => {
        $crate::__db_dispatch!(tx, $db, $conn, $crate::db::DbError, $body)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __db_dispatch {
    ($mode:ident, $db:expr, $conn:ident, $err:ty, $body:expr) => {{
        let __db: &$crate::db::Db = &$db;
        let __lock = $crate::__db_lock!($mode, __db);
        let __result: ::core::result::Result<_, $err> = match __db.acquire().await {
            ::core::result::Result::Err(e) => ::core::result::Result::Err(
                <$err as ::core::convert::From<$crate::db::DbError>>::from(e),
            ),
            ::core::result::Result::Ok($crate::db::DbConn::Postgres(mut __pooled)) => {
                let __c: &mut $crate::db::PgConn = &mut *__pooled;
                $crate::__db_body!($mode, __c, $conn, $crate::db::PgConn, $err, $body)
            }
            ::core::result::Result::Ok($crate::db::DbConn::Sqlite(mut __pooled)) => {
                let __c: &mut $crate::db::SqliteConn = &mut *__pooled;
                $crate::__db_body!($mode, __c, $conn, $crate::db::SqliteConn, $err, $body)
            }
        };
        drop(__lock);
        __result
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __db_lock {
    (run, $db:ident) => {
        ::core::option::Option::<$crate::db::__private::TxGuard<'_>>::None
    };
    (tx, $db:ident) => {
        $db.transaction_lock().await
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __db_body {
    (run, $c:ident, $conn:ident, $ty:ty, $err:ty, $body:expr) => {{
        let $conn: &mut $ty = $c;
        $body.await
    }};
    // Begin, run, then commit or roll back by hand rather than through
    // `AsyncConnection::transaction`: its async-closure bound trips an incremental-compilation
    // bug in rustc 1.95. If the future is dropped midway, the transaction manager is left
    // mid-transaction and the pool discards the connection instead of reusing it.
    (tx, $c:ident, $conn:ident, $ty:ty, $err:ty, $body:expr) => {{
        type __Tm = <$ty as $crate::db::__private::AsyncConnection>::TransactionManager;
        match <$ty as $crate::db::__private::Begin>::begin($c).await {
            ::core::result::Result::Err(e) => ::core::result::Result::Err(
                <$err as ::core::convert::From<$crate::db::DbError>>::from($crate::db::DbError::from(e)),
            ),
            ::core::result::Result::Ok(()) => {
                let __outcome: ::core::result::Result<_, $err> = {
                    let $conn: &mut $ty = &mut *$c;
                    $body.await
                };
                match __outcome {
                    ::core::result::Result::Ok(value) => {
                        match <__Tm as $crate::db::__private::TransactionManager<$ty>>::commit_transaction($c).await {
                            ::core::result::Result::Ok(()) => ::core::result::Result::Ok(value),
                            ::core::result::Result::Err(e) => ::core::result::Result::Err(
                                <$err as ::core::convert::From<$crate::db::DbError>>::from($crate::db::DbError::from(e)),
                            ),
                        }
                    }
                    ::core::result::Result::Err(e) => {
                        if let ::core::result::Result::Err(rollback) =
                            <__Tm as $crate::db::__private::TransactionManager<$ty>>::rollback_transaction($c).await
                        {
                            $crate::db::__private::tracing::warn!(error = %rollback, "rollback failed");
                        }
                        ::core::result::Result::Err(e)
                    }
                }
            }
        }
    }};
}
