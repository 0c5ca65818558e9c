//! The parts of a URL that decide where a token may go: its origin and its host. One rule for
//! every door (the CLI's redirects and plain-http warning, the portal's CSP check).

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
}
