//! The rules every write obeys before it is staged, in one place: which key an item or a `Key`
//! names, the key and item size limits, the secondary index key checks, the condition, and what
//! an update of a missing item creates. PutItem, UpdateItem, DeleteItem, BatchWriteItem,
//! TransactWriteItems (and the PartiQL statements, which run as those) all call these
//! functions; staging itself is `write::stage`'s.
//!
//! DynamoDB checks a put in a different order per operation, and the order decides which
//! message a client reads when an item breaks two rules. [`PutOrder`] names the three orders:
//!
//! | operation               | order                                   |
//! |-------------------------|-----------------------------------------|
//! | PutItem                 | key, item size, index keys              |
//! | BatchWriteItem Put      | key, index keys, item size              |
//! | TransactWriteItems Put  | item size (refuses the whole request), key, index keys (that action's reason) |
//!
//! An update runs the same steps everywhere: key, key attributes untouched, then under the
//! table's lock the condition, the update itself, the size of the result ("Item size to
//! update"), its index keys, and the missing-item rule ([`Updated::creates_nothing`]).

use eddy_expr::{Condition, Update};
use eddy_types::{Item, MAX_ITEM_SIZE, item_size};

use crate::keys;
use crate::model::error::{EngineError, Result};
use crate::model::invalid::Invalid;
use crate::model::schema::{KeySchema, TableDef};

/// Which operation's order a put is checked in (see the module's table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PutOrder {
    /// PutItem.
    PutItem,
    /// A Put of BatchWriteItem.
    BatchWrite,
    /// A Put of TransactWriteItems.
    Transact,
}

/// Why a put was refused, and how far the refusal reaches: only a transaction tells the two
/// apart (a request error fails the call, an action error becomes that action's cancellation
/// reason).
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The whole request is refused.
    Request(EngineError),
    /// This action is refused.
    Action(EngineError),
}

impl From<Refusal> for EngineError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Request(e) | Refusal::Action(e) => e,
        }
    }
}

/// How far a refusal of one transaction action reaches: an empty key value refuses the whole
/// request, as DynamoDB answers it; anything else cancels the transaction with that action's
/// reason.
pub(crate) fn transaction_refusal(e: EngineError) -> Refusal {
    match e {
        EngineError::Invalid(Invalid::EmptyKey { .. } | Invalid::EmptyItemKey { .. }) => {
            Refusal::Request(e)
        }
        other => Refusal::Action(other),
    }
}

/// A put that passed the rules.
#[derive(Debug)]
pub(crate) struct PutTarget {
    /// The item's key attributes.
    pub key: Item,
    /// Its storage key.
    pub skey: Vec<u8>,
    /// The item's size.
    pub size: usize,
}

/// Checks an item to be put, in `order`'s sequence, and names its storage key.
pub(crate) fn put_target(
    def: &TableDef,
    item: &Item,
    order: PutOrder,
) -> std::result::Result<PutTarget, Refusal> {
    let size = item_size(item);
    let size_ok = || -> Result<()> {
        if size > MAX_ITEM_SIZE {
            Err(Invalid::ItemTooLarge.into())
        } else {
            Ok(())
        }
    };
    if order == PutOrder::Transact {
        size_ok().map_err(Refusal::Request)?;
    }
    let rest = || -> Result<PutTarget> {
        let key = def.key_schema.key_of_item(item)?;
        if order == PutOrder::PutItem {
            size_ok()?;
        }
        index_keys(def, item)?;
        if order == PutOrder::BatchWrite {
            size_ok()?;
        }
        let skey = keys::item_key(def.id, &def.key_schema, &key)?;
        Ok(PutTarget { key, skey, size })
    };
    rest().map_err(|e| match order {
        PutOrder::Transact => transaction_refusal(e),
        PutOrder::PutItem | PutOrder::BatchWrite => Refusal::Action(e),
    })
}

/// The most item data one transaction puts.
const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// The items a transaction puts may not exceed 4 MB together; checked before anything else
/// of the transaction.
pub(crate) fn transaction_size<'a>(puts: impl Iterator<Item = &'a Item>) -> Result<()> {
    if puts.map(item_size).sum::<usize>() > MAX_TRANSACTION_BYTES {
        return Err(Invalid::TransactionTooLarge.into());
    }
    Ok(())
}

/// Checks a `Key` parameter (and, for an update, that the update leaves the key alone), and
/// names its storage key.
pub(crate) fn key_target(def: &TableDef, key: &Item, update: Option<&Update>) -> Result<Vec<u8>> {
    def.key_schema.check_key(key)?;
    if let Some(update) = update {
        check_key_untouched(&def.key_schema, update)?;
    }
    keys::item_key(def.id, &def.key_schema, key)
}

/// An update may not touch key attributes.
fn check_key_untouched(schema: &KeySchema, update: &Update) -> Result<()> {
    for path in update.target_paths() {
        let top = path.top();
        if schema.is_key(top) {
            if path.0.len() > 1 {
                return Err(Invalid::NestedKeyPath {
                    attribute: top.to_string(),
                }
                .into());
            }
            return Err(Invalid::KeyAttributeUpdated {
                attribute: top.to_string(),
            }
            .into());
        }
    }
    Ok(())
}

/// An item's secondary index keys: each index whose key attributes the item has must get
/// values of the right type and size.
pub(crate) fn index_keys(def: &TableDef, item: &Item) -> Result<()> {
    def.indexes.iter().try_for_each(|i| i.check_item(item))
}

/// Evaluates a write's condition against the current item (an absent item is an empty one).
/// `return_old` is ReturnValuesOnConditionCheckFailure=ALL_OLD.
pub(crate) fn check_condition(
    condition: Option<&Condition>,
    old: Option<&Item>,
    return_old: bool,
) -> Result<()> {
    let Some(condition) = condition else {
        return Ok(());
    };
    let empty = Item::new();
    if condition.evaluate(old.unwrap_or(&empty)) {
        Ok(())
    } else {
        Err(EngineError::ConditionalCheckFailed {
            item: if return_old { old.cloned() } else { None },
        })
    }
}

/// The result of an update.
#[derive(Debug)]
pub(crate) struct Updated {
    /// The item after the update.
    pub new: Item,
    /// Its size.
    pub size: usize,
    /// The item was missing and the update only removed things from it (REMOVE or DELETE
    /// actions): DynamoDB creates nothing. An update with no actions, or with a SET or ADD,
    /// creates the item with at least its key.
    pub creates_nothing: bool,
}

/// Applies an update to the current item (or to the bare key when the item is missing), then
/// checks the result's size and index keys.
pub(crate) fn updated_item(
    def: &TableDef,
    key: &Item,
    old: Option<&Item>,
    update: Option<&Update>,
) -> Result<Updated> {
    let creates_nothing = old.is_none() && update.is_some_and(Update::only_removes);
    let mut new = old.cloned().unwrap_or_else(|| key.clone());
    // Removing from a missing item does nothing, even at a nested path that would fail on an
    // item that exists.
    if let Some(update) = update.filter(|_| !creates_nothing) {
        update.apply(&mut new)?;
    }
    let size = item_size(&new);
    if size > MAX_ITEM_SIZE {
        return Err(Invalid::UpdatedItemTooLarge.into());
    }
    index_keys(def, &new)?;
    Ok(Updated {
        new,
        size,
        creates_nothing,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use eddy_expr::{ExprParam, Placeholders, parse_condition, parse_update};
    use eddy_types::AttributeValue;

    use super::*;
    use crate::model::indexes::{
        IndexDef, IndexKey, IndexKind, IndexStatus, Projection, ProjectionType,
    };
    use crate::model::schema::{BillingMode, KeyAttribute, ScalarType, Throughput};

    fn attr(name: &str, ty: ScalarType) -> KeyAttribute {
        KeyAttribute {
            name: name.into(),
            ty,
        }
    }

    /// Table `pk` (S) + `sk` (N) with a GSI on `g` (S).
    fn table() -> TableDef {
        TableDef {
            revision: 0,
            id: 7,
            name: "t".into(),
            scope: Default::default(),
            table_uuid: String::new(),
            key_schema: KeySchema {
                hash: attr("pk", ScalarType::S),
                range: Some(attr("sk", ScalarType::N)),
            },
            attribute_definitions: Vec::new(),
            billing_mode: BillingMode::PayPerRequest,
            throughput: Throughput::default(),
            created_ms: 0,
            pay_per_request_since_ms: None,
            last_increase_ms: None,
            last_decrease_ms: None,
            tags: Vec::new(),
            deletion_protection: false,
            table_class: None,
            indexes: vec![IndexDef {
                id: 0,
                name: "gi".into(),
                kind: IndexKind::Global,
                key_schema: IndexKey {
                    hash: vec![attr("g", ScalarType::S)],
                    range: Vec::new(),
                },
                projection: Projection {
                    projection_type: ProjectionType::All,
                    non_key_attributes: Vec::new(),
                },
                throughput: None,
                status: IndexStatus::Active,
            }],
            next_index_id: 1,
            stream_view_type: None,
            latest_stream_arn: None,
            latest_stream_label: None,
            last_stream_ms: None,
            ttl_attribute: None,
            ttl_changed_ms: None,
            point_in_time_recovery: None,
            contributor_insights: false,
            restore: None,
            policies: Vec::new(),
            warm_throughput: None,
        }
    }

    fn s(v: &str) -> AttributeValue {
        AttributeValue::S(v.into())
    }

    fn n(v: &str) -> AttributeValue {
        AttributeValue::N(v.parse().expect("number"))
    }

    fn item(entries: &[(&str, AttributeValue)]) -> Item {
        entries
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    fn update(text: &str, values: &[(&str, AttributeValue)]) -> Update {
        let values: HashMap<String, AttributeValue> = values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        parse_update(text, &mut Placeholders::new(None, Some(&values))).expect("update")
    }

    fn message<T: std::fmt::Debug>(r: std::result::Result<T, Refusal>) -> (bool, String) {
        match r.expect_err("refused") {
            Refusal::Request(e) => (true, e.to_string()),
            Refusal::Action(e) => (false, e.to_string()),
        }
    }

    /// An item over 400 KB whose GSI key also has the wrong type: each operation reports the
    /// rule its order checks first.
    #[test]
    fn each_operation_checks_a_put_in_its_own_order() {
        let def = table();
        let big = item(&[
            ("pk", s("a")),
            ("sk", n("1")),
            ("g", n("5")),
            ("blob", s(&"x".repeat(MAX_ITEM_SIZE))),
        ]);
        let size = Invalid::ItemTooLarge.to_string();
        let (request, msg) = message(put_target(&def, &big, PutOrder::PutItem));
        assert_eq!((request, msg.as_str()), (false, size.as_str()));
        let (request, msg) = message(put_target(&def, &big, PutOrder::BatchWrite));
        assert!(!request);
        assert!(msg.contains("Type mismatch for Index Key g"), "{msg}");
        let (request, msg) = message(put_target(&def, &big, PutOrder::Transact));
        assert_eq!((request, msg.as_str()), (true, size.as_str()));

        // Without the size problem the key comes first everywhere.
        let keyless = item(&[("sk", n("1")), ("g", n("5"))]);
        for order in [PutOrder::PutItem, PutOrder::BatchWrite, PutOrder::Transact] {
            let (request, msg) = message(put_target(&def, &keyless, order));
            assert!(!request);
            assert_eq!(
                msg,
                "One or more parameter values were invalid: Missing the key pk in the item"
            );
        }
    }

    #[test]
    fn a_valid_put_names_its_key_and_size() {
        let def = table();
        let it = item(&[("pk", s("a")), ("sk", n("1")), ("g", s("x")), ("v", s("y"))]);
        let target = put_target(&def, &it, PutOrder::PutItem).expect("valid");
        assert_eq!(target.key, item(&[("pk", s("a")), ("sk", n("1"))]));
        assert_eq!(target.size, item_size(&it));
        let same = key_target(&def, &target.key, None).expect("key");
        assert_eq!(target.skey, same);
    }

    #[test]
    fn key_parameters_must_match_the_schema_exactly() {
        let def = table();
        for key in [
            item(&[("pk", s("a"))]),
            item(&[("pk", s("a")), ("sk", s("1"))]),
            item(&[("pk", s("a")), ("sk", n("1")), ("x", s("y"))]),
        ] {
            let e = key_target(&def, &key, None).expect_err("mismatch");
            assert!(
                matches!(e, EngineError::Invalid(Invalid::KeyMismatch)),
                "{e}"
            );
        }
        let long = item(&[("pk", s(&"k".repeat(2049))), ("sk", n("1"))]);
        assert!(matches!(
            key_target(&def, &long, None),
            Err(EngineError::Invalid(Invalid::HashKeyTooLarge { max: 2048 }))
        ));
    }

    #[test]
    fn an_update_may_not_touch_the_key() {
        let def = table();
        let key = item(&[("pk", s("a")), ("sk", n("1"))]);
        let set_key = update("SET sk = :v", &[(":v", n("2"))]);
        assert!(matches!(
            key_target(&def, &key, Some(&set_key)),
            Err(EngineError::Invalid(Invalid::KeyAttributeUpdated { .. }))
        ));
        let nested = update("SET pk.x = :v", &[(":v", n("2"))]);
        assert!(matches!(
            key_target(&def, &key, Some(&nested)),
            Err(EngineError::Invalid(Invalid::NestedKeyPath { .. }))
        ));
    }

    /// What an update of a missing item creates.
    #[test]
    fn an_update_of_a_missing_item_creates_it_unless_it_only_removes() {
        let def = table();
        let key = item(&[("pk", s("a")), ("sk", n("1"))]);
        let no_actions = updated_item(&def, &key, None, None).expect("no actions");
        assert!(!no_actions.creates_nothing);
        assert_eq!(no_actions.new, key);

        let set = update("SET v = :v", &[(":v", s("x"))]);
        let created = updated_item(&def, &key, None, Some(&set)).expect("set");
        assert!(!created.creates_nothing);
        assert_eq!(created.new.get("v"), Some(&s("x")));

        let remove = update("REMOVE v", &[]);
        assert!(
            updated_item(&def, &key, None, Some(&remove))
                .expect("remove")
                .creates_nothing
        );
        let delete = update(
            "DELETE tags :t",
            &[(":t", AttributeValue::Ss(vec!["a".into()]))],
        );
        assert!(
            updated_item(&def, &key, None, Some(&delete))
                .expect("delete")
                .creates_nothing
        );

        // An existing item is always written back, even when only removed from.
        let old = item(&[("pk", s("a")), ("sk", n("1")), ("v", s("x"))]);
        let removed = updated_item(&def, &key, Some(&old), Some(&remove)).expect("remove");
        assert!(!removed.creates_nothing);
        assert_eq!(removed.new, key);
    }

    #[test]
    fn an_update_result_obeys_the_size_and_index_rules() {
        let def = table();
        let key = item(&[("pk", s("a")), ("sk", n("1"))]);
        let huge = update("SET v = :v", &[(":v", s(&"x".repeat(MAX_ITEM_SIZE)))]);
        assert!(matches!(
            updated_item(&def, &key, None, Some(&huge)),
            Err(EngineError::Invalid(Invalid::UpdatedItemTooLarge))
        ));
        let typed = update("SET g = :v", &[(":v", n("1"))]);
        assert!(matches!(
            updated_item(&def, &key, None, Some(&typed)),
            Err(EngineError::Invalid(Invalid::IndexKeyType { .. }))
        ));
        let empty = update("SET g = :v", &[(":v", s(""))]);
        assert!(matches!(
            updated_item(&def, &key, None, Some(&empty)),
            Err(EngineError::Invalid(Invalid::EmptyIndexKey { .. }))
        ));
    }

    #[test]
    fn a_condition_sees_a_missing_item_as_empty() {
        let names = HashMap::new();
        let values = HashMap::new();
        let cond = parse_condition(
            "attribute_not_exists(pk)",
            ExprParam::ConditionExpression,
            &mut Placeholders::new(Some(&names), Some(&values)),
        )
        .expect("condition");
        assert!(check_condition(Some(&cond), None, true).is_ok());
        let old = item(&[("pk", s("a"))]);
        match check_condition(Some(&cond), Some(&old), true) {
            Err(EngineError::ConditionalCheckFailed { item }) => {
                assert_eq!(item, Some(old.clone()))
            }
            other => panic!("{other:?}"),
        }
        match check_condition(Some(&cond), Some(&old), false) {
            Err(EngineError::ConditionalCheckFailed { item }) => assert_eq!(item, None),
            other => panic!("{other:?}"),
        }
        assert!(check_condition(None, Some(&old), false).is_ok());
    }
}
