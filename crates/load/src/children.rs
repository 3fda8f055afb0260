//! What the child processes this tool starts have in common (the spawned Tessera in `target`,
//! slapd in `directory`): a free 127.0.0.1 port to give one, and the last lines of its log for
//! an error message.

use std::path::Path;

use anyhow::{Context, Result};

/// How many lines of a log [`log_tail`] returns.
const TAIL_LINES: usize = 20;

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(l.local_addr().context("reading the free port")?.port())
}

/// The last lines of the log at `path`; empty when it is empty or cannot be read.
pub fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("log");
        let text: String = (1..=25).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let tail = log_tail(&path);
        assert!(tail.starts_with("line 6\n"), "{tail}");
        assert!(tail.ends_with("line 25"), "{tail}");
        assert_eq!(tail.lines().count(), TAIL_LINES);
        assert_eq!(log_tail(&dir.path().join("missing")), "");
        assert!(free_port().is_ok_and(|p| p != 0));
    }
}
