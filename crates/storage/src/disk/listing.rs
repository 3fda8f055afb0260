//! ListObjects over one bucket's table: a range scan from the prefix (or the point to list
//! after), grouping keys under CommonPrefixes at the delimiter and seeking past each group
//! instead of reading every key inside it.

use std::ops::Bound;

use redb::ReadOnlyTable;

use super::index::decode_object;
use crate::error::StorageResult;
use crate::types::{ListPage, ListQuery};

/// A string greater than every string that starts with `prefix` and has no U+10FFFF right after
/// it; the loop below copes with the keys that do.
fn past_group(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

pub fn list(table: &ReadOnlyTable<&str, &[u8]>, q: &ListQuery) -> StorageResult<ListPage> {
    let mut page = ListPage::default();
    if q.max_keys == 0 {
        return Ok(page);
    }
    let prefix = q.prefix.as_str();
    let delimiter = q.delimiter.as_deref().filter(|d| !d.is_empty());
    let mut cursor: Bound<String> = match &q.after {
        Some(a) if a.as_str() >= prefix => Bound::Excluded(a.clone()),
        _ => Bound::Included(prefix.to_owned()),
    };
    let mut count = 0usize;
    let mut last_returned: Option<String> = None;
    'scan: loop {
        let range = table.range::<&str>((cursor.as_ref().map(String::as_str), Bound::Unbounded))?;
        let mut reseek: Option<String> = None;
        for item in range {
            let (k, v) = item?;
            let key = k.value();
            if !key.starts_with(prefix) {
                break 'scan;
            }
            if let Some(d) = delimiter
                && let Some(pos) = key[prefix.len()..].find(d)
            {
                let group = &key[..prefix.len() + pos + d.len()];
                let already = page.common_prefixes.last().is_some_and(|g| g == group)
                    || q.after.as_deref().is_some_and(|a| a.starts_with(group));
                if already {
                    continue;
                }
                if count == q.max_keys {
                    page.next_after.clone_from(&last_returned);
                    break 'scan;
                }
                page.common_prefixes.push(group.to_owned());
                last_returned = Some(group.to_owned());
                count += 1;
                reseek = Some(past_group(group));
                break;
            }
            if count == q.max_keys {
                page.next_after.clone_from(&last_returned);
                break 'scan;
            }
            let stored = decode_object(v.value())?;
            page.objects.push(stored.info);
            last_returned = Some(key.to_owned());
            count += 1;
        }
        match reseek {
            Some(next) => cursor = Bound::Excluded(next),
            None => break,
        }
    }
    Ok(page)
}
