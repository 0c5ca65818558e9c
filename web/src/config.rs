//! The portal's configuration: `config.json` next to `index.html`, URL overrides, and the
//! token a host page hands over (see docs/portal-embedding.md).

use serde::Deserialize;

/// `config.json`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct PortalConfig {
    /// Keystone's URL (`http://127.0.0.1:5000/v3`).
    pub auth_url: String,
    /// The catalog interface to use (`public`, `internal`, `admin`); public by default.
    #[serde(default)]
    pub interface: Option<String>,
    /// The region to use, when the catalog has several.
    #[serde(default)]
    pub region: Option<String>,
    /// The domain of user names typed in the sign-in form.
    #[serde(default = "default_domain")]
    pub user_domain: String,
    /// When true (the default), `?auth_url=` in the page URL and a host's `auth_url` are
    /// ignored: only `auth_url` above is used, and the sign-in form cannot change it.
    #[serde(default = "default_true")]
    pub lock_auth_url: bool,
    /// The hash method preselected for signing.
    #[serde(default = "default_hash")]
    pub hash_method: String,
    /// Embedding: which host pages may hand over a token.
    #[serde(default)]
    pub embed: EmbedConfig,
    /// The origins the page may connect to (the Content-Security-Policy's `connect-src`). Read
    /// by `scripts/portal/build.sh` and the server; listed here so one file says it all.
    #[serde(default)]
    pub connect_src: Vec<String>,
    /// Trust anchors for verification, as Barbican secret ids (or secret refs): fetched with
    /// the user's token, as the image's certificate is. Nova's `trusted_certificate_ids`.
    #[serde(default)]
    pub trusted_certificate_ids: Vec<String>,
    /// Trust anchors for verification, inline: PEM text, one certificate (or a bundle) each.
    #[serde(default)]
    pub trusted_certificates: Vec<String>,
    /// The page's own origin (`window.location.origin`), set at start-up: not part of the file.
    #[serde(skip)]
    pub page_origin: Option<String>,
}

/// The `embed` section of `config.json`.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
pub struct EmbedConfig {
    /// Origins (`https://dashboard.example`) whose `postMessage` token hand-over is accepted.
    /// Empty: none.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Whether a `#token=` link may sign the user in. Off by default: anyone can send a link,
    /// so a link could sign the user in to someone else's account (login CSRF).
    #[serde(default)]
    pub accept_token_fragment: bool,
    /// Whether a host page that opened the portal (`window.open`) may hand over the token
    /// (the opener). Off by default: only the parent frame may. With it on, the server sends
    /// `Cross-Origin-Opener-Policy: unsafe-none` (the opener keeps its handle on the portal's
    /// window); off, `same-origin` (scripts/portal/csp.mjs).
    #[serde(default)]
    pub allow_opener: bool,
}

/// Why a `#token=` link was ignored, for the user: the portal's configuration refuses it.
pub const FRAGMENT_REFUSED: &str = "A sign-in token came with the link (#token=…) and was \
    ignored: this portal does not accept tokens in links, because anyone can send a link and it \
    could sign you in to someone else's account. It has been removed from the address bar. Sign \
    in below. (To allow such links, the portal's administrator sets \
    \"embed\": {\"accept_token_fragment\": true} in config.json.)";

/// The trusted certificates from `config.json`, for the verification session's anchors (Nova's
/// chain validation). None: a valid signature proves only that the holder of the image's
/// certificate key signed, and the verdict says authenticity is not established.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct TrustAnchors {
    /// Barbican secret ids, fetched with the user's token.
    pub barbican_ids: Vec<String>,
    /// PEM texts.
    pub pems: Vec<String>,
}

impl TrustAnchors {
    /// How many entries config.json lists (a PEM bundle counts once).
    pub fn len(&self) -> usize {
        self.barbican_ids.len() + self.pems.len()
    }

    /// Whether config.json lists none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A Barbican secret id from an id or a secret ref (`https://barbican/v1/secrets/<id>`).
fn secret_id(value: &str) -> &str {
    let value = value.trim().trim_end_matches('/');
    value.rsplit('/').next().unwrap_or(value)
}

/// The origin as CSP compares it (openstack-proto's rule); `None` for what is not http(s).
fn normal_origin(url: &str) -> Option<String> {
    let scheme = url.trim().split_once("://")?.0.to_ascii_lowercase();
    matches!(scheme.as_str(), "http" | "https").then(|| openstack_proto::url::origin(url.trim()))
}

fn default_true() -> bool {
    true
}

fn default_domain() -> String {
    "Default".to_owned()
}

fn default_hash() -> String {
    "SHA-256".to_owned()
}

impl PortalConfig {
    /// Parses `config.json`.
    ///
    /// # Errors
    /// The JSON error, in words, when the text is not a configuration.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|error| format!("config.json: {error}"))?;
        // The trust anchors in words of their own (serde names neither key nor entry).
        for key in ["trusted_certificate_ids", "trusted_certificates"] {
            match value.get(key) {
                None => {}
                Some(serde_json::Value::Array(items)) if items.iter().all(|v| v.is_string()) => {}
                Some(_) => return Err(format!("config.json: {key} must be a list of strings")),
            }
        }
        let config: Self =
            serde_json::from_value(value).map_err(|error| format!("config.json: {error}"))?;
        if config.auth_url.trim().is_empty() {
            return Err("config.json: auth_url is empty".to_owned());
        }
        for (i, id) in config.trusted_certificate_ids.iter().enumerate() {
            if secret_id(id).is_empty() {
                return Err(format!(
                    "config.json: trusted_certificate_ids[{i}] is empty: give a Barbican secret id"
                ));
            }
        }
        for (i, pem) in config.trusted_certificates.iter().enumerate() {
            if !pem.contains("-----BEGIN CERTIFICATE-----") {
                return Err(format!(
                    "config.json: trusted_certificates[{i}] is not a PEM certificate (no \
                     -----BEGIN CERTIFICATE----- line; write newlines in the JSON string as \\n)"
                ));
            }
        }
        Ok(config)
    }

    /// The trust anchors verification judges certificates against.
    pub fn trust_anchors(&self) -> TrustAnchors {
        TrustAnchors {
            barbican_ids: self
                .trusted_certificate_ids
                .iter()
                .map(|id| secret_id(id).to_owned())
                .collect(),
            pems: self.trusted_certificates.clone(),
        }
    }

    /// Applies the page's query string (`?auth_url=...`), unless the configuration locks it.
    pub fn with_query(mut self, query: &[(String, String)]) -> Self {
        if !self.lock_auth_url {
            if let Some((_, url)) = query.iter().find(|(key, _)| key == "auth_url") {
                if !url.trim().is_empty() {
                    self.auth_url = url.trim().to_owned();
                }
            }
        }
        self
    }

    /// The page's origin, for [`PortalConfig::blocked`].
    #[must_use]
    pub fn with_page_origin(mut self, origin: Option<String>) -> Self {
        self.page_origin = origin;
        self
    }

    /// Why the browser would refuse a request from this page to `url`, if it would: plain
    /// http from an https page (mixed content), or an origin the Content-Security-Policy
    /// (`'self'`, `auth_url`'s origin and `connect_src`, see scripts/portal/csp.mjs) leaves out;
    /// an empty `connect_src` says nothing of the server's policy, so only mixed content counts.
    /// Said before the request, because the browser's own refusal reaches the page only as an
    /// opaque network error.
    pub fn blocked(&self, service: &str, url: &str) -> Option<String> {
        let target = normal_origin(url)?;
        let page = self.page_origin.as_deref().and_then(normal_origin);
        if page.as_deref().is_some_and(|p| p.starts_with("https://"))
            && target.starts_with("http://")
        {
            return Some(format!(
                "the catalog's {service} endpoint {url} is plain http and this page is https: \
                 the browser blocks such requests (mixed content). Use the cloud's https \
                 endpoints (config.json region and interface choose them)"
            ));
        }
        if self.connect_src.is_empty() {
            return None;
        }
        let allowed = std::iter::once(self.auth_url.as_str())
            .chain(self.connect_src.iter().map(String::as_str))
            .filter_map(normal_origin)
            .chain(page)
            .any(|origin| origin == target);
        (!allowed).then(|| {
            format!(
                "the catalog's {service} endpoint {url} is not in config.json connect_src, so \
                 the page's Content-Security-Policy blocks it: add \"{}\" to connect_src",
                crate::api::origin_of(url)
            )
        })
    }

    /// Whether a `#token=` link may sign in; `Err` holds what to tell the user when not.
    ///
    /// # Errors
    /// [`FRAGMENT_REFUSED`] unless `embed.accept_token_fragment` is set.
    pub fn admits_fragment(&self) -> Result<(), &'static str> {
        if self.embed.accept_token_fragment {
            Ok(())
        } else {
            Err(FRAGMENT_REFUSED)
        }
    }

    /// Whether a `postMessage` may hand over a token, by who sent it: `event.source` must be
    /// the window's parent frame, or its opener when `embed.allow_opener` is set (another
    /// window of an allowed origin, such as a sibling frame, may not), and `event.origin`
    /// must be allowed ([`PortalConfig::accepts_origin`]).
    pub fn accepts_message(&self, origin: &str, source: MessageSource) -> bool {
        let source_ok = match source {
            MessageSource::Parent => true,
            MessageSource::Opener => self.embed.allow_opener,
            MessageSource::Other => false,
        };
        source_ok && self.accepts_origin(origin)
    }

    /// Whether a `postMessage` from `origin` may hand over a token.
    pub fn accepts_origin(&self, origin: &str) -> bool {
        origin != "null"
            && self
                .embed
                .allowed_origins
                .iter()
                .any(|allowed| allowed.trim_end_matches('/') == origin)
    }
}

/// Who sent a `postMessage`, as `event.source` compares to the window's relatives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageSource {
    /// The frame the portal is embedded in (`window.parent`, not the window itself).
    Parent,
    /// The window that opened the portal (`window.opener`).
    Opener,
    /// Anything else: a sibling frame, another window, the portal itself, none.
    Other,
}

/// Test hooks read from the page URL. Only the portal built with the cargo feature
/// `test-hooks` (tests/portal/run.sh) has any; the portal scripts/portal/build.sh ships has
/// none, and ignores the URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct DebugFlags {
    /// `?debug=tamper`: flip one byte of the data after signing it, before the upload, so
    /// that Glance must refuse it (for the end-to-end test of a refused upload).
    #[cfg(feature = "test-hooks")]
    pub tamper: bool,
    /// `?debug=token-expiring`: the session's first token is taken to expire a minute from
    /// now, so that an upload asks the host page for a fresh one (the renewal's test).
    #[cfg(feature = "test-hooks")]
    pub token_expiring: bool,
}

impl DebugFlags {
    /// From the page's query pairs: `debug=<flag>,<flag>` (nothing without `test-hooks`).
    #[cfg_attr(not(feature = "test-hooks"), allow(unused_variables))]
    pub fn from_query(query: &[(String, String)]) -> Self {
        #[cfg_attr(not(feature = "test-hooks"), allow(unused_mut))]
        let mut flags = Self::default();
        #[cfg(feature = "test-hooks")]
        for (key, value) in query {
            if key == "debug" {
                for flag in value.split(',') {
                    match flag.trim() {
                        "tamper" => flags.tamper = true,
                        "token-expiring" => flags.token_expiring = true,
                        _ => {}
                    }
                }
            }
        }
        flags
    }
}

/// A token handed over by a host page (a `#token=` fragment or a `postMessage`).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Handover {
    /// The Keystone token.
    pub token: String,
    /// Keystone's URL, when the host names it.
    pub auth_url: Option<String>,
    /// The project to scope to, when the token is unscoped.
    pub project_id: Option<String>,
    /// The region whose endpoints to use (the dashboard's current region), instead of
    /// config.json's `region`; the endpoints still come from the token's own catalog.
    pub region: Option<String>,
}

impl std::fmt::Debug for Handover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handover")
            .field("token", &"<redacted>")
            .field("auth_url", &self.auth_url)
            .field("project_id", &self.project_id)
            .finish()
    }
}

impl Handover {
    /// From `key=value` pairs (a fragment, or a message's fields). `None` without a token.
    pub fn from_pairs(pairs: &[(String, String)]) -> Option<Self> {
        let find = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        Some(Self {
            token: find("token")?,
            auth_url: find("auth_url"),
            project_id: find("project_id"),
            region: find("region"),
        })
    }
}

/// Splits `a=b&c=d` (a query string without `?` or a fragment without `#`) into decoded pairs,
/// as the OpenStack layer reads Glance's and Barbican's paging links.
pub use openstack_proto::url::parse_query as parse_pairs;

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"{
        "auth_url": "http://127.0.0.1:5000/v3",
        "embed": {"allowed_origins": ["http://127.0.0.1:8081/"]},
        "connect_src": ["http://127.0.0.1:5000"]
    }"#;

    #[test]
    fn parses_config_with_defaults() {
        let config = PortalConfig::parse(CONFIG).expect("valid");
        assert_eq!(config.user_domain, "Default");
        assert_eq!(config.hash_method, "SHA-256");
        // Secure defaults: the Keystone URL is locked, no #token= links, no opener.
        assert!(config.lock_auth_url);
        assert!(!config.embed.accept_token_fragment);
        assert!(!config.embed.allow_opener);
        assert!(config.accepts_origin("http://127.0.0.1:8081"));
        assert!(!config.accepts_origin("http://127.0.0.1:8082"));
        assert!(!config.accepts_origin("null"));
        assert!(PortalConfig::parse(r#"{"auth_url": " "}"#).is_err());
        assert!(PortalConfig::parse("{").is_err());
    }

    #[test]
    fn query_overrides_unless_locked() {
        let query = parse_pairs("auth_url=http%3A%2F%2Fkeystone%3A5000%2Fv3&debug=tamper");
        // Locked by default: the URL does not move the Keystone URL.
        let locked = PortalConfig::parse(CONFIG)
            .expect("valid")
            .with_query(&query);
        assert_eq!(locked.auth_url, "http://127.0.0.1:5000/v3");
        let mut unlocked = PortalConfig::parse(CONFIG).expect("valid");
        unlocked.lock_auth_url = false;
        let config = unlocked.with_query(&query);
        assert_eq!(config.auth_url, "http://keystone:5000/v3");
        #[cfg(feature = "test-hooks")]
        {
            assert!(DebugFlags::from_query(&query).tamper);
            assert!(!DebugFlags::from_query(&[]).tamper);
        }
        // The shipped portal has no hooks: the URL changes nothing.
        #[cfg(not(feature = "test-hooks"))]
        assert_eq!(DebugFlags::from_query(&query), DebugFlags::default());

        let unlocked = PortalConfig::parse(
            r#"{"auth_url": "http://127.0.0.1:5000/v3", "lock_auth_url": false}"#,
        )
        .expect("valid");
        assert!(!unlocked.lock_auth_url);
    }

    #[test]
    fn token_fragment_only_when_configured() {
        let config = PortalConfig::parse(CONFIG).expect("valid");
        let refused = config.admits_fragment().expect_err("off by default");
        assert!(refused.contains("accept_token_fragment"), "{refused}");
        assert!(
            refused.contains("removed from the address bar"),
            "{refused}"
        );
        let allowed = PortalConfig::parse(
            r#"{"auth_url": "http://k/v3", "embed": {"accept_token_fragment": true}}"#,
        )
        .expect("valid");
        assert_eq!(allowed.admits_fragment(), Ok(()));
    }

    #[test]
    fn messages_only_from_the_parent_or_an_allowed_opener() {
        let config = PortalConfig::parse(CONFIG).expect("valid");
        let ok = "http://127.0.0.1:8081";
        assert!(config.accepts_message(ok, MessageSource::Parent));
        // The right origin from the wrong window: a sibling frame, or an opener not allowed.
        assert!(!config.accepts_message(ok, MessageSource::Other));
        assert!(!config.accepts_message(ok, MessageSource::Opener));
        assert!(!config.accepts_message("http://127.0.0.1:8082", MessageSource::Parent));
        let opener = PortalConfig::parse(
            r#"{"auth_url": "http://k/v3", "embed": {"allowed_origins": ["http://127.0.0.1:8081"], "allow_opener": true}}"#,
        )
        .expect("valid");
        assert!(opener.accepts_message(ok, MessageSource::Opener));
        assert!(!opener.accepts_message(ok, MessageSource::Other));
        assert!(!opener.accepts_message("null", MessageSource::Opener));
    }

    #[test]
    fn trust_anchors_from_config() {
        let none = PortalConfig::parse(CONFIG).expect("valid");
        assert!(none.trust_anchors().is_empty());

        let pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        let text = format!(
            r#"{{"auth_url": "http://127.0.0.1:5000/v3",
                "trusted_certificate_ids": [" 0f6c2a4e-1111-4222-8333-444455556666 ",
                    "https://barbican.example/v1/secrets/7a1d9e0c-aaaa-4bbb-8ccc-ddddeeeeffff/"],
                "trusted_certificates": [{pem:?}]}}"#
        );
        let anchors = PortalConfig::parse(&text).expect("valid").trust_anchors();
        assert_eq!(
            anchors.barbican_ids,
            vec![
                "0f6c2a4e-1111-4222-8333-444455556666".to_owned(),
                "7a1d9e0c-aaaa-4bbb-8ccc-ddddeeeeffff".to_owned(),
            ]
        );
        assert_eq!(anchors.pems, vec![pem.to_owned()]);
        assert_eq!(anchors.len(), 3);

        let empty_id = PortalConfig::parse(
            r#"{"auth_url": "http://k/v3", "trusted_certificate_ids": ["  "]}"#,
        )
        .expect_err("an empty id");
        assert!(
            empty_id.contains("trusted_certificate_ids[0] is empty"),
            "{empty_id}"
        );
        let not_pem =
            PortalConfig::parse(r#"{"auth_url": "http://k/v3", "trusted_certificates": ["MIIB"]}"#)
                .expect_err("not PEM");
        assert!(
            not_pem.contains("trusted_certificates[0] is not a PEM certificate"),
            "{not_pem}"
        );
        let not_a_list = PortalConfig::parse(
            r#"{"auth_url": "http://k/v3", "trusted_certificates": "-----BEGIN CERTIFICATE-----"}"#,
        )
        .expect_err("not a list");
        assert_eq!(
            not_a_list,
            "config.json: trusted_certificates must be a list of strings"
        );
    }

    #[test]
    fn handover_from_fragment() {
        let pairs = parse_pairs("token=gAAAA%2Babc&project_id=p1");
        let handover = Handover::from_pairs(&pairs).expect("token");
        assert_eq!(handover.token, "gAAAA+abc");
        assert_eq!(handover.project_id.as_deref(), Some("p1"));
        assert!(!format!("{handover:?}").contains("gAAAA"));
        assert!(Handover::from_pairs(&parse_pairs("token=&x=1")).is_none());
        assert_eq!(
            parse_pairs("a=%zz&b=%4"),
            vec![
                ("a".to_owned(), "%zz".to_owned()),
                ("b".to_owned(), "%4".to_owned()),
            ]
        );
    }
}
