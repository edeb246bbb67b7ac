//! Paths that came from a request and go back out in a `Location` or a link (a `next=` after
//! login, a page's own path for the language switch), made into one plain path on this site.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but unreserved characters is encoded again, so what goes out cannot be read as
/// another host (`//`), a scheme (`:`), a query or anything a browser would decode differently.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `raw` (percent-encoded as received) as an absolute path on this site with `.` and `..`
/// resolved, or `None` when it is not one: not starting with `/`, an empty segment (`//`
/// anywhere), a backslash, a control character, invalid UTF-8, or `..` above the root.
pub fn local_path(raw: &str) -> Option<String> {
    let decoded = percent_decode_str(raw).decode_utf8().ok()?;
    let rest = decoded.strip_prefix('/')?;
    if decoded.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let parts: Vec<&str> = rest.split('/').collect();
    let last = parts.len() - 1;
    let mut kept: Vec<&str> = Vec::new();
    for (i, segment) in parts.into_iter().enumerate() {
        match segment {
            // Only a trailing slash may leave an empty segment.
            "" if i == last => {}
            "" => return None,
            "." => {}
            ".." => {
                kept.pop()?;
            }
            segment => kept.push(segment),
        }
    }
    let mut path = String::new();
    for segment in &kept {
        path.push('/');
        path.extend(utf8_percent_encode(segment, SEGMENT));
    }
    if path.is_empty() || decoded.ends_with('/') {
        path.push('/');
    }
    Some(path)
}

/// `raw` as a location on this site: its path as [`local_path`] makes it, then its query if it
/// is plain visible ASCII (a query cannot change where a browser goes); a fragment is dropped.
pub fn local_location(raw: &str) -> Option<String> {
    let raw = raw.split('#').next().unwrap_or("");
    let (path, query) = match raw.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (raw, None),
    };
    let mut location = local_path(path)?;
    if let Some(query) = query.filter(|q| !q.is_empty()) {
        if !query.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
            return None;
        }
        location.push('?');
        location.push_str(query);
    }
    Some(location)
}

/// `raw` as a local location whose path is `prefix` (without a trailing slash) or below it.
pub fn local_location_under(raw: &str, prefix: &str) -> Option<String> {
    local_location(raw).filter(|location| {
        let path = location.split('?').next().unwrap_or("");
        path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_paths_on_this_site_come_out() {
        for (raw, expected) in [
            ("/organizer", Some("/organizer")),
            ("/organizer/m/abc/", Some("/organizer/m/abc/")),
            ("/organizer/./m/../m/abc", Some("/organizer/m/abc")),
            ("/organizer/%2e%2e/x", Some("/x")),
            ("/", Some("/")),
            ("/a%20b", Some("/a%20b")),
            ("/a:b?c#d", Some("/a%3Ab%3Fc%23d")),
            ("//evil.example", None),
            ("/organizer/..//evil.example", None),
            ("/%2F/evil.example", None),
            ("/\\evil.example", None),
            ("/%5Cevil.example", None),
            ("https://evil.example", None),
            ("evil", None),
            ("/organizer%0d%0aSet-Cookie:x", None),
            ("/organizer/%ff", None),
            ("/..", None),
            ("", None),
        ] {
            assert_eq!(local_path(raw).as_deref(), expected, "{raw}");
        }
    }

    #[test]
    fn under_means_at_or_below_a_whole_segment() {
        let under = |raw| local_location_under(raw, "/organizer");
        assert_eq!(under("/organizer").as_deref(), Some("/organizer"));
        assert_eq!(
            under("/organizer/m/x?status=&q=a%20b#top").as_deref(),
            Some("/organizer/m/x?status=&q=a%20b")
        );
        assert!(under("/organizers").is_none());
        assert!(under("/organizer/../manage/x").is_none());
        assert!(under("/organizer?a=b\r\nSet-Cookie:x").is_none());
        assert!(under("/organizer?a=b c").is_none());
        assert!(under("/organizer%3F/..//evil.example").is_none());
    }
}
