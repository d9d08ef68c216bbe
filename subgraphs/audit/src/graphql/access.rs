//! Who may read what: `audit.entry.read` reads everything; a signed-in user without it reads
//! only the entries where they are the actor.

use async_graphql::{Context, Result};
use kit::auth::AuthContext;

/// Permission code that grants reading every audit entry and verifying the chain.
pub const READ_PERMISSION: &str = "audit.entry.read";

/// `Ok` when the caller may read every entry.
pub(crate) fn require_read_all(ctx: &Context<'_>) -> Result<()> {
    AuthContext::of(ctx).require_scope(READ_PERMISSION)
}

/// `Ok` when the caller may read the trail of `user_id`: their own, or anyone's with the
/// permission.
pub(crate) fn require_read_user(ctx: &Context<'_>, user_id: Option<&str>) -> Result<()> {
    let auth = AuthContext::of(ctx);
    let me = auth.require_user()?;
    if user_id == Some(me) {
        return Ok(());
    }
    auth.require_scope(READ_PERMISSION)
}
