//! What `tessera admin` prints: the server's JSON as it came (decrypted) with `--json`, for
//! scripts; otherwise aligned tables, `Label: value` blocks and one-line confirmations.

use std::io::Write as _;

use anyhow::Context as _;
use serde::de::DeserializeOwned;

/// Text or JSON, as chosen with `--json`.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub json: bool,
}

impl Output {
    /// A reply that has content: with `--json` the server's JSON as is, otherwise `render`'s
    /// text.
    pub fn reply(
        self,
        body: &[u8],
        render: impl FnOnce() -> anyhow::Result<String>,
    ) -> anyhow::Result<()> {
        if self.json {
            emit(&String::from_utf8_lossy(body))
        } else {
            emit(&render()?)
        }
    }

    /// The answer to a change: with `--json` the server's JSON when it sent any (nothing
    /// otherwise; the exit status tells success), otherwise `message`.
    pub fn done(self, body: &[u8], message: &str) -> anyhow::Result<()> {
        if self.json {
            if body.iter().all(u8::is_ascii_whitespace) {
                Ok(())
            } else {
                emit(&String::from_utf8_lossy(body))
            }
        } else {
            emit(message)
        }
    }
}

/// Writes `text` and a final newline to stdout. A closed pipe (`… | head`) is not an error.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let result = out
        .write_all(text.trim_end_matches('\n').as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to stdout"),
    }
}

/// Parses a JSON reply of the server into `T`.
pub fn parse<T: DeserializeOwned>(body: &[u8], what: &str) -> anyhow::Result<T> {
    serde_json::from_slice(body).with_context(|| {
        format!("the server's reply to `{what}` is not the JSON this tool expects")
    })
}

/// Columns padded to their widest cell, a header row first; `empty` when there are no rows.
pub fn table(headers: &[&str], rows: &[Vec<String>], empty: &str) -> String {
    if rows.is_empty() {
        return empty.to_owned();
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(cell);
            let pad = widths
                .get(i)
                .copied()
                .unwrap_or(0)
                .saturating_sub(cell.chars().count());
            s.extend(std::iter::repeat_n(' ', pad));
        }
        s.trim_end().to_owned()
    };
    let mut out = line(&mut headers.iter().copied());
    for row in rows {
        out.push('\n');
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// `Label:  value` lines, values aligned; empty values show as `-`.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs
        .iter()
        .map(|(k, _)| k.chars().count() + 1)
        .max()
        .unwrap_or(0);
    pairs
        .iter()
        .map(|(k, v)| {
            let label = format!("{k}:");
            let value = if v.is_empty() { "-" } else { v.as_str() };
            format!("{label:<width$}  {value}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A comma list, or `-` when empty.
pub fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(", ")
    }
}

/// A policy document (JSON text or value) indented for reading; the text as is when it is not
/// JSON.
pub fn pretty_policy(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns_to_the_widest_cell() {
        let rows = vec![
            vec!["alice".to_owned(), "enabled".to_owned()],
            vec!["bo".to_owned(), "disabled".to_owned()],
        ];
        assert_eq!(
            table(&["ACCESS KEY", "STATUS"], &rows, "none"),
            "ACCESS KEY  STATUS\nalice       enabled\nbo          disabled"
        );
        assert_eq!(table(&["A"], &[], "No users."), "No users.");
    }

    #[test]
    fn fields_align_values_and_mark_empty_ones() {
        assert_eq!(
            fields(&[("Status", "enabled".into()), ("Policies", String::new())]),
            "Status:    enabled\nPolicies:  -"
        );
    }
}
