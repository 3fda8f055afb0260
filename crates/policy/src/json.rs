//! JSON in and out: a document tree that keeps every object member in order (so duplicate
//! fields can be reported instead of silently overwritten), field lookup with MinIO's
//! case-insensitive field names, and the writer of canonical (normalised) JSON, which escapes
//! strings as Go's `encoding/json` does so sizes match MinIO's.

use std::fmt::{self, Write as _};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::{Location, PolicyError, closest};

/// A parsed JSON value. Objects keep their members in document order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Parses text as one JSON value (trailing characters are an error).
    pub(crate) fn parse(text: &str) -> Result<Json, PolicyError> {
        serde_json::from_str(text).map_err(|e| PolicyError::MalformedJson {
            reason: e.to_string(),
        })
    }

    /// The name of this value's JSON type, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    pub(crate) fn as_object(&self, at: &Location) -> Result<&[(String, Json)], PolicyError> {
        match self {
            Json::Object(members) => Ok(members),
            other => Err(wrong_type(at, "an object", other)),
        }
    }

    pub(crate) fn as_str(&self, at: &Location) -> Result<&str, PolicyError> {
        match self {
            Json::String(s) => Ok(s),
            other => Err(wrong_type(at, "a string", other)),
        }
    }

    /// A string, or an array of strings (the usual shape of `Action`, `Resource`, …).
    pub(crate) fn as_string_list(&self, at: &Location) -> Result<Vec<&str>, PolicyError> {
        match self {
            Json::String(s) => Ok(vec![s.as_str()]),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| item.as_str(&at.child(&i.to_string())))
                .collect(),
            other => Err(wrong_type(at, "a string or an array of strings", other)),
        }
    }
}

pub(crate) fn wrong_type(at: &Location, expected: &'static str, found: &Json) -> PolicyError {
    PolicyError::WrongType {
        at: at.clone(),
        expected,
        found: found.type_name(),
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("number is not finite"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut members = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            members.push((key, value));
        }
        Ok(Json::Object(members))
    }
}

/// Looks up the members of a JSON object against a fixed list of field names, the way Go's
/// `encoding/json` does for MinIO (ASCII case-insensitively), but stricter: an unknown field or
/// the same field twice is an error.
pub(crate) fn collect_fields<'j, const N: usize>(
    members: &'j [(String, Json)],
    known: [&'static str; N],
    at: &Location,
) -> Result<[Option<&'j Json>; N], PolicyError> {
    let mut found: [Option<&'j Json>; N] = [None; N];
    for (name, value) in members {
        let Some(slot) = known.iter().position(|k| k.eq_ignore_ascii_case(name)) else {
            return Err(PolicyError::UnknownField {
                at: at.clone(),
                field: crate::error::excerpt(name),
                suggestion: closest(name, known),
            });
        };
        if found[slot].is_some() {
            return Err(PolicyError::DuplicateField {
                at: at.clone(),
                field: crate::error::excerpt(name),
            });
        }
        found[slot] = Some(value);
    }
    Ok(found)
}

/// Appends `s` as a JSON string literal, escaped exactly as Go's `json.Marshal` escapes it
/// (including `<`, `>`, `&`, U+2028 and U+2029), so canonical sizes match MinIO's.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends a JSON scalar (string, number or boolean) in canonical form.
pub(crate) fn write_scalar(out: &mut String, value: &Json) {
    match value {
        Json::String(s) => write_string(out, s),
        Json::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Null => out.push_str("null"),
        // Containers never reach the canonical writer as scalars; render them faithfully anyway.
        Json::Array(_) | Json::Object(_) => out.push_str("null"),
    }
}

/// Appends `["a","b",…]`.
pub(crate) fn write_string_array<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, item);
    }
    out.push(']');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_duplicates_in_order() {
        let json = Json::parse(r#"{"a":1,"a":2,"b":[true,null,"x"]}"#).unwrap();
        let Json::Object(members) = json else {
            panic!("not an object")
        };
        assert_eq!(members.len(), 3);
        assert_eq!(members[0].0, "a");
        assert_eq!(members[1].1, Json::Number(2.into()));
    }

    #[test]
    fn malformed_json_is_an_error() {
        for bad in ["", "{", "{\"a\":}", "[1,]", "{} {}", "nul"] {
            assert!(
                matches!(Json::parse(bad), Err(PolicyError::MalformedJson { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn fields_are_case_insensitive_unique_and_known() {
        let at = Location::document("");
        let json = Json::parse(r#"{"version":"x","STATEMENT":[]}"#).unwrap();
        let members = json.as_object(&at).unwrap();
        let [version, statement, id] =
            collect_fields(members, ["Version", "Statement", "Id"], &at).unwrap();
        assert!(version.is_some() && statement.is_some() && id.is_none());

        let json = Json::parse(r#"{"Version":"x","version":"y"}"#).unwrap();
        let err = collect_fields(json.as_object(&at).unwrap(), ["Version"], &at).unwrap_err();
        assert!(matches!(err, PolicyError::DuplicateField { .. }));

        let json = Json::parse(r#"{"Statment":[]}"#).unwrap();
        let err = collect_fields(json.as_object(&at).unwrap(), ["Statement"], &at).unwrap_err();
        assert_eq!(
            err.to_string(),
            "policy document: unknown field `Statment` (did you mean `Statement`?)"
        );
    }

    #[test]
    fn strings_are_escaped_like_go() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c<d>&\n\u{1}\u{2028}é");
        assert_eq!(out, r#""a\"b\\c\u003cd\u003e\u0026\n\u0001\u2028é""#);
    }
}
