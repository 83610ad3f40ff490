//! SELECT: which engine read answers it, and the page it returns.

use std::cmp::Ordering;

use eddy_expr::KeyNames;
use eddy_partiql::{OrderBy, Select};
use eddy_types::{AttributeValue, Item, encode_key_value};

use crate::model::capacity::Consumed;
use crate::model::error::Result;
use crate::ops::items::GetItemInput;
use crate::ops::partiql::Keys;
use crate::ops::query::{QueryInput, ScanInput};
use crate::state::engine::Engine;

/// How a SELECT reads: ExecuteStatement's ConsistentRead, Limit and the start key its
/// NextToken carries.
#[derive(Debug, Default)]
pub struct Paging {
    /// ConsistentRead.
    pub consistent: bool,
    /// Limit.
    pub limit: Option<usize>,
    /// Where the page starts (the key a NextToken carries).
    pub start: Option<Item>,
}

/// One page of a SELECT: items as the statement shapes them.
#[derive(Debug)]
pub struct Page {
    /// The items, shaped by the statement's projection.
    pub items: Vec<Item>,
    /// Where the next page starts, if there is more.
    pub last_evaluated_key: Option<Item>,
    /// The capacity the read used.
    pub consumed: Consumed,
}

impl Engine {
    /// Runs a SELECT as DynamoDB does: a GetItem when the WHERE clause pins the whole table key
    /// (the rest of the clause filters the item), a Query when it pins the partition key of the
    /// table or index read, and a Scan filtered by the whole clause otherwise.
    ///
    /// # Errors
    /// ResourceNotFoundException for a missing table; the statement's ORDER BY errors; the
    /// engine's read errors (a key value of the wrong type, a consistent read of a global index,
    /// a start key outside the query, ...).
    pub fn partiql_select(&self, select: &Select, paging: Paging) -> Result<Page> {
        let (source, _) = self.key_schema(&select.table, select.index.as_deref())?;
        let keys = Keys::of(&source);
        let forward = select.scan_forward(keys.hash(), keys.range())?;
        if select.index.is_none()
            && paging.start.is_none()
            && let Some(page) = single_item(self, select, &keys, paging.consistent)?
        {
            return Ok(page);
        }
        let key_condition = match &select.filter {
            Some(w) => {
                let (hash, range) = keys.names();
                w.key_condition(KeyNames {
                    hash: &hash,
                    range: &range,
                })?
            }
            None => None,
        };
        if key_condition.is_none() && !select.order_by.is_empty() {
            return self.ordered_scan(select, paging);
        }
        let out = match key_condition {
            Some((key_condition, filter)) => self.query(QueryInput {
                table_name: select.table.clone(),
                index_name: select.index.clone(),
                all_attributes: false,
                key_condition,
                filter,
                projection: None,
                count_only: false,
                forward,
                limit: paging.limit,
                exclusive_start_key: paging.start,
                consistent: paging.consistent,
            })?,
            None => self.scan(ScanInput {
                table_name: select.table.clone(),
                index_name: select.index.clone(),
                filter: select.filter.as_ref().map(|w| w.condition()).transpose()?,
                limit: paging.limit,
                exclusive_start_key: paging.start,
                consistent: paging.consistent,
                ..ScanInput::default()
            })?,
        };
        Ok(Page {
            items: out.items.iter().map(|i| select.project(i)).collect(),
            last_evaluated_key: out.last_evaluated_key,
            consumed: out.consumed,
        })
    }

    /// A SELECT with ORDER BY that a Scan serves (every branch of an OR or IN pins the
    /// partition key): a Scan reads in storage order, so every match is read and ordered, and
    /// the page is cut from the ordered matches, starting after the item the NextToken names.
    fn ordered_scan(&self, select: &Select, paging: Paging) -> Result<Page> {
        let filter = select.filter.as_ref().map(|w| w.condition()).transpose()?;
        let mut matches = Vec::new();
        let mut consumed = Consumed::default();
        let mut start = None;
        loop {
            let out = self.scan(ScanInput {
                table_name: select.table.clone(),
                index_name: select.index.clone(),
                filter: filter.clone(),
                exclusive_start_key: start,
                consistent: paging.consistent,
                ..ScanInput::default()
            })?;
            consumed += out.consumed;
            matches.extend(out.items);
            match out.last_evaluated_key {
                Some(key) => start = Some(key),
                None => break,
            }
        }
        sort(&mut matches, &select.order_by);
        let table_keys = Keys::of_table(self, &select.table)?;
        let from = match &paging.start {
            Some(after) => matches
                .iter()
                .position(|i| table_keys.key_of(i) == table_keys.key_of(after))
                .map_or(matches.len(), |at| at + 1),
            None => 0,
        };
        let limit = paging.limit.unwrap_or(usize::MAX);
        let rest = matches.get(from..).unwrap_or_default();
        let page: Vec<&Item> = rest.iter().take(limit).collect();
        let last_evaluated_key = (rest.len() > page.len())
            .then(|| page.last().map(|i| table_keys.key_of(i)))
            .flatten();
        Ok(Page {
            items: page.iter().map(|i| select.project(i)).collect(),
            last_evaluated_key,
            consumed,
        })
    }
}

/// The GetItem a SELECT by the whole table key is; None when the WHERE clause does not pin
/// the key with values of the key's types (the Query path then reports a type mismatch the
/// way DynamoDB does).
fn single_item(
    engine: &Engine,
    select: &Select,
    keys: &Keys,
    consistent: bool,
) -> Result<Option<Page>> {
    let Some(Ok(single)) = select
        .filter
        .as_ref()
        .map(|w| w.single_item(keys.hash(), keys.range()))
    else {
        return Ok(None);
    };
    if keys.check(&single.key).is_err() {
        return Ok(None);
    }
    let out = engine.get_item(GetItemInput {
        table_name: select.table.clone(),
        key: single.key,
        projection: None,
        consistent,
    })?;
    let items = out
        .item
        .filter(|i| single.condition.as_ref().is_none_or(|c| c.evaluate(i)))
        .map(|i| select.project(&i))
        .into_iter()
        .collect();
    Ok(Some(Page {
        items,
        last_evaluated_key: None,
        consumed: out.consumed,
    }))
}

/// Orders items by the ORDER BY attributes (key attributes, so S, N or B), each ascending or
/// descending as written.
fn sort(items: &mut [Item], order_by: &[OrderBy]) {
    let sort_key = |v: Option<&AttributeValue>| {
        let mut out = Vec::new();
        if let Some(v @ (AttributeValue::S(_) | AttributeValue::N(_) | AttributeValue::B(_))) = v {
            encode_key_value(v, &mut out);
        }
        out
    };
    items.sort_by(|a, b| {
        order_by
            .iter()
            .map(|o| {
                let ord = sort_key(a.get(&o.attribute)).cmp(&sort_key(b.get(&o.attribute)));
                if o.descending { ord.reverse() } else { ord }
            })
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    });
}
