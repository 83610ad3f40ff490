//! Remembered ClientRequestTokens of TransactWriteItems: a retry with the same token and
//! request answers from the first run instead of running again, for a token's lifetime.
//!
//! In memory; on storage several processes share, in storage (`keys::token_key`), claimed
//! under a lock, so a retry that reaches another process is answered the same.

use std::collections::HashMap;
use std::ops::Bound;

use eddy_storage::{Direction, Storage, WriteBatch};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::keys;
use crate::model::capacity::Consumed;
use crate::model::error::{EngineError, Result};
use crate::state::cluster::TOKEN_LOCK;

/// How long a ClientRequestToken is remembered.
const TOKEN_LIFETIME_MS: u64 = 10 * 60 * 1000;

/// Remembered ClientRequestTokens: digest of the request and when it ran.
#[derive(Debug, Default)]
pub(crate) struct Tokens(Mutex<HashMap<String, TokenEntry>>);

/// What a finished transaction consumed, per table.
type TableConsumption = Vec<(String, Consumed)>;

/// A remembered transaction: its request digest, when it started or completed (ms), and what
/// it consumed (None while it runs).
type TokenEntry = (u64, u64, Option<TableConsumption>);

/// A token as storage keeps it.
#[derive(Serialize, Deserialize)]
struct StoredToken {
    digest: u64,
    at_ms: u64,
    consumed: Option<TableConsumption>,
}

impl StoredToken {
    fn decode(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes)
            .map_err(|e| EngineError::Corrupt(format!("client request token: {e}")))
    }

    fn encode(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| EngineError::Corrupt(e.to_string()))
    }
}

/// What a claim meets: the token's entry, if one lives.
fn decide<'a>(
    found: Option<(u64, Option<TableConsumption>)>,
    digest: u64,
    claim: impl FnOnce() -> Result<TokenClaim<'a>>,
) -> Result<Claimed<'a>> {
    match found {
        Some((known, _)) if known != digest => Err(EngineError::IdempotentParameterMismatch(
            "The request uses the same client token as a previous, but non-identical request."
                .into(),
        )),
        Some((_, Some(consumed))) => Ok(Claimed::Before(consumed)),
        Some((_, None)) => Err(EngineError::TransactionInProgress),
        None => Ok(Claimed::Now(claim()?)),
    }
}

impl Tokens {
    /// Claims `token` for a transaction about to run, or answers from the one that used it.
    pub(crate) fn claim<'a>(
        &'a self,
        storage: &'a dyn Storage,
        token: &str,
        digest: u64,
        now_ms: u64,
    ) -> Result<Claimed<'a>> {
        let claim = |stored| TokenClaim {
            tokens: self,
            stored,
            digest,
            token: Some(token.to_owned()),
        };
        if storage.shared() {
            let key = keys::token_key(token);
            let (_held, values) = storage.lock(TOKEN_LOCK, &[&key])?;
            let found = match values.into_iter().next().flatten() {
                Some(bytes) => Some(StoredToken::decode(&bytes)?),
                None => None,
            }
            .filter(|t| t.at_ms.saturating_add(TOKEN_LIFETIME_MS) > now_ms);
            return decide(found.map(|t| (t.digest, t.consumed)), digest, || {
                let running = StoredToken {
                    digest,
                    at_ms: now_ms,
                    consumed: None,
                };
                let mut batch = WriteBatch::new();
                batch.put(key.clone(), running.encode()?);
                storage.commit(batch)?;
                Ok(claim(Some(storage)))
            });
        }
        let mut tokens = self.0.lock();
        tokens.retain(|_, (_, at, _)| at.saturating_add(TOKEN_LIFETIME_MS) > now_ms);
        let found = tokens
            .get(token)
            .map(|(known, _, consumed)| (*known, consumed.clone()));
        decide(found, digest, || {
            tokens.insert(token.to_owned(), (digest, now_ms, None));
            Ok(claim(None))
        })
    }

    /// Forgets the stored tokens whose lifetime is over (shared storage; the leader does it).
    ///
    /// # Errors
    /// Storage errors, corrupt entries.
    pub(crate) fn forget_stored(storage: &dyn Storage, now_ms: u64) -> Result<()> {
        // Under the claims' lock, and looking only after taking it: an expired token another
        // process claims anew meanwhile must not be deleted with the expired entry.
        let (_held, _) = storage.lock(TOKEN_LOCK, &[])?;
        let end = keys::prefix_end(keys::TOKEN_PREFIX);
        let snap = storage.snapshot();
        let mut batch = WriteBatch::new();
        for entry in snap.range(
            Bound::Included(keys::TOKEN_PREFIX),
            Bound::Excluded(&end[..]),
            Direction::Forward,
        ) {
            let (key, bytes) = entry?;
            if StoredToken::decode(&bytes)?
                .at_ms
                .saturating_add(TOKEN_LIFETIME_MS)
                <= now_ms
            {
                batch.delete(key);
            }
        }
        if !batch.is_empty() {
            storage.commit(batch)?;
        }
        Ok(())
    }
}

/// What [`Tokens::claim`] found.
pub(crate) enum Claimed<'a> {
    /// An identical request with the token completed: what it consumed.
    Before(TableConsumption),
    /// The token is this transaction's now.
    Now(TokenClaim<'a>),
}

/// A ClientRequestToken claimed by a running transaction: a second request with it meanwhile
/// gets TransactionInProgressException rather than running the transaction again. Dropped
/// without [`TokenClaim::complete`] (the transaction failed), it releases the token.
pub(crate) struct TokenClaim<'a> {
    tokens: &'a Tokens,
    /// The shared storage the claim is kept in; None in memory.
    stored: Option<&'a dyn Storage>,
    digest: u64,
    /// None once completed.
    token: Option<String>,
}

impl TokenClaim<'_> {
    /// Remembers the outcome for retries; the token is valid for its lifetime from `now_ms`.
    ///
    /// # Errors
    /// Storage errors (shared storage).
    pub(crate) fn complete(mut self, now_ms: u64, consumed: TableConsumption) -> Result<()> {
        let Some(token) = self.token.take() else {
            return Ok(());
        };
        if let Some(storage) = self.stored {
            let done = StoredToken {
                digest: self.digest,
                at_ms: now_ms,
                consumed: Some(consumed),
            };
            let mut batch = WriteBatch::new();
            batch.put(keys::token_key(&token), done.encode()?);
            return Ok(storage.commit(batch)?);
        }
        if let Some(entry) = self.tokens.0.lock().get_mut(&token) {
            entry.1 = now_ms;
            entry.2 = Some(consumed);
        }
        Ok(())
    }
}

impl Drop for TokenClaim<'_> {
    fn drop(&mut self) {
        let Some(token) = &self.token else {
            return;
        };
        match self.stored {
            Some(storage) => {
                let mut batch = WriteBatch::new();
                batch.delete(keys::token_key(token));
                // Left behind, the claim answers TransactionInProgressException until its
                // lifetime is over.
                if let Err(e) = storage.commit(batch) {
                    tracing::warn!(error = %e, "a failed transaction's token stays claimed");
                }
            }
            None => {
                self.tokens.0.lock().remove(token);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claimed_token_is_in_progress_until_completed_or_released() {
        let tokens = Tokens::default();
        let memory = eddy_storage::MemoryStorage::new();
        let storage: &dyn Storage = &memory;
        let Ok(Claimed::Now(claim)) = tokens.claim(storage, "t", 1, 0) else {
            panic!("a fresh token is claimed");
        };
        assert!(matches!(
            tokens.claim(storage, "t", 1, 1),
            Err(EngineError::TransactionInProgress)
        ));
        assert!(matches!(
            tokens.claim(storage, "t", 2, 1),
            Err(EngineError::IdempotentParameterMismatch(_))
        ));
        claim
            .complete(5, vec![("table".to_owned(), Consumed::default())])
            .expect("complete");
        assert!(matches!(tokens.claim(storage, "t", 1, 6), Ok(Claimed::Before(c)) if c.len() == 1));
        // Valid for its lifetime from completion, then a new request.
        assert!(matches!(
            tokens.claim(storage, "t", 1, 5 + TOKEN_LIFETIME_MS),
            Ok(Claimed::Now(_))
        ));

        let Ok(Claimed::Now(failed)) = tokens.claim(storage, "u", 1, 0) else {
            panic!("a fresh token is claimed");
        };
        drop(failed);
        assert!(
            matches!(tokens.claim(storage, "u", 1, 1), Ok(Claimed::Now(_))),
            "a failed transaction releases its token"
        );
    }
}
