//! [`Conditions`]: the request context a policy is evaluated against — a multi-valued map from
//! condition key (`aws:username`, `s3:prefix`, `jwt:sub`, …) to values. Key names compare
//! case-insensitively, as AWS treats them; the part after a `/` (a tag key in
//! `s3:ExistingObjectTag/<tag>`) keeps its case. The same map supplies `${…}` policy variables.

use std::borrow::Cow;
use std::collections::HashMap;

/// The multi-valued condition-key map of one request.
///
/// A key with no values is the same as an absent key. Keys are stored in a normalised form
/// (lower-case up to the first `/`), so `aws:SourceIp` and `aws:sourceip` are one key. A
/// request carries a dozen keys or so, built for every request: a small vector searched
/// linearly costs less than hashing them.
#[derive(Debug, Clone, Default)]
pub struct Conditions {
    values: Vec<(Cow<'static, str>, Values)>,
}

/// The values of one key: most keys of a request have exactly one, kept without a vector.
#[derive(Debug, Clone)]
enum Values {
    One(String),
    Many(Vec<String>),
}

impl Values {
    fn as_slice(&self) -> &[String] {
        match self {
            Values::One(v) => std::slice::from_ref(v),
            Values::Many(v) => v,
        }
    }

    fn push(&mut self, value: String) {
        match self {
            Values::One(first) => *self = Values::Many(vec![std::mem::take(first), value]),
            Values::Many(v) => v.push(value),
        }
    }

    fn into_vec(self) -> Vec<String> {
        match self {
            Values::One(v) => vec![v],
            Values::Many(v) => v,
        }
    }
}

impl PartialEq for Conditions {
    fn eq(&self, other: &Self) -> bool {
        self.values.len() == other.values.len()
            && self.values.iter().all(|(k, v)| {
                other
                    .values
                    .iter()
                    .any(|(ok, ov)| ok == k && ov.as_slice() == v.as_slice())
            })
    }
}

impl Eq for Conditions {}

impl Conditions {
    /// An empty context.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `values`, replacing what it had.
    pub fn insert<I, V>(&mut self, key: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        let values = Values::Many(values.into_iter().map(Into::into).collect());
        let key = normalize_key(key);
        match self.values.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = values,
            None => self.values.push((Cow::Owned(key.into_owned()), values)),
        }
        self
    }

    /// Sets a key that is already in normalised form (lower case up to any `/`) and known at
    /// compile time to one value: the per-request path, which then allocates only the value.
    pub fn insert_static(&mut self, key: &'static str, value: impl Into<String>) -> &mut Self {
        debug_assert_eq!(
            normalize_key(key),
            key,
            "insert_static takes normalised keys"
        );
        let value = Values::One(value.into());
        match self.values.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.values.push((Cow::Borrowed(key), value)),
        }
        self
    }

    /// Builder form of [`Conditions::insert`].
    #[must_use]
    pub fn with<I, V>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.insert(key, values);
        self
    }

    /// Appends one value to `key`.
    pub fn push(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        let key = normalize_key(key);
        match self.values.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1.push(value.into()),
            None => self
                .values
                .push((Cow::Owned(key.into_owned()), Values::One(value.into()))),
        }
        self
    }

    /// Removes `key`, returning its values.
    pub fn remove(&mut self, key: &str) -> Option<Vec<String>> {
        let key = normalize_key(key);
        let index = self.values.iter().position(|(k, _)| *k == key)?;
        Some(self.values.swap_remove(index).1.into_vec())
    }

    /// The values of `key`, or `None` when it is absent or has no values.
    pub fn get(&self, key: &str) -> Option<&[String]> {
        self.get_normalized(normalize_key(key).as_ref())
    }

    /// Lookup with an already normalised key (the evaluation path; no allocation).
    pub(crate) fn get_normalized(&self, key: &str) -> Option<&[String]> {
        match self.values.iter().find(|(k, _)| k == key) {
            Some((_, values)) if !values.as_slice().is_empty() => Some(values.as_slice()),
            _ => None,
        }
    }

    /// How many keys are set (including keys set to no values).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no key is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The keys (normalised) and their values, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[String])> {
        self.values.iter().map(|(k, v)| (k.as_ref(), v.as_slice()))
    }
}

impl From<HashMap<String, Vec<String>>> for Conditions {
    fn from(map: HashMap<String, Vec<String>>) -> Self {
        let mut conditions = Conditions::new();
        for (key, values) in map {
            for value in values {
                conditions.push(&key, value);
            }
        }
        conditions
    }
}

impl<K: AsRef<str>, V: Into<String>> FromIterator<(K, V)> for Conditions {
    /// Collects `(key, value)` pairs; repeated keys accumulate values.
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut conditions = Conditions::new();
        for (key, value) in iter {
            conditions.push(key.as_ref(), value);
        }
        conditions
    }
}

/// Lower-cases a condition key's name, keeping any `/suffix` (a tag key) as it is.
pub(crate) fn normalize_key(key: &str) -> Cow<'_, str> {
    let name_end = key.find('/').unwrap_or(key.len());
    if key[..name_end].bytes().any(|b| b.is_ascii_uppercase()) {
        let mut normalized = key[..name_end].to_ascii_lowercase();
        normalized.push_str(&key[name_end..]);
        Cow::Owned(normalized)
    } else {
        Cow::Borrowed(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_case_insensitive_but_tag_suffixes_are_not() {
        let c = Conditions::new()
            .with("aws:SourceIp", ["10.0.0.1"])
            .with("s3:ExistingObjectTag/Project", ["x"]);
        assert_eq!(c.get("AWS:SOURCEIP"), Some(&["10.0.0.1".to_owned()][..]));
        assert!(c.get("s3:existingobjecttag/Project").is_some());
        assert!(c.get("s3:ExistingObjectTag/project").is_none());
    }

    #[test]
    fn empty_values_are_absent() {
        let c = Conditions::new().with("aws:username", Vec::<String>::new());
        assert_eq!(c.get("aws:username"), None);
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn push_and_collect_accumulate() {
        let c: Conditions = [("aws:groups", "a"), ("AWS:groups", "b")]
            .into_iter()
            .collect();
        assert_eq!(c.get("aws:groups").map(<[String]>::len), Some(2));
        let mut map = HashMap::new();
        map.insert("S3:Prefix".to_owned(), vec!["p/".to_owned()]);
        let c = Conditions::from(map);
        assert!(c.get("s3:prefix").is_some());
    }
}
