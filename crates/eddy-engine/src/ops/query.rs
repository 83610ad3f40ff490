//! Query and Scan: range reads over the item key space, one page at a time.
//!
//! A page stops after `limit` items were read or once 1 MB of item data was read (the item that
//! crosses 1 MB is included); then LastEvaluatedKey is the key of the last item read. Filters and
//! projections apply after the read, so they never reduce what a page costs.

use std::ops::Bound;

use eddy_expr::{Condition, KeyCondition, Path, RangeCondition, project};
use eddy_storage::Direction;
use eddy_types::{Item, decode_item, encode_key_value, item_size};

use crate::keys;
use crate::keys::{index_partition_prefix, index_prefix};
use crate::model::capacity::Consumed;
use crate::model::error::{EngineError, Result};
use crate::model::indexes::{IndexDef, IndexKey, IndexKind, IndexStatus, ProjectionType};
use crate::model::invalid::Invalid;
use crate::model::schema::{KeyAttribute, KeySchema, TableDef};
use crate::state::engine::Engine;

/// The most item data one page reads.
const PAGE_BYTES: usize = 1024 * 1024;

/// Query.
#[derive(Clone, Debug)]
pub struct QueryInput {
    /// Table name.
    pub table_name: String,
    /// IndexName.
    pub index_name: Option<String>,
    /// Select ALL_ATTRIBUTES (on a local index with a partial projection, items are read from
    /// the table).
    pub all_attributes: bool,
    /// The key condition (parsed against the table's key schema).
    pub key_condition: KeyCondition,
    /// FilterExpression (or QueryFilter).
    pub filter: Option<Condition>,
    /// ProjectionExpression (or AttributesToGet).
    pub projection: Option<Vec<Path>>,
    /// Select COUNT: no items returned.
    pub count_only: bool,
    /// ScanIndexForward.
    pub forward: bool,
    /// Limit.
    pub limit: Option<usize>,
    /// ExclusiveStartKey.
    pub exclusive_start_key: Option<Item>,
    /// ConsistentRead.
    pub consistent: bool,
}

/// Scan.
#[derive(Clone, Debug, Default)]
pub struct ScanInput {
    /// Table name.
    pub table_name: String,
    /// IndexName.
    pub index_name: Option<String>,
    /// Select ALL_ATTRIBUTES.
    pub all_attributes: bool,
    /// FilterExpression (or ScanFilter).
    pub filter: Option<Condition>,
    /// ProjectionExpression (or AttributesToGet).
    pub projection: Option<Vec<Path>>,
    /// Select COUNT.
    pub count_only: bool,
    /// Limit.
    pub limit: Option<usize>,
    /// ExclusiveStartKey.
    pub exclusive_start_key: Option<Item>,
    /// Segment and TotalSegments of a parallel scan.
    pub segment: Option<(u32, u32)>,
    /// ConsistentRead.
    pub consistent: bool,
}

/// One page of a Query or Scan.
#[derive(Clone, Debug, Default)]
pub struct QueryOutput {
    /// Items that passed the filter (empty for COUNT).
    pub items: Vec<Item>,
    /// Items that passed the filter.
    pub count: usize,
    /// Items read.
    pub scanned_count: usize,
    /// Where the next page starts, when this one was cut short.
    pub last_evaluated_key: Option<Item>,
    /// Capacity consumed.
    pub consumed: Consumed,
}

struct Page<'a> {
    /// The key attributes of LastEvaluatedKey.
    key_attrs: Vec<&'a KeyAttribute>,
    /// The sort key a key condition's range applies to.
    range_attr: Option<&'a KeyAttribute>,
    filter: Option<&'a Condition>,
    projection: Option<&'a [Path]>,
    count_only: bool,
    limit: usize,
    range: Option<&'a RangeCondition>,
    /// Read each item from the table (a local index whose projection lacks what was asked).
    fetch_from: Option<(u64, &'a KeySchema)>,
}

/// Where a Query or Scan reads: the table, or one of its indexes.
struct Source<'a> {
    key_schema: std::borrow::Cow<'a, IndexKey>,
    key_attrs: Vec<&'a KeyAttribute>,
    index: Option<&'a IndexDef>,
}

impl<'a> Source<'a> {
    /// The source `index` names (the table when None). A read that needs attributes a local
    /// index does not project (ALL_ATTRIBUTES, or named ones in `wanted`) fetches each item
    /// from the table; a global index refuses it.
    fn new(
        def: &'a TableDef,
        index: Option<&str>,
        consistent: bool,
        all_attributes: bool,
        wanted: Option<&[Path]>,
    ) -> Result<(Self, Option<(u64, &'a KeySchema)>)> {
        let table_attrs = std::iter::once(&def.key_schema.hash)
            .chain(def.key_schema.range.as_ref())
            .collect();
        let Some(name) = index else {
            return Ok((
                Self {
                    key_schema: std::borrow::Cow::Owned(IndexKey::from(&def.key_schema)),
                    key_attrs: table_attrs,
                    index: None,
                },
                None,
            ));
        };
        let index = def.index(name).ok_or_else(|| {
            EngineError::from(Invalid::NoSuchIndex {
                index: name.to_owned(),
            })
        })?;
        let partial = index.projection.projection_type != ProjectionType::All;
        if index.status == IndexStatus::Creating {
            return Err(Invalid::IndexBackfilling.into());
        }
        if index.kind == IndexKind::Global {
            if consistent {
                return Err(Invalid::ConsistentReadOnGsi.into());
            }
            if all_attributes && partial {
                return Err(Invalid::AllAttributesOnPartialGsi {
                    index: name.to_owned(),
                }
                .into());
            }
        }
        let mut missing: Vec<String> = Vec::new();
        for path in wanted.unwrap_or_default() {
            let top = path.top();
            if !index.projects(&def.key_schema, top) && !missing.iter().any(|m| m == top) {
                missing.push(top.to_owned());
            }
        }
        if index.kind == IndexKind::Global && !missing.is_empty() {
            return Err(Invalid::NotProjected {
                index: name.to_owned(),
                attributes: missing,
            }
            .into());
        }
        let fetch =
            (index.kind == IndexKind::Local && partial && (all_attributes || !missing.is_empty()))
                .then_some((def.id, &def.key_schema));
        Ok((
            Self {
                key_schema: std::borrow::Cow::Borrowed(&index.key_schema),
                key_attrs: index.key_attributes(&def.key_schema),
                index: Some(index),
            },
            fetch,
        ))
    }
}

impl Engine {
    /// Query.
    ///
    /// # Errors
    /// ResourceNotFoundException, ValidationException (e.g. a bad ExclusiveStartKey).
    pub fn query(&self, input: QueryInput) -> Result<QueryOutput> {
        let table = self.table(&input.table_name)?;
        let def = self.visible_def(&table);
        let (source, fetch_from) = Source::new(
            &def,
            input.index_name.as_deref(),
            input.consistent,
            input.all_attributes,
            input.projection.as_deref(),
        )?;
        let schema = &*source.key_schema;
        let kc = &input.key_condition;
        let typed = |values: &[eddy_types::AttributeValue], attrs: &[KeyAttribute]| {
            values.len() <= attrs.len()
                && values
                    .iter()
                    .zip(attrs)
                    .all(|(v, a)| v.attr_type() == a.ty.attr_type())
        };
        if kc.hash_values.len() != schema.hash.len()
            || !typed(&kc.hash_values, &schema.hash)
            || !typed(&kc.sort_prefix, &schema.range)
        {
            return Err(Invalid::KeyConditionType.into());
        }
        let range = kc.range.as_ref();
        let range_attr = schema.range.get(kc.sort_prefix.len());
        if let (Some(r), Some(attr)) = (range, range_attr) {
            for v in range_values(r) {
                if v.attr_type() != attr.ty.attr_type() {
                    return Err(Invalid::KeyConditionType.into());
                }
            }
        }
        let mut prefix = match source.index {
            Some(index) => index_partition_prefix(def.id, index.id, &kc.hash_values),
            None => {
                let pk = kc.hash_values.first().ok_or(Invalid::KeyConditionType)?;
                keys::partition_prefix(def.id, pk)
            }
        };
        for v in &kc.sort_prefix {
            encode_key_value(v, &mut prefix);
        }
        let (mut start, mut end) = range_bounds(&prefix, range);
        if let Some(esk) = &input.exclusive_start_key {
            let k = start_key(&def, &source, esk, false)?;
            let in_partition = schema
                .hash
                .iter()
                .zip(&kc.hash_values)
                .all(|(attr, v)| esk.get(&attr.name) == Some(v));
            if !in_partition {
                return Err(Invalid::StartKeyOutsideQuery.into());
            }
            // A partition of a table without a sort key holds one item: there is nothing after
            // it to start from.
            if source.index.is_none() && schema.range.is_empty() {
                return Err(Invalid::StartKeyWithoutSortKey { key: java_map(esk) }.into());
            }
            let prefix_matches = schema
                .range
                .iter()
                .zip(&kc.sort_prefix)
                .all(|(attr, v)| esk.get(&attr.name) == Some(v));
            if !prefix_matches {
                return Err(Invalid::StartKeyOutsideQuery.into());
            }
            if let (Some(r), Some(attr)) = (range, range_attr) {
                let value = esk.get(&attr.name);
                match r {
                    RangeCondition::Eq(v) if value != Some(v) => {
                        return Err(Invalid::StartKeyOutsideQuery.into());
                    }
                    _ if !value.is_some_and(|v| r.matches(v)) => {
                        return Err(Invalid::StartKeyOutsideRange.into());
                    }
                    _ => {}
                }
            }
            if input.forward {
                start = Bound::Excluded(k);
            } else {
                end = Bound::Excluded(k);
            }
        }
        let page = Page {
            key_attrs: source.key_attrs,
            range_attr,
            filter: input.filter.as_ref(),
            projection: input.projection.as_deref(),
            count_only: input.count_only,
            limit: input.limit.unwrap_or(usize::MAX),
            range,
            fetch_from,
        };
        let dir = if input.forward {
            Direction::Forward
        } else {
            Direction::Reverse
        };
        let out = self.read_page(&page, start, end, dir, input.consistent)?;
        Ok(billed_to(out, source.index))
    }

    /// Scan.
    ///
    /// # Errors
    /// ResourceNotFoundException, ValidationException (e.g. a bad ExclusiveStartKey).
    pub fn scan(&self, input: ScanInput) -> Result<QueryOutput> {
        let table = self.table(&input.table_name)?;
        let def = self.visible_def(&table);
        let (source, fetch_from) = Source::new(
            &def,
            input.index_name.as_deref(),
            input.consistent,
            input.all_attributes,
            input.projection.as_deref(),
        )?;
        let (segment, total) = input.segment.unwrap_or((0, 1));
        let prefix = match source.index {
            Some(index) => index_prefix(def.id, index.id),
            None => keys::table_prefix(def.id),
        };
        let mut start = Bound::Included(keys::segment_start(&prefix, segment, total));
        let end = Bound::Excluded(
            keys::segment_end(&prefix, segment, total).unwrap_or_else(|| keys::prefix_end(&prefix)),
        );
        if let Some(esk) = &input.exclusive_start_key {
            let k = start_key(&def, &source, esk, true)?;
            if input.segment.is_some() && keys::segment_of(&k, prefix.len(), total) != Some(segment)
            {
                return Err(Invalid::StartKeyWrongSegment { total, segment }.into());
            }
            start = Bound::Excluded(k);
        }
        let page = Page {
            key_attrs: source.key_attrs,
            range_attr: None,
            filter: input.filter.as_ref(),
            projection: input.projection.as_deref(),
            count_only: input.count_only,
            limit: input.limit.unwrap_or(usize::MAX),
            range: None,
            fetch_from,
        };
        let out = self.read_page(&page, start, end, Direction::Forward, input.consistent)?;
        Ok(billed_to(out, source.index))
    }

    fn read_page(
        &self,
        page: &Page<'_>,
        start: Bound<Vec<u8>>,
        end: Bound<Vec<u8>>,
        dir: Direction,
        consistent: bool,
    ) -> Result<QueryOutput> {
        let snap = self.storage().snapshot();
        let mut out = QueryOutput::default();
        let mut bytes_read = 0usize;
        let mut matched_range = false;
        let mut last: Option<Item> = None;
        let mut cut_short = false;
        for entry in snap.range(as_ref(&start), as_ref(&end), dir) {
            let (_, value) = entry?;
            let mut item = decode_item(&value).map_err(|e| EngineError::Corrupt(e.to_string()))?;
            if let (Some(range), Some(attr)) = (page.range, page.range_attr) {
                // Matches of a key condition are contiguous in key order: skip until the first,
                // stop after the last.
                let in_range = item.get(&attr.name).is_some_and(|v| range.matches(v));
                if !in_range {
                    if matched_range || dir == Direction::Forward {
                        break;
                    }
                    continue;
                }
                matched_range = true;
            }
            if let Some((table_id, table_schema)) = page.fetch_from {
                let key = key_attributes(&table_schema_attrs(table_schema), &item);
                let skey = keys::item_key(table_id, table_schema, &key)?;
                match snap.get(&skey)? {
                    Some(bytes) => {
                        item =
                            decode_item(&bytes).map_err(|e| EngineError::Corrupt(e.to_string()))?;
                    }
                    None => continue,
                }
            }
            out.scanned_count += 1;
            bytes_read += item_size(&item);
            if page.filter.is_none_or(|f| f.evaluate(&item)) {
                out.count += 1;
                if !page.count_only {
                    out.items.push(match page.projection {
                        Some(paths) => project(&item, paths),
                        None => item.clone(),
                    });
                }
            }
            last = Some(item);
            // DynamoDB reports LastEvaluatedKey whenever Limit or the page size stopped the
            // read, even when nothing follows.
            if out.scanned_count >= page.limit || bytes_read >= PAGE_BYTES {
                cut_short = true;
                break;
            }
        }
        if cut_short {
            out.last_evaluated_key = last.map(|item| key_attributes(&page.key_attrs, &item));
        }
        out.consumed = Consumed::read(bytes_read, consistent);
        Ok(out)
    }
}

/// A page's read units, billed to the index it read, if any.
fn billed_to(mut out: QueryOutput, index: Option<&IndexDef>) -> QueryOutput {
    if let Some(index) = index {
        out.consumed = std::mem::take(&mut out.consumed)
            .on_index(&index.name, index.kind == IndexKind::Global);
    }
    out
}

fn as_ref(b: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match b {
        Bound::Included(v) => Bound::Included(v.as_slice()),
        Bound::Excluded(v) => Bound::Excluded(v.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

fn range_values(r: &RangeCondition) -> Vec<&eddy_types::AttributeValue> {
    match r {
        RangeCondition::Eq(v)
        | RangeCondition::Lt(v)
        | RangeCondition::Le(v)
        | RangeCondition::Gt(v)
        | RangeCondition::Ge(v)
        | RangeCondition::BeginsWith(v) => vec![v],
        RangeCondition::Between(a, b) => vec![a, b],
    }
}

/// Storage bounds of a partition narrowed by a sort-key condition. Index entries carry the table
/// key after the sort key, so "all keys with sort key v" is the prefix range of `p | enc(v)`.
/// begins_with starts at its prefix and ends where matches end (the read loop stops there).
fn range_bounds(prefix: &[u8], range: Option<&RangeCondition>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let with = |v: &eddy_types::AttributeValue| {
        let mut k = prefix.to_vec();
        encode_key_value(v, &mut k);
        k
    };
    let past = |v: &eddy_types::AttributeValue| Bound::Excluded(keys::prefix_end(&with(v)));
    let lo = Bound::Included(prefix.to_vec());
    let hi = Bound::Excluded(keys::prefix_end(prefix));
    match range {
        None => (lo, hi),
        Some(RangeCondition::Eq(v)) => (Bound::Included(with(v)), past(v)),
        Some(RangeCondition::Lt(v)) => (lo, Bound::Excluded(with(v))),
        Some(RangeCondition::Le(v)) => (lo, past(v)),
        Some(RangeCondition::Gt(v)) => (past(v), hi),
        Some(RangeCondition::Ge(v)) | Some(RangeCondition::BeginsWith(v)) => {
            (Bound::Included(with(v)), hi)
        }
        Some(RangeCondition::Between(a, b)) => (Bound::Included(with(a)), past(b)),
    }
}

/// The storage key an ExclusiveStartKey points at, checked against the source's key.
fn start_key(def: &TableDef, source: &Source<'_>, esk: &Item, scan: bool) -> Result<Vec<u8>> {
    let invalid = |reason: Option<Invalid>| -> EngineError {
        Invalid::StartKey {
            reason: reason.map(Box::new),
        }
        .into()
    };
    // The right attributes with a value of the wrong type: DynamoDB's plain schema mismatch
    // (but for a Scan of the table, which says the starting key is invalid first).
    let names_match = esk.len() == source.key_attrs.len()
        && source.key_attrs.iter().all(|a| esk.contains_key(&a.name));
    let types_match = source.key_attrs.iter().all(|a| {
        esk.get(&a.name)
            .is_some_and(|v| v.attr_type() == a.ty.attr_type())
    });
    if names_match && !types_match && !(scan && source.index.is_none()) {
        return Err(Invalid::KeyMismatch.into());
    }
    match source.index {
        None => {
            def.key_schema.check_key(esk).map_err(|e| match e {
                EngineError::Invalid(Invalid::KeyMismatch) => {
                    invalid(scan.then_some(Invalid::KeyMismatch))
                }
                EngineError::Invalid(reason) => invalid(Some(reason)),
                other => other,
            })?;
            keys::item_key(def.id, &def.key_schema, esk)
        }
        Some(index) => {
            if esk.len() != source.key_attrs.len() {
                return Err(invalid(None));
            }
            for attr in &source.key_attrs {
                match esk.get(&attr.name) {
                    Some(v) if v.attr_type() == attr.ty.attr_type() => {}
                    _ => return Err(invalid(None)),
                }
            }
            keys::index_entry_key(index, def.id, &def.key_schema, esk).ok_or_else(|| invalid(None))
        }
    }
}

/// A key as DynamoDB's messages print it (Java's map of AttributeValue):
/// `{p=AttributeValue: {S:x}}`.
fn java_map(key: &Item) -> String {
    let entries: Vec<String> = key
        .iter()
        .map(|(name, v)| {
            let value = match v {
                eddy_types::AttributeValue::S(s) => format!("S:{s}"),
                eddy_types::AttributeValue::N(n) => format!("N:{n}"),
                other => {
                    let mut json = Vec::new();
                    eddy_types::write_value_json(other, &mut json);
                    String::from_utf8_lossy(&json).into_owned()
                }
            };
            format!("{name}=AttributeValue: {{{value}}}")
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}

fn table_schema_attrs(schema: &KeySchema) -> Vec<&KeyAttribute> {
    std::iter::once(&schema.hash)
        .chain(schema.range.as_ref())
        .collect()
}

/// The key attributes of an item, for LastEvaluatedKey.
fn key_attributes(attrs: &[&KeyAttribute], item: &Item) -> Item {
    let mut key = Item::new();
    for attr in attrs {
        if let Some(v) = item.get(&attr.name) {
            key.insert(attr.name.clone(), v.clone());
        }
    }
    key
}
