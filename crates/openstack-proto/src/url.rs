//! The parts of a URL: its origin and its host, which decide where a token may go (one rule for
//! every door: the CLI's redirects and plain-http warning, the portal's CSP check), and its
//! percent-encoded path segments and query pairs.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// `scheme://host:port`, with the scheme's default port spelled out and the host lowercased:
/// what decides whether a token may follow.
pub fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let name = host(authority);
    let port = authority
        .strip_prefix(&format!("[{name}]"))
        .or_else(|| authority.get(name.len()..))
        .and_then(|r| r.strip_prefix(':'))
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| if scheme == "https" { "443" } else { "80" }.to_owned());
    format!("{scheme}://{}:{port}", name.to_ascii_lowercase())
}

/// The host of `host[:port][/...]` (an IPv6 literal without its brackets).
pub fn host(authority_and_more: &str) -> String {
    let authority = authority_and_more
        .split(['/', '?', '#'])
        .next()
        .unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("").to_owned();
    }
    authority.split(':').next().unwrap_or("").to_owned()
}

/// Everything but RFC 3986's unreserved characters is escaped, in path segments and query parts.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query component.
pub(crate) fn encode(value: &str) -> String {
    utf8_percent_encode(value, ESCAPED).to_string()
}

/// Builds `a=b&c=d` from pairs, percent-encoding keys and values.
pub(crate) fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Splits `a=b&c=d` (a query string without its `?`, or a fragment without its `#`) into
/// decoded pairs: `+` reads as a space, as in forms; a part without `=` has an empty value; a
/// `%` not followed by two hex digits stays as it is.
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            (decode(key), decode(value))
        })
        .collect()
}

fn decode(value: &str) -> String {
    let spaced = value.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_spell_out_default_ports() {
        assert_eq!(
            origin("https://Cloud.example/v3"),
            "https://cloud.example:443"
        );
        assert_eq!(origin("http://127.0.0.1:9292/v2"), "http://127.0.0.1:9292");
        assert_eq!(
            origin("http://127.0.0.1:9292/"),
            origin("http://127.0.0.1:9292")
        );
        assert_eq!(origin("http://u@h:5000"), "http://h:5000");
        assert_eq!(host("[::1]:80/x"), "::1");
        assert_ne!(origin("http://h/x"), origin("https://h/x"));
    }

    #[test]
    fn encode_escapes_everything_but_unreserved() {
        assert_eq!(
            encode("a b/c?d&e=f~g.h-i_j"),
            "a%20b%2Fc%3Fd%26e%3Df~g.h-i_j"
        );
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn query_round_trip() {
        let pairs = vec![
            ("name".to_owned(), "my image".to_owned()),
            ("tag".to_owned(), "a&b".to_owned()),
        ];
        let query = query_string(&pairs);
        assert_eq!(query, "name=my%20image&tag=a%26b");
        assert_eq!(parse_query(&query), pairs);
        assert_eq!(
            parse_query("marker=abc&limit=2&flag&x=a+b&y=100%&z=%4g"),
            vec![
                ("marker".to_owned(), "abc".to_owned()),
                ("limit".to_owned(), "2".to_owned()),
                ("flag".to_owned(), String::new()),
                ("x".to_owned(), "a b".to_owned()),
                ("y".to_owned(), "100%".to_owned()),
                ("z".to_owned(), "%4g".to_owned()),
            ]
        );
    }
}
