//! The `Condition` block: operators (`String…`, `Numeric…`, `Date…`, `Bool`, `IpAddress`,
//! `NotIpAddress`, `Null`, `Arn…`, `BinaryEquals`), the `…IfExists` suffix, the
//! `ForAnyValue:` / `ForAllValues:` set qualifiers, value validation, and evaluation against a
//! request's [`crate::Conditions`].
//!
//! Semantics (AWS's, which MinIO follows for the single-valued cases):
//! * a clause without qualifier holds if some request value matches some policy value; a
//!   negated operator (`…Not…`, `NotIpAddress`) holds if none does;
//! * `ForAnyValue:` holds if at least one request value satisfies the operator, `ForAllValues:`
//!   if every request value does (negated operators negate per value);
//! * an absent key: `…IfExists` holds; `ForAllValues:` holds; `ForAnyValue:` does not; a plain
//!   operator holds only if negated; `Null` tests presence itself.
//! * `String…` and `Arn…` policy values may use `${…}` variables (see [`crate::pattern`]).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine as _;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Location, PolicyError, closest, excerpt};
use crate::json::{Json, write_string, wrong_type};
use crate::keys::{self, ConditionKey};
use crate::pattern::{Case, Pattern, Syntax, VariableScope};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    String,
    StringIgnoreCase,
    StringLike,
    Numeric,
    Date,
    Bool,
    Ip,
    Null,
    Arn,
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Equal,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

impl Comparison {
    fn holds(self, ordering: Ordering) -> bool {
        match self {
            Comparison::Equal => ordering == Ordering::Equal,
            Comparison::Less => ordering == Ordering::Less,
            Comparison::LessOrEqual => ordering != Ordering::Greater,
            Comparison::Greater => ordering == Ordering::Greater,
            Comparison::GreaterOrEqual => ordering != Ordering::Less,
        }
    }
}

#[derive(Debug)]
struct OperatorSpec {
    name: &'static str,
    family: Family,
    negated: bool,
    comparison: Comparison,
}

const fn op(
    name: &'static str,
    family: Family,
    negated: bool,
    comparison: Comparison,
) -> OperatorSpec {
    OperatorSpec {
        name,
        family,
        negated,
        comparison,
    }
}

use Comparison::{Equal, Greater, GreaterOrEqual, Less, LessOrEqual};

static OPERATORS: &[OperatorSpec] = &[
    op("StringEquals", Family::String, false, Equal),
    op("StringNotEquals", Family::String, true, Equal),
    op(
        "StringEqualsIgnoreCase",
        Family::StringIgnoreCase,
        false,
        Equal,
    ),
    op(
        "StringNotEqualsIgnoreCase",
        Family::StringIgnoreCase,
        true,
        Equal,
    ),
    op("StringLike", Family::StringLike, false, Equal),
    op("StringNotLike", Family::StringLike, true, Equal),
    op("NumericEquals", Family::Numeric, false, Equal),
    op("NumericNotEquals", Family::Numeric, true, Equal),
    op("NumericLessThan", Family::Numeric, false, Less),
    op("NumericLessThanEquals", Family::Numeric, false, LessOrEqual),
    op("NumericGreaterThan", Family::Numeric, false, Greater),
    op(
        "NumericGreaterThanEquals",
        Family::Numeric,
        false,
        GreaterOrEqual,
    ),
    op("DateEquals", Family::Date, false, Equal),
    op("DateNotEquals", Family::Date, true, Equal),
    op("DateLessThan", Family::Date, false, Less),
    op("DateLessThanEquals", Family::Date, false, LessOrEqual),
    op("DateGreaterThan", Family::Date, false, Greater),
    op("DateGreaterThanEquals", Family::Date, false, GreaterOrEqual),
    op("Bool", Family::Bool, false, Equal),
    op("IpAddress", Family::Ip, false, Equal),
    op("NotIpAddress", Family::Ip, true, Equal),
    op("Null", Family::Null, false, Equal),
    op("ArnEquals", Family::Arn, false, Equal),
    op("ArnNotEquals", Family::Arn, true, Equal),
    op("ArnLike", Family::Arn, false, Equal),
    op("ArnNotLike", Family::Arn, true, Equal),
    op("BinaryEquals", Family::Binary, false, Equal),
];

const IF_EXISTS: &str = "IfExists";

/// Every condition operator name, without qualifier or `IfExists`.
pub fn condition_operators() -> impl Iterator<Item = &'static str> {
    OPERATORS.iter().map(|o| o.name)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Qualifier {
    ForAnyValue,
    ForAllValues,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    Integer(i64),
    Decimal(f64),
}

impl Number {
    fn parse(text: &str) -> Option<Number> {
        if let Ok(i) = text.parse::<i64>() {
            return Some(Number::Integer(i));
        }
        let looks_numeric = text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
        text.parse::<f64>()
            .ok()
            .filter(|f| looks_numeric && f.is_finite())
            .map(Number::Decimal)
    }

    fn compare(self, other: Number) -> Option<Ordering> {
        match (self, other) {
            (Number::Integer(a), Number::Integer(b)) => Some(a.cmp(&b)),
            (a, b) => a.as_f64().partial_cmp(&b.as_f64()),
        }
    }

    fn as_f64(self) -> f64 {
        match self {
            // Precision loss above 2^53 is acceptable for mixed integer/decimal comparisons.
            Number::Integer(i) => i as f64,
            Number::Decimal(f) => f,
        }
    }
}

fn parse_date(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        let seconds = text.parse::<i64>().ok()?;
        OffsetDateTime::from_unix_timestamp(seconds).ok()
    })
}

fn parse_bool(text: &str) -> Option<bool> {
    // Go's strconv.ParseBool, which MinIO uses.
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Network {
    address: IpAddr,
    prefix: u8,
}

impl Network {
    /// Parses `a.b.c.d/n`, `x::y/n`, or a bare address (a /32 or /128); host bits are cleared.
    fn parse(text: &str) -> Option<Network> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => {
                if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (
                    address.parse::<IpAddr>().ok()?,
                    Some(prefix.parse::<u8>().ok()?),
                )
            }
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let width = if address.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(width);
        if prefix > width {
            return None;
        }
        Some(Network {
            address: mask(address, prefix),
            prefix,
        })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.address, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => return false,
            },
            (IpAddr::V6(_), IpAddr::V4(v4)) => IpAddr::V6(v4.to_ipv6_mapped()),
            (_, ip) => ip,
        };
        mask(ip, self.prefix) == self.address
    }
}

impl std::fmt::Display for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix)
    }
}

fn mask(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((bits & mask).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((bits & mask).into())
        }
    }
}

/// A string operand, with its lower-case form precomputed when it has no variables.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TextOperand {
    pattern: Pattern,
    lowercase: Option<String>,
}

/// An `Arn…` operand: the whole pattern (for substitutions) and its six components.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ArnOperand {
    whole: Pattern,
    components: Vec<Pattern>,
}

#[derive(Debug, Clone, PartialEq)]
enum Operands {
    Text(Vec<TextOperand>),
    Numbers(Vec<Number>),
    Dates(Vec<OffsetDateTime>),
    Flag(bool),
    Networks(Vec<Network>),
    Arns(Vec<ArnOperand>),
    Bytes(Vec<Vec<u8>>),
}

/// One operator applied to one key.
#[derive(Debug, Clone)]
pub(crate) struct ConditionClause {
    /// The operator as written (`ForAnyValue:StringLikeIfExists`).
    operator: String,
    spec: &'static OperatorSpec,
    qualifier: Option<Qualifier>,
    if_exists: bool,
    key: ConditionKey,
    operands: Operands,
    /// Each value as canonical JSON, sorted: the serialised form and the identity of the clause.
    canonical_values: Vec<String>,
}

impl PartialEq for ConditionClause {
    fn eq(&self, other: &Self) -> bool {
        self.operator == other.operator
            && self.key.lookup == other.key.lookup
            && self.canonical_values == other.canonical_values
    }
}

impl ConditionClause {
    /// Adds the normalised keys this clause reads: its own and its operands' `${…}` variables.
    pub(crate) fn collect_keys(&self, out: &mut Vec<Box<str>>) {
        out.push(self.key.lookup.as_str().into());
        let patterns: Vec<&Pattern> = match &self.operands {
            Operands::Text(operands) => operands.iter().map(|o| &o.pattern).collect(),
            Operands::Arns(operands) => operands.iter().map(|o| &o.whole).collect(),
            _ => Vec::new(),
        };
        for pattern in patterns {
            out.extend(pattern.variable_keys().iter().cloned());
        }
    }

    /// The key this clause tests.
    pub(crate) fn key(&self) -> &ConditionKey {
        &self.key
    }

    /// The operator as written, for sorting and messages.
    pub(crate) fn operator(&self) -> &str {
        &self.operator
    }

    /// Evaluates the clause against the request's condition values.
    pub(crate) fn evaluate(&self, scope: &VariableScope<'_>) -> bool {
        let values = scope.conditions.get_normalized(&self.key.lookup);
        if let Operands::Flag(expect_absent) = self.operands
            && self.spec.family == Family::Null
        {
            return values.is_none() == expect_absent;
        }
        let negated = self.spec.negated;
        let Some(values) = values else {
            return self.if_exists
                || match self.qualifier {
                    Some(Qualifier::ForAllValues) => true,
                    Some(Qualifier::ForAnyValue) => false,
                    None => negated,
                };
        };
        match self.qualifier {
            Some(Qualifier::ForAnyValue) => {
                values.iter().any(|v| self.matches(v, scope) != negated)
            }
            Some(Qualifier::ForAllValues) => {
                values.iter().all(|v| self.matches(v, scope) != negated)
            }
            None => values.iter().any(|v| self.matches(v, scope)) != negated,
        }
    }

    /// The positive form of the operator for one request value: does it match some operand?
    fn matches(&self, value: &str, scope: &VariableScope<'_>) -> bool {
        let comparison = self.spec.comparison;
        match &self.operands {
            Operands::Text(operands) => match self.spec.family {
                Family::StringIgnoreCase => {
                    operands.iter().any(|operand| match &operand.lowercase {
                        Some(lower) => value.chars().flat_map(char::to_lowercase).eq(lower.chars()),
                        None => operand.pattern.any_expansion(scope, |choices| {
                            operand.pattern.render(choices).to_lowercase() == value.to_lowercase()
                        }),
                    })
                }
                _ => operands
                    .iter()
                    .any(|operand| operand.pattern.matches(value, scope, Case::Sensitive)),
            },
            Operands::Numbers(numbers) => Number::parse(value).is_some_and(|v| {
                numbers
                    .iter()
                    .any(|n| v.compare(*n).is_some_and(|o| comparison.holds(o)))
            }),
            Operands::Dates(dates) => {
                parse_date(value).is_some_and(|v| dates.iter().any(|d| comparison.holds(v.cmp(d))))
            }
            Operands::Flag(expected) => {
                parse_bool(value)
                    .or_else(|| value.eq_ignore_ascii_case("true").then_some(true))
                    .or_else(|| value.eq_ignore_ascii_case("false").then_some(false))
                    == Some(*expected)
            }
            Operands::Networks(networks) => value
                .parse::<IpAddr>()
                .is_ok_and(|ip| networks.iter().any(|n| n.contains(ip))),
            Operands::Arns(arns) => {
                let components: Vec<&str> = value.splitn(6, ':').collect();
                components.len() == 6
                    && arns.iter().any(|arn| {
                        arn.whole.any_expansion(scope, |choices| {
                            arn.components
                                .iter()
                                .zip(&components)
                                .all(|(pattern, component)| {
                                    pattern.matches_with(choices, component)
                                })
                        })
                    })
            }
            Operands::Bytes(operands) => operands.iter().any(|bytes| bytes == value.as_bytes()),
        }
    }
}

/// Parses a `Condition` object. `at` is the location of the `Condition` field.
pub(crate) fn parse_conditions(
    json: &Json,
    at: &Location,
) -> Result<Vec<ConditionClause>, PolicyError> {
    let operators = json.as_object(at)?;
    if operators.is_empty() {
        return Err(PolicyError::EmptyField { at: at.clone() });
    }
    let mut clauses: Vec<ConditionClause> = Vec::new();
    for (index, (operator, keys)) in operators.iter().enumerate() {
        let op_at = at.child(operator);
        if operators[..index].iter().any(|(seen, _)| seen == operator) {
            return Err(PolicyError::DuplicateField {
                at: at.clone(),
                field: excerpt(operator),
            });
        }
        let (spec, qualifier, if_exists) = parse_operator(operator, at)?;
        let keys = keys.as_object(&op_at)?;
        let first_clause = clauses.len();
        for (key_text, values) in keys {
            let key_at = op_at.child(key_text);
            let key =
                ConditionKey::parse(key_text).ok_or_else(|| PolicyError::UnknownConditionKey {
                    at: op_at.clone(),
                    key: excerpt(key_text),
                })?;
            if clauses[first_clause..]
                .iter()
                .any(|c| c.key.lookup == key.lookup)
            {
                return Err(PolicyError::DuplicateField {
                    at: op_at.clone(),
                    field: excerpt(key_text),
                });
            }
            clauses.push(parse_clause(
                operator, spec, qualifier, if_exists, key, values, &key_at,
            )?);
        }
    }
    Ok(clauses)
}

fn parse_operator(
    operator: &str,
    at: &Location,
) -> Result<(&'static OperatorSpec, Option<Qualifier>, bool), PolicyError> {
    let unknown = || PolicyError::UnknownConditionOperator {
        at: at.clone(),
        operator: excerpt(operator),
        suggestion: closest(
            operator.rsplit(':').next().unwrap_or(operator),
            OPERATORS.iter().map(|o| o.name),
        ),
    };
    let (qualifier, name) = match operator.split_once(':') {
        None => (None, operator),
        Some((qualifier, name)) => {
            if name.contains(':') {
                return Err(unknown());
            }
            let qualifier = match qualifier {
                "ForAnyValue" => Qualifier::ForAnyValue,
                "ForAllValues" => Qualifier::ForAllValues,
                _ => {
                    return Err(PolicyError::UnknownConditionQualifier {
                        at: at.clone(),
                        qualifier: excerpt(qualifier),
                    });
                }
            };
            (Some(qualifier), name)
        }
    };
    let (base, if_exists) = match name.strip_suffix(IF_EXISTS) {
        Some(base) => (base, true),
        None => (name, false),
    };
    let spec = OPERATORS
        .iter()
        .find(|o| o.name == base)
        .ok_or_else(unknown)?;
    if if_exists && spec.family == Family::Null {
        return Err(unknown());
    }
    Ok((spec, qualifier, if_exists))
}

fn parse_clause(
    operator: &str,
    spec: &'static OperatorSpec,
    qualifier: Option<Qualifier>,
    if_exists: bool,
    key: ConditionKey,
    values: &Json,
    at: &Location,
) -> Result<ConditionClause, PolicyError> {
    let values: Vec<&Json> = match values {
        Json::Array(items) => items.iter().collect(),
        Json::Object(_) | Json::Null => {
            return Err(wrong_type(at, "a value or an array of values", values));
        }
        scalar => vec![scalar],
    };
    if values.is_empty() {
        return Err(PolicyError::EmptyField { at: at.clone() });
    }
    for (i, value) in values.iter().enumerate() {
        if matches!(value, Json::Array(_) | Json::Object(_) | Json::Null) {
            return Err(wrong_type(
                &at.child(&i.to_string()),
                "a string, number or boolean",
                value,
            ));
        }
        if values[..i].contains(value) {
            return Err(invalid(
                at,
                format!("value {} appears more than once", scalar_text(value)),
            ));
        }
    }
    let restricted_key = |only: &str, name: &str| -> Result<(), PolicyError> {
        if key.lookup == only {
            Ok(())
        } else {
            Err(PolicyError::UnsupportedConditionKey {
                at: at.clone(),
                key: key.display.clone(),
                with: format!("the `{name}` operator (MinIO accepts only `{only}` there)"),
            })
        }
    };
    let strings = || -> Result<Vec<&str>, PolicyError> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| v.as_str(&at.child(&i.to_string())))
            .collect()
    };
    let single = || -> Result<&Json, PolicyError> {
        match values.as_slice() {
            [one] => Ok(*one),
            _ => Err(invalid(at, format!("`{operator}` takes exactly one value"))),
        }
    };
    let flag = |value: &Json| -> Result<bool, PolicyError> {
        match value {
            Json::Bool(b) => Ok(*b),
            Json::String(s) => parse_bool(s).ok_or_else(|| {
                invalid(
                    at,
                    format!("`{operator}` needs `true` or `false`, not {s:?}"),
                )
            }),
            other => Err(wrong_type(at, "a boolean", other)),
        }
    };
    let mut canonical_values: Vec<String> = values.iter().map(|v| scalar_text(v)).collect();
    let operands = match spec.family {
        Family::String | Family::StringIgnoreCase | Family::StringLike => {
            let texts = strings()?;
            for text in &texts {
                check_special_value(&key, spec, text, at)?;
            }
            let syntax = if spec.family == Family::StringLike {
                Syntax::GlobWithVariables
            } else {
                Syntax::LiteralWithVariables
            };
            Operands::Text(
                texts
                    .iter()
                    .map(|text| {
                        let pattern = Pattern::compile(text, syntax);
                        let lowercase = (spec.family == Family::StringIgnoreCase && !pattern.has_variables())
                            .then(|| pattern.render(&[]).to_lowercase());
                        TextOperand { pattern, lowercase }
                    })
                    .collect(),
            )
        }
        Family::Numeric => Operands::Numbers(
            values
                .iter()
                .map(|v| {
                    let number = match v {
                        Json::Number(n) => Number::parse(&n.to_string()),
                        Json::String(s) => Number::parse(s),
                        _ => None,
                    };
                    number.ok_or_else(|| invalid(at, format!("`{operator}` needs numbers, not {}", scalar_text(v))))
                })
                .collect::<Result<_, _>>()?,
        ),
        Family::Date => Operands::Dates(
            values
                .iter()
                .map(|v| {
                    let date = match v {
                        Json::String(s) => parse_date(s),
                        Json::Number(n) => n.as_i64().and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()),
                        _ => None,
                    };
                    date.ok_or_else(|| {
                        invalid(
                            at,
                            format!("`{operator}` needs RFC 3339 dates (2024-01-31T12:00:00Z) or epoch seconds, not {}", scalar_text(v)),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
        ),
        Family::Bool => {
            restricted_key(keys::SECURE_TRANSPORT, spec.name)?;
            Operands::Flag(flag(single()?)?)
        }
        Family::Null => {
            let expect_absent = flag(single()?)?;
            canonical_values = vec![expect_absent.to_string()];
            Operands::Flag(expect_absent)
        }
        Family::Ip => {
            restricted_key(keys::SOURCE_IP, spec.name)?;
            let networks = strings()?
                .iter()
                .map(|text| {
                    Network::parse(text)
                        .ok_or_else(|| invalid(at, format!("`{operator}` needs CIDR networks such as 10.0.0.0/8 or 2001:db8::/32, not {text:?}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            canonical_values = networks
                .iter()
                .map(|n| {
                    let mut out = String::new();
                    write_string(&mut out, &n.to_string());
                    out
                })
                .collect();
            Operands::Networks(networks)
        }
        Family::Arn => Operands::Arns(
            strings()?
                .iter()
                .map(|text| {
                    let whole = Pattern::compile(text, Syntax::GlobWithVariables);
                    let components = whole.split_at_colons(5);
                    if components.len() != 6 {
                        return Err(invalid(
                            at,
                            format!("`{operator}` needs ARNs of six colon-separated parts (arn:partition:service:region:account:resource), not {text:?}"),
                        ));
                    }
                    Ok(ArnOperand { whole, components })
                })
                .collect::<Result<_, _>>()?,
        ),
        Family::Binary => Operands::Bytes(
            strings()?
                .iter()
                .map(|text| {
                    base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|_| invalid(at, format!("`{operator}` needs base64 values, not {text:?}")))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    canonical_values.sort();
    canonical_values.dedup();
    Ok(ConditionClause {
        operator: operator.to_owned(),
        spec,
        qualifier,
        if_exists,
        key,
        operands,
        canonical_values,
    })
}

/// MinIO's extra checks on the values of a few S3 header keys.
fn check_special_value(
    key: &ConditionKey,
    spec: &OperatorSpec,
    value: &str,
    at: &Location,
) -> Result<(), PolicyError> {
    let name = key.lookup.as_str();
    if name == keys::COPY_SOURCE_KEY {
        let path = value.trim_start_matches('/');
        let (bucket, object) = path.split_once('/').unwrap_or((path, ""));
        if object.is_empty() || !valid_bucket_name(bucket) {
            return Err(invalid(
                at,
                format!("{value:?} is not a `bucket/object` copy source"),
            ));
        }
    }
    if spec.family == Family::StringLike {
        return Ok(());
    }
    let allowed: &[&str] = match name {
        keys::SSE_C_ALGORITHM_KEY => &["AES256"],
        keys::SSE_KEY => &["AES256", "aws:kms"],
        keys::METADATA_DIRECTIVE_KEY => &["COPY", "REPLACE"],
        keys::CONTENT_SHA256_KEY if value.is_empty() => {
            return Err(invalid(at, "the value must not be empty".into()));
        }
        _ => return Ok(()),
    };
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(invalid(at, format!("{value:?} is not one of {allowed:?}")))
    }
}

/// S3 bucket-name rules (3–63 characters of `a-z0-9.-`, starting and ending alphanumeric).
fn valid_bucket_name(bucket: &str) -> bool {
    let bytes = bucket.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && !bucket.contains("..")
        && !bucket.contains(".-")
        && !bucket.contains("-.")
}

fn invalid(at: &Location, reason: String) -> PolicyError {
    PolicyError::InvalidConditionValue {
        at: at.clone(),
        reason,
    }
}

fn scalar_text(value: &Json) -> String {
    let mut out = String::new();
    crate::json::write_scalar(&mut out, value);
    out
}

/// Writes a statement's clauses as a canonical `Condition` object: operators sorted, keys
/// sorted, values sorted.
pub(crate) fn write_conditions(out: &mut String, clauses: &[ConditionClause]) {
    let mut by_operator: BTreeMap<&str, Vec<&ConditionClause>> = BTreeMap::new();
    for clause in clauses {
        by_operator
            .entry(&clause.operator)
            .or_default()
            .push(clause);
    }
    out.push('{');
    for (i, (operator, mut clauses)) in by_operator.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, operator);
        out.push_str(":{");
        clauses.sort_by(|a, b| a.key.display.cmp(&b.key.display));
        for (j, clause) in clauses.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            write_string(out, &clause.key.display);
            out.push_str(":[");
            out.push_str(&clause.canonical_values.join(","));
            out.push(']');
        }
        out.push('}');
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_mask_and_contain() {
        let n = Network::parse("10.1.2.3/8").unwrap();
        assert_eq!(n.to_string(), "10.0.0.0/8");
        assert!(n.contains("10.200.0.1".parse().unwrap()));
        assert!(n.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert_eq!(
            Network::parse("192.168.1.1").unwrap().to_string(),
            "192.168.1.1/32"
        );
        assert_eq!(
            Network::parse("2001:db8::1/32").unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(Network::parse("::1").unwrap().to_string(), "::1/128");
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "x",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "::/129",
            "",
        ] {
            assert!(Network::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn numbers_and_dates() {
        assert_eq!(Number::parse("10"), Some(Number::Integer(10)));
        assert_eq!(Number::parse("1.5"), Some(Number::Decimal(1.5)));
        assert_eq!(Number::parse("NaN"), None);
        assert_eq!(Number::parse("inf"), None);
        assert_eq!(Number::parse(""), None);
        assert!(parse_date("2024-01-31T12:00:00Z").is_some());
        assert!(parse_date("2024-01-31T12:00:00.5+02:00").is_some());
        assert!(parse_date("1700000000").is_some());
        assert!(parse_date("2024-01-31").is_none());
    }

    #[test]
    fn bucket_names() {
        assert!(valid_bucket_name("my-bucket.1"));
        for bad in ["ab", "-ab", "Ab1", "a..b", "a.-b", &"a".repeat(64)] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }
}
