//! Resource-based policies (Put, Get and DeleteResourcePolicy, and CreateTable's
//! ResourcePolicy): stored with the table and shown back, never enforced, since eddy does not
//! authorise requests. What infrastructure tools write, they read back as written.

use std::sync::Arc;

use crate::model::arn::ResourceArn;
use crate::model::error::{EngineError, Result};
use crate::model::invalid::Invalid;
use crate::model::schema::ResourcePolicy;
use crate::state::catalog::Table;
use crate::state::engine::Engine;

/// The largest policy document, in bytes.
const MAX_POLICY_BYTES: usize = 20 * 1024;

/// ExpectedRevisionId's value for "no policy may be there yet".
const NO_POLICY: &str = "NO_POLICY";

/// Checks a policy document as DynamoDB does before it stores it.
///
/// # Errors
/// ValidationException for a document over 20 KB or not JSON.
pub(crate) fn check_document(document: &str) -> Result<()> {
    if document.len() > MAX_POLICY_BYTES {
        return Err(Invalid::PolicyTooLarge {
            max: MAX_POLICY_BYTES,
        }
        .into());
    }
    if serde_json::from_str::<serde_json::Value>(document).is_err() {
        return Err(Invalid::PolicyDocument {
            problem: "This policy contains invalid Json",
        }
        .into());
    }
    Ok(())
}

fn not_found(detail: String) -> EngineError {
    EngineError::PolicyNotFound(format!(
        "Resource-based policy not found for the provided ResourceArn: {detail}"
    ))
}

impl Engine {
    /// The table a resource-policy call's ARN belongs to.
    fn policy_table(&self, arn: &str) -> Result<Arc<Table>> {
        let parsed = ResourceArn::parse(arn)?;
        if parsed.region != self.scope().region {
            return Err(Invalid::ForeignResourceArn {
                arn: arn.to_owned(),
            }
            .into());
        }
        if parsed.account != self.scope().account_id {
            return Err(EngineError::AccessDenied(
                "This action is only supported by accounts that match the resource owner\u{2019}s account.".into(),
            ));
        }
        let name = parsed.table();
        self.table_named(name)?.ok_or_else(|| {
            EngineError::ResourceNotFound(format!(
                "Requested resource not found: Table: {name} not found"
            ))
        })
    }

    /// PutResourcePolicy: returns the policy's RevisionId (unchanged when the same document is
    /// put again).
    ///
    /// # Errors
    /// ValidationException for the ARN or the document, ResourceNotFoundException,
    /// PolicyNotFoundException when `expected` does not match.
    pub fn put_resource_policy(
        &self,
        arn: &str,
        document: &str,
        expected: Option<&str>,
    ) -> Result<String> {
        let table = self.policy_table(arn)?;
        check_document(document)?;
        let _guard = self.lock_table(&table)?;
        let mut def = (*table.def()).clone();
        let current = def.policies.iter().position(|p| p.arn == arn);
        let current_revision = current
            .and_then(|i| def.policies.get(i))
            .map(|p| p.revision_id.clone());
        check_expected(&def.name, expected, current_revision.as_deref())?;
        if let Some(p) = current.and_then(|i| def.policies.get(i))
            && p.document == document
        {
            return Ok(p.revision_id.clone());
        }
        let now = self.clock().now_ms();
        let revision = match current_revision.and_then(|r| r.parse::<u64>().ok()) {
            Some(previous) if previous >= now => (previous + 1).to_string(),
            _ => now.to_string(),
        };
        let policy = ResourcePolicy {
            arn: arn.to_owned(),
            document: document.to_owned(),
            revision_id: revision.clone(),
        };
        match current {
            Some(i) => def.policies[i] = policy,
            None => def.policies.push(policy),
        }
        self.catalog().update(self.storage(), &table, def)?;
        Ok(revision)
    }

    /// GetResourcePolicy: the document and its RevisionId.
    ///
    /// # Errors
    /// ValidationException for the ARN, ResourceNotFoundException, PolicyNotFoundException.
    pub fn get_resource_policy(&self, arn: &str) -> Result<ResourcePolicy> {
        let table = self.policy_table(arn)?;
        let def = table.def();
        def.policies
            .iter()
            .find(|p| p.arn == arn)
            .cloned()
            .ok_or_else(|| not_found(arn.to_owned()))
    }

    /// DeleteResourcePolicy: the deleted policy's RevisionId; None when there was none.
    ///
    /// # Errors
    /// ValidationException for the ARN, ResourceNotFoundException, PolicyNotFoundException
    /// when `expected` does not match.
    pub fn delete_resource_policy(
        &self,
        arn: &str,
        expected: Option<&str>,
    ) -> Result<Option<String>> {
        let table = self.policy_table(arn)?;
        let _guard = self.lock_table(&table)?;
        let mut def = (*table.def()).clone();
        let Some(i) = def.policies.iter().position(|p| p.arn == arn) else {
            if let Some(expected) = expected {
                return Err(not_found(format!(
                    "Requested update for policy with revision id {expected}, but table {} has no associated policy.",
                    def.name
                )));
            }
            return Ok(None);
        };
        let removed = def.policies.remove(i);
        check_expected(&def.name, expected, Some(&removed.revision_id))?;
        self.catalog().update(self.storage(), &table, def)?;
        Ok(Some(removed.revision_id))
    }
}

/// ExpectedRevisionId against the current policy's revision.
fn check_expected(table: &str, expected: Option<&str>, current: Option<&str>) -> Result<()> {
    match (expected, current) {
        (None, _) | (Some(NO_POLICY), None) => Ok(()),
        (Some(NO_POLICY), Some(current)) => Err(not_found(format!(
            "Requested policy update expecting none to be present for table {table}, but a policy exists with revision id {current}."
        ))),
        (Some(e), Some(current)) if e == current => Ok(()),
        (Some(e), Some(current)) => Err(not_found(format!(
            "Requested update for policy with revision id {e}, but the policy associated to target table {table} has revision id {current}."
        ))),
        (Some(e), None) => Err(not_found(format!(
            "Requested update for policy with revision id {e}, but table {table} has no associated policy."
        ))),
    }
}
