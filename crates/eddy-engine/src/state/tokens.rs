//! Remembered ClientRequestTokens of TransactWriteItems: a retry with the same token and
//! request answers from the first run instead of running again, for a token's lifetime.

use std::collections::HashMap;

use parking_lot::Mutex;

use crate::model::capacity::Consumed;
use crate::model::error::{EngineError, Result};

/// How long a ClientRequestToken is remembered.
const TOKEN_LIFETIME_MS: u64 = 10 * 60 * 1000;

/// Remembered ClientRequestTokens: digest of the request and when it ran.
#[derive(Debug, Default)]
pub(crate) struct Tokens(Mutex<HashMap<String, TokenEntry>>);

/// A remembered transaction: its request digest, when it started or completed (ms), and what
/// it consumed (None while it runs).
type TokenEntry = (u64, u64, Option<Vec<(String, Consumed)>>);

impl Tokens {
    /// Claims `token` for a transaction about to run, or answers from the one that used it.
    pub(crate) fn claim(&self, token: &str, digest: u64, now_ms: u64) -> Result<Claimed<'_>> {
        let mut tokens = self.0.lock();
        tokens.retain(|_, (_, at, _)| at.saturating_add(TOKEN_LIFETIME_MS) > now_ms);
        match tokens.get(token) {
            Some((known, _, _)) if *known != digest => {
                Err(EngineError::IdempotentParameterMismatch(
                    "The request uses the same client token as a previous, but non-identical request.".into(),
                ))
            }
            Some((_, _, Some(consumed))) => Ok(Claimed::Before(consumed.clone())),
            Some((_, _, None)) => Err(EngineError::TransactionInProgress),
            None => {
                tokens.insert(token.to_owned(), (digest, now_ms, None));
                Ok(Claimed::Now(TokenClaim {
                    tokens: self,
                    token: Some(token.to_owned()),
                }))
            }
        }
    }
}

/// What [`Tokens::claim`] found.
pub(crate) enum Claimed<'a> {
    /// An identical request with the token completed: what it consumed.
    Before(Vec<(String, Consumed)>),
    /// The token is this transaction's now.
    Now(TokenClaim<'a>),
}

/// A ClientRequestToken claimed by a running transaction: a second request with it meanwhile
/// gets TransactionInProgressException rather than running the transaction again. Dropped
/// without [`TokenClaim::complete`] (the transaction failed), it releases the token.
pub(crate) struct TokenClaim<'a> {
    tokens: &'a Tokens,
    /// None once completed.
    token: Option<String>,
}

impl TokenClaim<'_> {
    /// Remembers the outcome for retries; the token is valid for its lifetime from `now_ms`.
    pub(crate) fn complete(mut self, now_ms: u64, consumed: Vec<(String, Consumed)>) {
        if let Some(token) = self.token.take()
            && let Some(entry) = self.tokens.0.lock().get_mut(&token)
        {
            entry.1 = now_ms;
            entry.2 = Some(consumed);
        }
    }
}

impl Drop for TokenClaim<'_> {
    fn drop(&mut self) {
        if let Some(token) = &self.token {
            self.tokens.0.lock().remove(token);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claimed_token_is_in_progress_until_completed_or_released() {
        let tokens = Tokens::default();
        let Ok(Claimed::Now(claim)) = tokens.claim("t", 1, 0) else {
            panic!("a fresh token is claimed");
        };
        assert!(matches!(
            tokens.claim("t", 1, 1),
            Err(EngineError::TransactionInProgress)
        ));
        assert!(matches!(
            tokens.claim("t", 2, 1),
            Err(EngineError::IdempotentParameterMismatch(_))
        ));
        claim.complete(5, vec![("table".to_owned(), Consumed::default())]);
        assert!(matches!(tokens.claim("t", 1, 6), Ok(Claimed::Before(c)) if c.len() == 1));
        // Valid for its lifetime from completion, then a new request.
        assert!(matches!(
            tokens.claim("t", 1, 5 + TOKEN_LIFETIME_MS),
            Ok(Claimed::Now(_))
        ));

        let Ok(Claimed::Now(failed)) = tokens.claim("u", 1, 0) else {
            panic!("a fresh token is claimed");
        };
        drop(failed);
        assert!(
            matches!(tokens.claim("u", 1, 1), Ok(Claimed::Now(_))),
            "a failed transaction releases its token"
        );
    }
}
