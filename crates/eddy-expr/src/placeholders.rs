//! ExpressionAttributeNames and ExpressionAttributeValues of one request, shared by all its
//! expressions, recording which entries the expressions used so the unused ones can be
//! rejected once every expression is parsed.

use std::collections::{HashMap, HashSet};

use eddy_types::AttributeValue;

use crate::error::ExprError;

/// The `#name` and `:value` substitutions of one request.
///
/// Parse every expression of the request with the same `Placeholders`, then call
/// [`Placeholders::check_all_used`].
#[derive(Debug)]
pub struct Placeholders<'a> {
    names: Option<&'a HashMap<String, String>>,
    values: Option<&'a HashMap<String, AttributeValue>>,
    used_names: HashSet<&'a str>,
    used_values: HashSet<&'a str>,
}

impl<'a> Placeholders<'a> {
    /// Wraps the request's maps (either may be absent).
    pub fn new(
        names: Option<&'a HashMap<String, String>>,
        values: Option<&'a HashMap<String, AttributeValue>>,
    ) -> Self {
        Placeholders {
            names,
            values,
            used_names: HashSet::new(),
            used_values: HashSet::new(),
        }
    }

    /// The attribute name behind `#key`, marking the entry used.
    pub(crate) fn name(&mut self, key: &str) -> Option<&'a str> {
        let (k, v) = self.names?.get_key_value(key)?;
        self.used_names.insert(k);
        Some(v)
    }

    /// The value behind `:key`, marking the entry used.
    pub(crate) fn value(&mut self, key: &str) -> Option<&'a AttributeValue> {
        let (k, v) = self.values?.get_key_value(key)?;
        self.used_values.insert(k);
        Some(v)
    }

    /// Checks that the expressions used every entry. Names are checked before values; the keys
    /// are listed sorted (DynamoDB's order is its hash order, which clients cannot rely on).
    ///
    /// # Errors
    ///
    /// `Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}`, or
    /// the same for ExpressionAttributeValues.
    pub fn check_all_used(&self) -> Result<(), ExprError> {
        let unused = |keys: Option<Vec<&String>>, used: &HashSet<&str>| {
            let mut out: Vec<String> = keys
                .unwrap_or_default()
                .into_iter()
                .filter(|k| !used.contains(k.as_str()))
                .cloned()
                .collect();
            out.sort();
            out
        };
        let names = unused(self.names.map(|m| m.keys().collect()), &self.used_names);
        if !names.is_empty() {
            return Err(ExprError::UnusedNames(names));
        }
        let values = unused(self.values.map(|m| m.keys().collect()), &self.used_values);
        if !values.is_empty() {
            return Err(ExprError::UnusedValues(values));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_use_and_reports_the_rest() {
        let names = HashMap::from([
            ("#b".to_owned(), "b".to_owned()),
            ("#a".to_owned(), "a".to_owned()),
        ]);
        let values = HashMap::from([(":v".to_owned(), AttributeValue::Null)]);
        let mut ph = Placeholders::new(Some(&names), Some(&values));
        assert_eq!(
            ph.check_all_used().expect_err("unused").to_string(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
        );
        assert_eq!(ph.name("#a"), Some("a"));
        assert_eq!(ph.name("#c"), None);
        assert_eq!(ph.name("#b"), Some("b"));
        assert_eq!(
            ph.check_all_used().expect_err("unused").to_string(),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"
        );
        assert_eq!(ph.value(":v"), Some(&AttributeValue::Null));
        assert!(ph.check_all_used().is_ok());
        let mut none = Placeholders::new(None, None);
        assert_eq!(none.value(":v"), None);
        assert!(none.check_all_used().is_ok());
    }
}
