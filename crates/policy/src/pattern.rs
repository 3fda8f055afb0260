//! Text patterns of the policy language: `*` / `?` wildcards, `${key}` policy variables and the
//! `${*}`, `${?}`, `${$}` escapes, compiled once at parse time and matched without backtracking
//! blow-up (linear-times-pattern, safe for fuzzed input).
//!
//! Substitution rules: a variable is one of the keys MinIO substitutes (the common condition
//! keys, `jwt:*`, `ldap:*`, see [`crate::keys`]); any other `${…}` stays literal text, as in
//! MinIO. A variable whose key has no non-empty value makes the pattern match nothing (AWS's
//! rule). A variable whose key has several values stands for each of them in turn (the pattern
//! matches if any substitution matches); the same variable twice in one pattern takes the same
//! value. Substituted values are literal text: a `*` in a user name is not a wildcard.

use std::cell::Cell;

use crate::Conditions;
use crate::keys::ConditionKey;

/// The most substitutions one pattern may expand to (product of its variables' value counts).
/// Beyond it the statement is decided fail-closed: an Allow does not apply, a Deny does.
pub const MAX_VARIABLE_EXPANSIONS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(Box<str>),
    AnyRun,
    AnyChar,
    Variable(usize),
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    parts: Vec<Part>,
    /// Normalised lookup keys of the variables, indexed by `Part::Variable`.
    variables: Vec<Box<str>>,
}

/// Which special syntax a pattern's text has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// `*` and `?` wildcards; `${…}` is plain text (actions, principals).
    Glob,
    /// Wildcards and `${…}` variables (resources, `StringLike`, `ArnLike`).
    GlobWithVariables,
    /// Only `${…}` variables; `*` and `?` are plain text (`StringEquals`).
    LiteralWithVariables,
}

/// How literal text compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    Sensitive,
    AsciiInsensitive,
}

/// Where variables take their values from during one evaluation, and whether any pattern
/// expanded past [`MAX_VARIABLE_EXPANSIONS`].
pub(crate) struct VariableScope<'c> {
    pub(crate) conditions: &'c Conditions,
    overflowed: Cell<bool>,
}

impl<'c> VariableScope<'c> {
    pub(crate) fn new(conditions: &'c Conditions) -> Self {
        VariableScope {
            conditions,
            overflowed: Cell::new(false),
        }
    }

    /// Reports and clears the overflow flag.
    pub(crate) fn take_overflow(&self) -> bool {
        self.overflowed.replace(false)
    }
}

impl Pattern {
    /// Compiles `text` with the given syntax.
    pub(crate) fn compile(text: &str, syntax: Syntax) -> Pattern {
        let wildcards = syntax != Syntax::LiteralWithVariables;
        let substitutes = syntax != Syntax::Glob;
        let mut parts = Vec::new();
        let mut variables: Vec<Box<str>> = Vec::new();
        let mut literal = String::new();
        let flush = |literal: &mut String, parts: &mut Vec<Part>| {
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(literal).into_boxed_str()));
            }
        };
        let mut rest = text;
        while let Some(c) = rest.chars().next() {
            if substitutes
                && let Some(after) = rest.strip_prefix("${")
                && let Some(end) = after.find('}')
            {
                let inner = &after[..end];
                rest = &after[end + 1..];
                match inner {
                    "*" | "?" | "$" => literal.push_str(inner),
                    _ => match ConditionKey::parse(inner)
                        .as_ref()
                        .and_then(ConditionKey::as_variable)
                    {
                        Some(key) => {
                            flush(&mut literal, &mut parts);
                            let index = match variables.iter().position(|v| &**v == key) {
                                Some(index) => index,
                                None => {
                                    variables.push(key.into());
                                    variables.len() - 1
                                }
                            };
                            parts.push(Part::Variable(index));
                        }
                        None => {
                            literal.push_str("${");
                            literal.push_str(inner);
                            literal.push('}');
                        }
                    },
                }
                continue;
            }
            rest = &rest[c.len_utf8()..];
            match c {
                '*' if wildcards => {
                    flush(&mut literal, &mut parts);
                    if parts.last() != Some(&Part::AnyRun) {
                        parts.push(Part::AnyRun);
                    }
                }
                '?' if wildcards => {
                    flush(&mut literal, &mut parts);
                    parts.push(Part::AnyChar);
                }
                c => literal.push(c),
            }
        }
        flush(&mut literal, &mut parts);
        Pattern { parts, variables }
    }

    /// Whether the pattern uses `${…}` variables.
    pub(crate) fn has_variables(&self) -> bool {
        !self.variables.is_empty()
    }

    /// The normalised condition keys its `${…}` variables read.
    pub(crate) fn variable_keys(&self) -> &[Box<str>] {
        &self.variables
    }

    /// Whether `text` matches under some substitution of the variables.
    pub(crate) fn matches(&self, text: &str, scope: &VariableScope<'_>, case: Case) -> bool {
        self.any_expansion(scope, |choices| glob(&self.parts, choices, text, case))
    }

    /// Whether `text` matches, for a pattern known to have no variables.
    pub(crate) fn matches_plain(&self, text: &str, case: Case) -> bool {
        glob(&self.parts, &[], text, case)
    }

    /// Calls `test` with each substitution of the variables (values in variable order) until it
    /// returns true. A missing variable means no substitution; too many set the overflow flag.
    pub(crate) fn any_expansion(
        &self,
        scope: &VariableScope<'_>,
        mut test: impl FnMut(&[&str]) -> bool,
    ) -> bool {
        if self.variables.is_empty() {
            return test(&[]);
        }
        // One variable (`home/${aws:username}/*`): every request of a home-directory policy
        // comes here, so try its values without building the odometer.
        if let [key] = self.variables.as_slice() {
            let values = scope.conditions.get_normalized(key).unwrap_or_default();
            if values.len() > MAX_VARIABLE_EXPANSIONS
                && values.iter().filter(|v| !v.is_empty()).count() > MAX_VARIABLE_EXPANSIONS
            {
                scope.overflowed.set(true);
                return false;
            }
            return values
                .iter()
                .filter(|v| !v.is_empty())
                .any(|v| test(&[v.as_str()]));
        }
        let mut candidates: Vec<Vec<&str>> = Vec::with_capacity(self.variables.len());
        let mut combinations: usize = 1;
        for key in &self.variables {
            let values: Vec<&str> = scope
                .conditions
                .get_normalized(key)
                .unwrap_or_default()
                .iter()
                .map(String::as_str)
                .filter(|v| !v.is_empty())
                .collect();
            if values.is_empty() {
                return false;
            }
            combinations = combinations.saturating_mul(values.len());
            candidates.push(values);
        }
        if combinations > MAX_VARIABLE_EXPANSIONS {
            scope.overflowed.set(true);
            return false;
        }
        let mut odometer = vec![0usize; candidates.len()];
        let mut choices: Vec<&str> = candidates.iter().map(|values| values[0]).collect();
        loop {
            if test(&choices) {
                return true;
            }
            // Advance the odometer; stop after the last combination.
            let mut digit = 0;
            loop {
                if digit == odometer.len() {
                    return false;
                }
                odometer[digit] += 1;
                if odometer[digit] < candidates[digit].len() {
                    choices[digit] = candidates[digit][odometer[digit]];
                    break;
                }
                odometer[digit] = 0;
                choices[digit] = candidates[digit][0];
                digit += 1;
            }
        }
    }

    /// The text of one substitution, wildcards written back as `*` / `?`.
    pub(crate) fn render(&self, choices: &[&str]) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::AnyRun => out.push('*'),
                Part::AnyChar => out.push('?'),
                Part::Variable(i) => out.push_str(choices[*i]),
            }
        }
        out
    }

    /// Splits the pattern at its first `count` literal `:` characters (for ARN components);
    /// variables keep their indices into the same substitution.
    pub(crate) fn split_at_colons(&self, count: usize) -> Vec<Pattern> {
        let mut segments = Vec::with_capacity(count + 1);
        let mut current: Vec<Part> = Vec::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) if segments.len() < count && text.contains(':') => {
                    let mut pieces = text.split(':').peekable();
                    while let Some(piece) = pieces.next() {
                        if !piece.is_empty() {
                            current.push(Part::Literal(piece.into()));
                        }
                        if pieces.peek().is_some() {
                            if segments.len() < count {
                                segments.push(std::mem::take(&mut current));
                            } else {
                                current.push(Part::Literal(":".into()));
                            }
                        }
                    }
                }
                other => current.push(other.clone()),
            }
        }
        segments.push(current);
        segments
            .into_iter()
            .map(|parts| Pattern {
                parts: merge_literals(parts),
                variables: self.variables.clone(),
            })
            .collect()
    }

    /// Matches `text` under one given substitution.
    pub(crate) fn matches_with(&self, choices: &[&str], text: &str) -> bool {
        glob(&self.parts, choices, text, Case::Sensitive)
    }
}

fn merge_literals(parts: Vec<Part>) -> Vec<Part> {
    let mut merged: Vec<Part> = Vec::with_capacity(parts.len());
    for part in parts {
        if let (Some(Part::Literal(previous)), Part::Literal(next)) = (merged.last_mut(), &part) {
            let mut joined = previous.to_string();
            joined.push_str(next);
            *previous = joined.into_boxed_str();
        } else {
            merged.push(part);
        }
    }
    merged
}

/// Width in bytes of the UTF-8 character starting with `lead`.
fn char_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

/// If `text[at..]` starts with `literal`, the position after it.
fn eat(text: &[u8], at: usize, literal: &[u8], case: Case) -> Option<usize> {
    let end = at.checked_add(literal.len())?;
    let candidate = text.get(at..end)?;
    let equal = match case {
        Case::Sensitive => candidate == literal,
        Case::AsciiInsensitive => candidate.eq_ignore_ascii_case(literal),
    };
    equal.then_some(end)
}

/// Wildcard match of `parts` (variables resolved through `choices`) against all of `text`.
/// `*` matches any run of characters (including `/`), `?` exactly one character.
fn glob(parts: &[Part], choices: &[&str], text: &str, case: Case) -> bool {
    let bytes = text.as_bytes();
    let (mut p, mut t) = (0usize, 0usize);
    // Where to resume after the most recent `*`: (part after it, text position it consumed to).
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if let Some(part) = parts.get(p) {
            let next = match part {
                Part::AnyRun => {
                    if p + 1 == parts.len() {
                        return true;
                    }
                    resume = Some((p + 1, t));
                    p += 1;
                    continue;
                }
                Part::AnyChar => (t < bytes.len()).then(|| t + char_width(bytes[t])),
                Part::Literal(literal) => eat(bytes, t, literal.as_bytes(), case),
                Part::Variable(i) => eat(bytes, t, choices[*i].as_bytes(), case),
            };
            if let Some(next) = next {
                t = next;
                p += 1;
                continue;
            }
        } else if t == bytes.len() {
            return true;
        }
        match resume {
            Some((after_star, consumed)) if consumed < bytes.len() => {
                let consumed = consumed + char_width(bytes[consumed]);
                resume = Some((after_star, consumed));
                p = after_star;
                t = consumed;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(pattern: &str, text: &str) -> bool {
        Pattern::compile(pattern, Syntax::GlobWithVariables).matches_plain(text, Case::Sensitive)
    }

    #[test]
    fn wildcard_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("*", "", true),
            ("*", "anything/at/all", true),
            ("", "", true),
            ("", "a", false),
            ("abc", "abc", true),
            ("abc", "abcd", false),
            ("abc", "ab", false),
            ("a*", "a", true),
            ("a*", "abc/def", true),
            ("a*c", "abc", true),
            ("a*c", "abcd", false),
            ("a*c", "ac", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("a?c", "aéc", true),
            ("a??", "aé", false),
            ("*b*", "abc", true),
            ("*b*", "acd", false),
            ("a*b*c", "a-b-c", true),
            ("a*b*c", "a-c-b", false),
            ("a*a*a*a*a*a*b", &"a".repeat(200), false),
            ("bucket/*", "bucket/", true),
            ("bucket/*", "bucket", false),
            ("bucket/*/x", "bucket/a/b/x", true),
            ("Bucket", "bucket", false),
            ("?", "", false),
            ("*?", "", false),
            ("*?", "x", true),
            ("a**b", "ab", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(plain(pattern, text), *expected, "{pattern:?} vs {text:?}");
        }
    }

    #[test]
    fn case_insensitive_literals() {
        let p = Pattern::compile("s3:get*", Syntax::Glob);
        assert!(p.matches_plain("S3:GetObject", Case::AsciiInsensitive));
        assert!(!p.matches_plain("S3:GetObject", Case::Sensitive));
    }

    #[test]
    fn escapes_are_literal() {
        assert!(plain("a${*}b", "a*b"));
        assert!(!plain("a${*}b", "axb"));
        assert!(plain("a${?}", "a?"));
        assert!(!plain("a${?}", "ab"));
        assert!(plain("${$}x", "$x"));
        assert!(plain("${unknown:thing}", "${unknown:thing}"));
        assert!(plain("${s3:prefix}", "${s3:prefix}"));
        assert!(plain("a${", "a${"));
        assert!(plain("$", "$"));
    }

    #[test]
    fn variables_substitute_all_values_consistently() {
        let conditions = Conditions::new()
            .with("aws:username", ["alice"])
            .with("aws:groups", ["eng", "ops"])
            .with("jwt:sub", [""]);
        let scope = VariableScope::new(&conditions);
        let p = Pattern::compile("home/${aws:username}/*", Syntax::GlobWithVariables);
        assert!(p.matches("home/alice/x", &scope, Case::Sensitive));
        assert!(!p.matches("home/bob/x", &scope, Case::Sensitive));
        let p = Pattern::compile("${aws:groups}/${AWS:Groups}", Syntax::GlobWithVariables);
        assert!(p.matches("ops/ops", &scope, Case::Sensitive));
        assert!(!p.matches("eng/ops", &scope, Case::Sensitive));
        // Empty and absent values make the pattern match nothing.
        let p = Pattern::compile("x/${jwt:sub}*", Syntax::GlobWithVariables);
        assert!(!p.matches("x/", &scope, Case::Sensitive));
        let p = Pattern::compile("*${ldap:user}*", Syntax::GlobWithVariables);
        assert!(!p.matches("anything", &scope, Case::Sensitive));
        assert!(!scope.take_overflow());
    }

    #[test]
    fn substituted_values_are_not_wildcards() {
        let conditions = Conditions::new().with("aws:username", ["*"]);
        let scope = VariableScope::new(&conditions);
        let p = Pattern::compile("home/${aws:username}/*", Syntax::GlobWithVariables);
        assert!(!p.matches("home/bob/x", &scope, Case::Sensitive));
        assert!(p.matches("home/*/x", &scope, Case::Sensitive));
    }

    #[test]
    fn too_many_substitutions_overflow() {
        let many: Vec<String> = (0..20).map(|i| format!("g{i}")).collect();
        let conditions = Conditions::new()
            .with("aws:groups", many.clone())
            .with("jwt:groups", many);
        let scope = VariableScope::new(&conditions);
        let p = Pattern::compile("${aws:groups}/${jwt:groups}", Syntax::GlobWithVariables);
        assert!(!p.matches("g1/g2", &scope, Case::Sensitive));
        assert!(scope.take_overflow());
        assert!(!scope.take_overflow());
    }

    #[test]
    fn colon_split_keeps_variables() {
        let conditions = Conditions::new().with("aws:username", ["alice"]);
        let scope = VariableScope::new(&conditions);
        let p = Pattern::compile(
            "arn:aws:iam::*:user/${aws:username}:x",
            Syntax::GlobWithVariables,
        );
        let segments = p.split_at_colons(5);
        assert_eq!(segments.len(), 6);
        assert!(segments[4].matches_plain("123", Case::Sensitive));
        assert!(segments[5].matches("user/alice:x", &scope, Case::Sensitive));
        assert!(segments[2].matches_plain("iam", Case::Sensitive));
        assert!(segments[3].matches_plain("", Case::Sensitive));
    }
}
