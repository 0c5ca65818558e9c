//! Keystone v3: authentication requests, tokens, the service catalog, and project listing.
//!
//! The usual flow: [`Keystone::authenticate`] with an [`Auth`], send it, [`parse_token`]; then
//! find the Glance and Barbican endpoints with [`Catalog::endpoint`]. Without a project:
//! authenticate with [`Scope::Unscoped`], [`Keystone::list_projects`], [`parse_projects`], and
//! authenticate again with [`Auth::Token`] and the chosen [`Scope::Project`].

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::error::{check_status, parse_json, ApiError};
use crate::http::{Method, Request, Response, AUTH_TOKEN_HEADER, JSON, SUBJECT_TOKEN_HEADER};
use crate::secret::Secret;
use crate::service::Service;
pub use crate::service::{Interface, UnknownInterface};

/// A domain, by id or by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DomainRef {
    /// By id (`default`).
    Id(String),
    /// By name (`Default`).
    Name(String),
}

impl DomainRef {
    fn to_json(&self) -> Value {
        match self {
            Self::Id(id) => json!({ "id": id }),
            Self::Name(name) => json!({ "name": name }),
        }
    }
}

/// A user, by id, or by name within a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserRef {
    /// By id.
    Id(String),
    /// By name; names are unique only within a domain.
    Name {
        /// The user name.
        name: String,
        /// The user's domain.
        domain: DomainRef,
    },
}

impl UserRef {
    fn to_json(&self) -> Map<String, Value> {
        let mut user = Map::new();
        match self {
            Self::Id(id) => {
                user.insert("id".into(), json!(id));
            }
            Self::Name { name, domain } => {
                user.insert("name".into(), json!(name));
                user.insert("domain".into(), domain.to_json());
            }
        }
        user
    }
}

/// A project, by id, or by name within a domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProjectRef {
    /// By id.
    Id(String),
    /// By name within a domain.
    Name {
        /// The project name.
        name: String,
        /// The project's domain.
        domain: DomainRef,
    },
}

/// What the token should be scoped to.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Scope {
    /// Say nothing: Keystone scopes to the user's default project if one is set, otherwise the
    /// token is unscoped.
    #[default]
    Default,
    /// An unscoped token (`"scope": "unscoped"`), even if the user has a default project: for
    /// listing the user's projects first.
    Unscoped,
    /// A project-scoped token: the only kind whose catalog lists Glance and Barbican.
    Project(ProjectRef),
    /// A domain-scoped token.
    Domain(DomainRef),
}

impl Scope {
    fn to_json(&self) -> Option<Value> {
        match self {
            Self::Default => None,
            Self::Unscoped => Some(json!("unscoped")),
            Self::Project(ProjectRef::Id(id)) => Some(json!({ "project": { "id": id } })),
            Self::Project(ProjectRef::Name { name, domain }) => Some(json!({
                "project": { "name": name, "domain": domain.to_json() }
            })),
            Self::Domain(domain) => Some(json!({ "domain": domain.to_json() })),
        }
    }
}

/// An application credential. Its token is always scoped to the credential's own project, so
/// there is no [`Scope`] to give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplicationCredential {
    /// By id: the id alone identifies the credential.
    Id {
        /// The credential id.
        id: String,
        /// The credential secret.
        secret: Secret,
    },
    /// By name, which is unique only per user.
    Name {
        /// The credential name.
        name: String,
        /// The user who owns it.
        user: UserRef,
        /// The credential secret.
        secret: Secret,
    },
}

/// How to authenticate to Keystone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// User and password.
    Password {
        /// The user.
        user: UserRef,
        /// The password.
        password: Secret,
        /// The scope wanted.
        scope: Scope,
    },
    /// An application credential.
    ApplicationCredential(ApplicationCredential),
    /// An existing token, exchanged for a new one (typically an unscoped token rescoped to a
    /// project).
    Token {
        /// The existing token.
        token: Secret,
        /// The scope wanted.
        scope: Scope,
    },
}

impl Auth {
    /// The JSON body of `POST /v3/auth/tokens`.
    fn to_json(&self) -> Value {
        let (method, identity, scope) = match self {
            Self::Password {
                user,
                password,
                scope,
            } => {
                let mut user = user.to_json();
                user.insert("password".into(), json!(password.expose()));
                ("password", json!({ "user": user }), Some(scope))
            }
            Self::ApplicationCredential(ApplicationCredential::Id { id, secret }) => (
                "application_credential",
                json!({ "id": id, "secret": secret.expose() }),
                None,
            ),
            Self::ApplicationCredential(ApplicationCredential::Name { name, user, secret }) => (
                "application_credential",
                json!({ "name": name, "user": user.to_json(), "secret": secret.expose() }),
                None,
            ),
            Self::Token { token, scope } => ("token", json!({ "id": token.expose() }), Some(scope)),
        };
        let mut auth = Map::new();
        auth.insert(
            "identity".into(),
            json!({ "methods": [method], method: identity }),
        );
        if let Some(scope) = scope.and_then(Scope::to_json) {
            auth.insert("scope".into(), scope);
        }
        json!({ "auth": auth })
    }
}

/// Builds Keystone v3 requests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keystone {
    root: String,
}

impl Keystone {
    /// For an auth URL as clouds.yaml gives it: `http://127.0.0.1:5000/v3`,
    /// `http://127.0.0.1:5000`, `https://cloud.example/identity/`. An unversioned URL means the
    /// v3 API under it (no version discovery is done).
    pub fn new(auth_url: &str) -> Self {
        Self {
            root: crate::http::service_root(auth_url),
        }
    }

    /// The v3 base URL, e.g. `http://127.0.0.1:5000/v3`.
    pub fn base_url(&self) -> String {
        format!("{}/v3", self.root)
    }

    /// `POST /v3/auth/tokens`. The answer goes to [`parse_token`].
    pub fn authenticate(&self, auth: &Auth) -> Request {
        Request::new(Method::Post, format!("{}/v3/auth/tokens", self.root))
            .with_header("Accept", JSON)
            .with_json(JSON, &auth.to_json())
    }

    /// `GET /v3/auth/tokens` for `token`, with itself as the caller's: whether it is still
    /// valid (404 when revoked or expired), and its scope and catalog ([`parse_token`]).
    pub fn validate_token(&self, token: &Secret) -> Request {
        Request::new(Method::Get, format!("{}/v3/auth/tokens", self.root))
            .with_header("Accept", JSON)
            .with_header(AUTH_TOKEN_HEADER, token.expose())
            .with_header(SUBJECT_TOKEN_HEADER, token.expose())
    }

    /// `DELETE /v3/auth/tokens` for `token`, with itself as the caller's: revokes it at
    /// sign-out (204), so that a copy of it is worth nothing afterwards.
    pub fn revoke_token(&self, token: &Secret) -> Request {
        Request::new(Method::Delete, format!("{}/v3/auth/tokens", self.root))
            .with_header(AUTH_TOKEN_HEADER, token.expose())
            .with_header(SUBJECT_TOKEN_HEADER, token.expose())
    }

    /// `GET /v3/auth/projects`: the projects the token's user may scope to. Works with an
    /// unscoped token. The answer goes to [`parse_projects`].
    pub fn list_projects(&self, token: &Secret) -> Request {
        Request::new(Method::Get, format!("{}/v3/auth/projects", self.root))
            .with_header("Accept", JSON)
            .with_header(AUTH_TOKEN_HEADER, token.expose())
    }
}

/// A Keystone token and what Keystone said about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The token itself (the `X-Subject-Token` header), for `X-Auth-Token`.
    pub value: Secret,
    /// When it expires, as Keystone wrote it (`2026-11-23T12:41:57.000000Z`).
    pub expires_at: String,
    /// When it was issued, as Keystone wrote it.
    pub issued_at: Option<String>,
    /// The methods that made it (`password`, `token`, `application_credential`).
    pub methods: Vec<String>,
    /// The user it belongs to.
    pub user: TokenUser,
    /// The project, for a project-scoped token.
    pub project: Option<TokenProject>,
    /// The domain, for a domain-scoped token.
    pub domain: Option<NamedRef>,
    /// The roles on the scope.
    pub roles: Vec<NamedRef>,
    /// The service catalog (empty for an unscoped token).
    pub catalog: Catalog,
}

impl Token {
    /// [`Token::expires_at`] in seconds since the Unix epoch; `None` if Keystone's text cannot
    /// be read.
    pub fn expires_at_unix(&self) -> Option<i64> {
        crate::time::unix_seconds(&self.expires_at)
    }

    /// Whether the token has expired at `now` (seconds since the Unix epoch), or will within
    /// `margin` seconds. A token whose expiry cannot be read counts as expired.
    pub fn expires_within(&self, now: i64, margin: i64) -> bool {
        self.expires_at_unix()
            .is_none_or(|expiry| expiry <= now.saturating_add(margin))
    }

    /// Whether the token is scoped to a project.
    pub fn is_project_scoped(&self) -> bool {
        self.project.is_some()
    }

    /// The URL of an endpoint in the token's catalog.
    ///
    /// # Errors
    /// [`ApiError::EndpointNotFound`] when the catalog has none that matches.
    pub fn endpoint(&self, filter: &EndpointFilter) -> Result<&str, ApiError> {
        self.catalog.endpoint(filter)
    }
}

/// The user a token belongs to, or the project it is scoped to: Keystone gives both the same
/// shape.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct TokenEntity {
    /// The id.
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: String,
    /// Its domain.
    #[serde(default)]
    pub domain: Option<NamedRef>,
}

/// The user a token belongs to.
pub type TokenUser = TokenEntity;
/// The project a token is scoped to.
pub type TokenProject = TokenEntity;

/// An id and a name (a domain, a role).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct NamedRef {
    /// The id.
    pub id: String,
    /// The name.
    #[serde(default)]
    pub name: String,
}

/// The service catalog of a token.
#[derive(Clone, Debug, PartialEq, Eq, Default, Deserialize)]
#[serde(transparent)]
pub struct Catalog {
    /// The services, in Keystone's order.
    pub services: Vec<CatalogService>,
}

/// One service in the catalog.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CatalogService {
    /// The service id.
    #[serde(default)]
    pub id: String,
    /// The service type (`image`, `key-manager`, `identity`).
    #[serde(rename = "type")]
    pub service_type: String,
    /// The service name (`glance`, `barbican`, `keystone`).
    #[serde(default)]
    pub name: String,
    /// Its endpoints.
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
}

/// One endpoint of a catalog service.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Endpoint {
    /// The endpoint id.
    #[serde(default)]
    pub id: String,
    /// `public`, `internal` or `admin`.
    pub interface: String,
    /// The region name (older field).
    #[serde(default)]
    pub region: Option<String>,
    /// The region id.
    #[serde(default)]
    pub region_id: Option<String>,
    /// The URL, as the operator registered it (with or without a version suffix).
    pub url: String,
}

impl Endpoint {
    fn in_region(&self, region: &str) -> bool {
        self.region_id.as_deref() == Some(region) || self.region.as_deref() == Some(region)
    }
}

/// Which catalog endpoint to use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointFilter {
    /// The service type: `image`, `key-manager` or `identity`.
    pub service_type: String,
    /// The interface (public by default).
    pub interface: Interface,
    /// The region; `None` takes the first matching endpoint in catalog order.
    pub region: Option<String>,
}

impl EndpointFilter {
    /// The public endpoint of `service_type` in any region.
    pub fn new(service_type: &str) -> Self {
        Self {
            service_type: service_type.to_owned(),
            interface: Interface::Public,
            region: None,
        }
    }

    /// Glance's public endpoint.
    pub fn image() -> Self {
        Self::new(Service::Image.service_type())
    }

    /// Barbican's public endpoint.
    pub fn key_manager() -> Self {
        Self::new(Service::KeyManager.service_type())
    }

    /// Keystone's public endpoint.
    pub fn identity() -> Self {
        Self::new(Service::Identity.service_type())
    }

    /// The same filter with another interface.
    #[must_use]
    pub fn interface(mut self, interface: Interface) -> Self {
        self.interface = interface;
        self
    }

    /// The same filter restricted to a region.
    #[must_use]
    pub fn region(mut self, region: Option<&str>) -> Self {
        self.region = region.map(str::to_owned);
        self
    }
}

impl Catalog {
    /// The URL of the first endpoint that matches `filter`, as registered.
    ///
    /// # Errors
    /// [`ApiError::EndpointNotFound`] when no endpoint matches.
    pub fn endpoint(&self, filter: &EndpointFilter) -> Result<&str, ApiError> {
        self.services
            .iter()
            .filter(|service| service.service_type == filter.service_type)
            .flat_map(|service| service.endpoints.iter())
            .find(|endpoint| {
                endpoint.interface.parse::<Interface>().ok() == Some(filter.interface)
                    && filter
                        .region
                        .as_deref()
                        .is_none_or(|region| endpoint.in_region(region))
            })
            .map(|endpoint| endpoint.url.as_str())
            .ok_or_else(|| ApiError::EndpointNotFound {
                service_type: filter.service_type.clone(),
                interface: filter.interface,
                region: filter.region.clone(),
            })
    }
}

#[derive(Deserialize)]
struct TokenEnvelope {
    token: TokenBody,
}

#[derive(Deserialize)]
struct TokenBody {
    expires_at: String,
    #[serde(default)]
    issued_at: Option<String>,
    #[serde(default)]
    methods: Vec<String>,
    user: TokenUser,
    #[serde(default)]
    project: Option<TokenProject>,
    #[serde(default)]
    domain: Option<NamedRef>,
    #[serde(default)]
    roles: Vec<NamedRef>,
    #[serde(default)]
    catalog: Catalog,
}

/// Reads the answer to [`Keystone::authenticate`]: the `X-Subject-Token` header and the token
/// body with its catalog.
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer (401 for bad credentials or an expired token);
/// [`ApiError::InvalidResponse`] when the header or the body is missing or malformed.
pub fn parse_token(response: &Response) -> Result<Token, ApiError> {
    check_status(Service::Identity, response)?;
    let value = response
        .header(SUBJECT_TOKEN_HEADER)
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            ApiError::invalid_response(
                Service::Identity,
                response,
                "no X-Subject-Token header (a browser needs Keystone to expose it through CORS)",
            )
        })?;
    let body: TokenEnvelope = parse_json(Service::Identity, response)?;
    let token = body.token;
    Ok(Token {
        value: Secret::new(value),
        expires_at: token.expires_at,
        issued_at: token.issued_at,
        methods: token.methods,
        user: token.user,
        project: token.project,
        domain: token.domain,
        roles: token.roles,
        catalog: token.catalog,
    })
}

/// A project the user may scope to.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Project {
    /// The project id.
    pub id: String,
    /// The project name.
    pub name: String,
    /// The id of the project's domain.
    #[serde(default)]
    pub domain_id: Option<String>,
    /// Whether the project is enabled.
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// The description.
    #[serde(default)]
    pub description: Option<String>,
}

fn enabled_default() -> bool {
    true
}

impl Project {
    /// The scope for this project (by id).
    pub fn scope(&self) -> Scope {
        Scope::Project(ProjectRef::Id(self.id.clone()))
    }
}

#[derive(Deserialize)]
struct ProjectsEnvelope {
    projects: Vec<Project>,
}

/// Reads the answer to [`Keystone::list_projects`].
///
/// # Errors
/// [`ApiError::Status`] for a non-2xx answer; [`ApiError::InvalidResponse`] for a body without
/// a `projects` list.
pub fn parse_projects(response: &Response) -> Result<Vec<Project>, ApiError> {
    let body: ProjectsEnvelope = parse_json(Service::Identity, response)?;
    Ok(body.projects)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{json_body, response};

    const SCOPED: &str = include_str!("../tests/fixtures/keystone_token_project.json");
    const UNSCOPED: &str = include_str!("../tests/fixtures/keystone_token_unscoped.json");
    const APPCRED: &str = include_str!("../tests/fixtures/keystone_token_appcred.json");
    const PROJECTS: &str = include_str!("../tests/fixtures/keystone_auth_projects.json");

    fn token_response(body: &str) -> Response {
        response(
            201,
            &[
                ("Content-Type", "application/json"),
                ("X-Subject-Token", "gAAAAABnQf3xTOKEN"),
                (
                    "x-openstack-request-id",
                    "req-0a5d4e3c-8f1b-4c2a-9e7d-6b5a4c3d2e1f",
                ),
            ],
            body,
        )
    }

    #[test]
    fn password_project_scoped_body() {
        let auth = Auth::Password {
            user: UserRef::Name {
                name: "demo".into(),
                domain: DomainRef::Name("Default".into()),
            },
            password: "demo-secret".into(),
            scope: Scope::Project(ProjectRef::Name {
                name: "demo".into(),
                domain: DomainRef::Id("default".into()),
            }),
        };
        let request = Keystone::new("http://127.0.0.1:5000/v3/").authenticate(&auth);
        assert_eq!(request.method, Method::Post);
        assert_eq!(request.url, "http://127.0.0.1:5000/v3/auth/tokens");
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(request.header(AUTH_TOKEN_HEADER), None);
        assert_eq!(
            json_body(&request),
            json!({"auth": {
                "identity": {"methods": ["password"], "password": {"user": {
                    "name": "demo", "domain": {"name": "Default"}, "password": "demo-secret"}}},
                "scope": {"project": {"name": "demo", "domain": {"id": "default"}}}
            }})
        );
    }

    #[test]
    fn password_by_user_id_unscoped_and_default_scope() {
        let mut auth = Auth::Password {
            user: UserRef::Id("9b1c3f0e".into()),
            password: "pw".into(),
            scope: Scope::Unscoped,
        };
        let request = Keystone::new("http://127.0.0.1:5000").authenticate(&auth);
        assert_eq!(request.url, "http://127.0.0.1:5000/v3/auth/tokens");
        assert_eq!(
            json_body(&request),
            json!({"auth": {
                "identity": {"methods": ["password"],
                             "password": {"user": {"id": "9b1c3f0e", "password": "pw"}}},
                "scope": "unscoped"
            }})
        );
        if let Auth::Password { scope, .. } = &mut auth {
            *scope = Scope::Default;
        }
        let body = json_body(&Keystone::new("http://k/identity").authenticate(&auth));
        assert!(body["auth"].get("scope").is_none(), "{body}");
    }

    #[test]
    fn application_credential_bodies() {
        let by_id = Auth::ApplicationCredential(ApplicationCredential::Id {
            id: "423f19a4ac1e4f48bbb4180756e6eb6c".into(),
            secret: "rEaqvJka48mpv".into(),
        });
        assert_eq!(
            json_body(&Keystone::new("http://k:5000/v3").authenticate(&by_id)),
            json!({"auth": {"identity": {
                "methods": ["application_credential"],
                "application_credential": {"id": "423f19a4ac1e4f48bbb4180756e6eb6c",
                                           "secret": "rEaqvJka48mpv"}}}})
        );
        let by_name = Auth::ApplicationCredential(ApplicationCredential::Name {
            name: "monitoring".into(),
            user: UserRef::Name {
                name: "demo".into(),
                domain: DomainRef::Id("default".into()),
            },
            secret: "rEaqvJka48mpv".into(),
        });
        assert_eq!(
            json_body(&Keystone::new("http://k:5000/v3").authenticate(&by_name)),
            json!({"auth": {"identity": {
                "methods": ["application_credential"],
                "application_credential": {
                    "name": "monitoring",
                    "user": {"name": "demo", "domain": {"id": "default"}},
                    "secret": "rEaqvJka48mpv"}}}})
        );
    }

    #[test]
    fn token_rescope_and_domain_scope_bodies() {
        let auth = Auth::Token {
            token: "gAAAAAunscoped".into(),
            scope: Scope::Project(ProjectRef::Id("8e2f4b5c".into())),
        };
        assert_eq!(
            json_body(&Keystone::new("http://k:5000/v3").authenticate(&auth)),
            json!({"auth": {
                "identity": {"methods": ["token"], "token": {"id": "gAAAAAunscoped"}},
                "scope": {"project": {"id": "8e2f4b5c"}}}})
        );
        let auth = Auth::Token {
            token: "t".into(),
            scope: Scope::Domain(DomainRef::Name("Default".into())),
        };
        assert_eq!(
            json_body(&Keystone::new("http://k:5000/v3").authenticate(&auth))["auth"]["scope"],
            json!({"domain": {"name": "Default"}})
        );
    }

    #[test]
    fn debug_of_auth_and_request_hides_secrets() {
        let auth = Auth::Password {
            user: UserRef::Id("u".into()),
            password: "hunter2".into(),
            scope: Scope::Default,
        };
        let request = Keystone::new("http://k:5000/v3").authenticate(&auth);
        assert!(!format!("{auth:?}{request:?}").contains("hunter2"));
    }

    #[test]
    fn parse_project_scoped_token_and_catalog() {
        let token = parse_token(&token_response(SCOPED)).expect("token");
        assert_eq!(token.value.expose(), "gAAAAABnQf3xTOKEN");
        assert_eq!(token.expires_at, "2026-11-23T12:41:57.000000Z");
        assert_eq!(
            token.issued_at.as_deref(),
            Some("2026-11-23T11:41:57.000000Z")
        );
        assert_eq!(token.methods, vec!["password"]);
        assert_eq!(token.user.name, "demo");
        assert_eq!(
            token.user.domain.as_ref().map(|d| d.id.as_str()),
            Some("default")
        );
        let project = token.project.as_ref().expect("project");
        assert_eq!(project.name, "demo");
        assert_eq!(project.id, "8e2f4b5cc1a24f5aa1f0d1b2c3d4e5f6");
        assert!(token.is_project_scoped());
        assert_eq!(token.roles.len(), 2);
        assert_eq!(token.catalog.services.len(), 3);

        assert_eq!(
            token.endpoint(&EndpointFilter::image()),
            Ok("http://127.0.0.1:9292")
        );
        assert_eq!(
            token.endpoint(&EndpointFilter::key_manager()),
            Ok("http://127.0.0.1:9311")
        );
        assert_eq!(
            token.endpoint(&EndpointFilter::identity()),
            Ok("http://127.0.0.1:5000/v3")
        );
        assert_eq!(
            token.endpoint(&EndpointFilter::image().interface(Interface::Internal)),
            Ok("http://10.0.0.5:9292/v2/")
        );
        assert_eq!(
            token.endpoint(&EndpointFilter::image().region(Some("RegionTwo"))),
            Ok("https://image.region-two.example/v2")
        );
        let missing = token
            .endpoint(&EndpointFilter::image().region(Some("RegionThree")))
            .expect_err("no such region");
        assert_eq!(
            missing.to_string(),
            "the service catalog has no public endpoint for service type image in region \
             RegionThree"
        );
        assert!(token.endpoint(&EndpointFilter::new("compute")).is_err());
        assert!(token
            .endpoint(&EndpointFilter::key_manager().interface(Interface::Admin))
            .is_err());

        assert_eq!(token.expires_at_unix(), Some(1_795_437_717));
        assert!(!token.expires_within(1_795_437_717 - 600, 300));
        assert!(token.expires_within(1_795_437_717 - 200, 300));
        assert!(token.expires_within(1_795_437_717, 0));
    }

    #[test]
    fn parse_unscoped_token() {
        let token = parse_token(&token_response(UNSCOPED)).expect("token");
        assert!(token.project.is_none());
        assert!(token.catalog.services.is_empty());
        assert!(token.roles.is_empty());
        assert!(token.endpoint(&EndpointFilter::image()).is_err());
    }

    #[test]
    fn parse_application_credential_token() {
        let token = parse_token(&token_response(APPCRED)).expect("token");
        assert_eq!(token.methods, vec!["application_credential"]);
        assert_eq!(
            token.project.as_ref().map(|p| p.name.as_str()),
            Some("demo")
        );
        assert_eq!(
            token.endpoint(&EndpointFilter::image()),
            Ok("http://127.0.0.1:9292")
        );
    }

    #[test]
    fn token_without_header_or_with_bad_body() {
        let mut response = token_response(SCOPED);
        response
            .headers
            .retain(|(name, _)| name != "X-Subject-Token");
        let error = parse_token(&response).expect_err("no header");
        assert_eq!(error.kind(), crate::ErrorKind::InvalidResponse);
        assert!(error.to_string().contains("X-Subject-Token"), "{error}");

        let error = parse_token(&token_response("{\"token\": {}}")).expect_err("bad body");
        assert_eq!(error.kind(), crate::ErrorKind::InvalidResponse);
        assert_eq!(
            error.request_id(),
            Some("req-0a5d4e3c-8f1b-4c2a-9e7d-6b5a4c3d2e1f")
        );
        assert!(parse_token(&token_response("")).is_err());
        assert!(parse_token(&token_response("<html>")).is_err());
    }

    #[test]
    fn token_401() {
        let response = Response::new(
            401,
            Vec::new(),
            include_bytes!("../tests/fixtures/keystone_401.json").to_vec(),
        );
        let error = parse_token(&response).expect_err("401");
        assert!(error.is_unauthorized());
        assert_eq!(error.service(), Some(Service::Identity));
    }

    #[test]
    fn a_token_validates_and_revokes_itself() {
        let keystone = Keystone::new("http://127.0.0.1:5000/v3");
        let token = Secret::new("tok");
        for (request, method) in [
            (keystone.validate_token(&token), Method::Get),
            (keystone.revoke_token(&token), Method::Delete),
        ] {
            assert_eq!(request.method, method);
            assert_eq!(request.url, "http://127.0.0.1:5000/v3/auth/tokens");
            assert_eq!(request.header("x-auth-token"), Some("tok"));
            assert_eq!(request.header("x-subject-token"), Some("tok"));
        }
    }

    #[test]
    fn list_and_parse_projects() {
        let request = Keystone::new("http://127.0.0.1:5000/v3").list_projects(&"tok".into());
        assert_eq!(request.method, Method::Get);
        assert_eq!(request.url, "http://127.0.0.1:5000/v3/auth/projects");
        assert_eq!(request.header("x-auth-token"), Some("tok"));
        let response = Response::new(200, Vec::new(), PROJECTS.as_bytes().to_vec());
        let projects = parse_projects(&response).expect("projects");
        assert_eq!(projects.len(), 2);
        assert_eq!(projects[0].name, "demo");
        assert_eq!(projects[0].domain_id.as_deref(), Some("default"));
        assert!(projects[0].enabled);
        assert!(!projects[1].enabled);
        assert_eq!(
            projects[0].scope(),
            Scope::Project(ProjectRef::Id("8e2f4b5cc1a24f5aa1f0d1b2c3d4e5f6".into()))
        );
    }

    #[test]
    fn interfaces() {
        for (text, interface) in [
            ("public", Interface::Public),
            ("publicURL", Interface::Public),
            ("Internal", Interface::Internal),
            ("adminURL", Interface::Admin),
        ] {
            assert_eq!(text.parse::<Interface>(), Ok(interface));
        }
        assert!("private".parse::<Interface>().is_err());
        assert_eq!(Interface::default(), Interface::Public);
    }
}
