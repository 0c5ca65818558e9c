//! clouds.yaml and `OS_*` variables, read the way openstacksdk and python-openstackclient read
//! them, without touching files or the process environment: the caller reads the file (see
//! [`clouds_yaml_candidates`] for where) and passes the variables in.
//!
//! # Why not the `openstack_sdk` crate
//! `openstack_sdk` / `openstack_sdk_core` 0.22 (crates.io) was checked first. Its core does build
//! for wasm32-unknown-unknown with default features off, but it is not usable here:
//! - its configuration loader only reads files by path (`ConfigFileBuilder::add_source` takes a
//!   `Path`, `ConfigFile::new` searches the disk) and `CloudConfig::from_env` reads the process
//!   environment: there is no entry point that takes clouds.yaml text or a map of variables;
//! - requests are driven through its own `Client` / `AsyncClient` traits (tokio, `async_trait`,
//!   reqwest types in the tree) rather than handed out as plain values, and streamed uploads go
//!   through tokio's `AsyncRead`, which a browser `fetch` cannot supply;
//! - it has no Barbican (key-manager) API at all;
//! - it brings about 160 crates (reqwest, tokio, config, tempfile, dirs, regex, chrono, ...) and
//!   needs rustc 1.91, while the workspace promises 1.85.
//!
//! So this module is our own, small, and follows openstacksdk's rules where they matter: keys
//! under `auth:` or at the cloud's top level, `tenant_*` aliases, `domain_*` filling in the user
//! and project domains of a project-scoped cloud, the first of `regions` as the default region,
//! `secure.yaml` merged over clouds.yaml, and `OS_*` variables overriding the selected cloud (as
//! python-openstackclient does).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_norway::Value as Yaml;

pub use crate::config_error::ConfigError;
use crate::error::ApiError;
use crate::keystone::{
    ApplicationCredential, Auth, DomainRef, EndpointFilter, Interface, Keystone, ProjectRef, Scope,
    UserRef,
};
use crate::secret::Secret;
use crate::service::Service;

/// A parsed clouds.yaml (or secure.yaml, or clouds.json) text.
#[derive(Clone, Debug, PartialEq)]
pub struct CloudsYaml {
    /// The `clouds:` mapping.
    clouds: serde_norway::Mapping,
}

impl CloudsYaml {
    /// Parses the text of a clouds.yaml, clouds.yml, clouds.json or secure.yaml file.
    ///
    /// # Errors
    /// [`ConfigError::Yaml`] for text that is not YAML, [`ConfigError::NoClouds`] when it has
    /// no `clouds:` mapping (both as [`ApiError::Config`]).
    pub fn parse(text: &str) -> Result<Self, ApiError> {
        let document: Yaml =
            serde_norway::from_str(text).map_err(|error| ConfigError::Yaml(error.to_string()))?;
        match document.get("clouds") {
            Some(Yaml::Mapping(clouds)) => Ok(Self {
                clouds: clouds.clone(),
            }),
            _ => Err(ConfigError::NoClouds.into()),
        }
    }

    /// The cloud names, in file order.
    pub fn names(&self) -> Vec<String> {
        self.clouds.keys().filter_map(scalar).collect()
    }

    /// Merges a secure.yaml over this file, as openstacksdk does: its values win, mappings are
    /// merged key by key.
    pub fn merge(&mut self, secure: &CloudsYaml) {
        for (name, cloud) in &secure.clouds {
            match self.clouds.get_mut(name) {
                Some(existing) => merge_yaml(existing, cloud),
                None => {
                    self.clouds.insert(name.clone(), cloud.clone());
                }
            }
        }
    }

    /// The configuration of the cloud `name`.
    ///
    /// # Errors
    /// [`ConfigError::CloudNotFound`] (as [`ApiError::Config`]) when the file has no such cloud.
    pub fn cloud(&self, name: &str) -> Result<CloudConfig, ApiError> {
        let cloud = self
            .clouds
            .iter()
            .find(|(key, _)| scalar(key).as_deref() == Some(name))
            .map(|(_, cloud)| cloud)
            .ok_or_else(|| ConfigError::CloudNotFound {
                name: name.to_owned(),
                known: self.names(),
            })?;
        let mut settings = Settings::new();
        if let Yaml::Mapping(map) = cloud {
            for (key, value) in map {
                let Some(key) = scalar(key) else { continue };
                match (key.as_str(), value) {
                    ("auth", _) => {}
                    ("regions", Yaml::Sequence(regions)) => {
                        if let Some(first) = regions.first().and_then(region_name) {
                            settings.set_default("region_name", first);
                        }
                    }
                    (_, value) => {
                        if let Some(value) = scalar(value) {
                            settings.set(&key, value);
                        }
                    }
                }
            }
            // `auth:` keys win over the same keys at the cloud's top level.
            if let Some(Yaml::Mapping(auth)) = map.get("auth") {
                for (key, value) in auth {
                    if let (Some(key), Some(value)) = (scalar(key), scalar(value)) {
                        settings.set(&key, value);
                    }
                }
            }
        }
        Ok(settings.into_config(Some(name.to_owned())))
    }
}

/// `regions:` entries are names or `{name: ..., values: {...}}`.
fn region_name(region: &Yaml) -> Option<String> {
    match region {
        Yaml::Mapping(map) => map.get("name").and_then(scalar),
        other => scalar(other),
    }
}

fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(text) => Some(text.clone()),
        Yaml::Number(number) => Some(number.to_string()),
        Yaml::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn merge_yaml(base: &mut Yaml, over: &Yaml) {
    match (base, over) {
        (Yaml::Mapping(base), Yaml::Mapping(over)) => {
            for (key, value) in over {
                match base.get_mut(key) {
                    Some(existing) => merge_yaml(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, over) => *base = over.clone(),
    }
}

/// `OS_*` variables that choose a cloud or a region rather than give credentials: alone they do
/// not make an `envvars` cloud (openstacksdk's rule).
const SELECTORS: &[&str] = &[
    "OS_CLOUD",
    "OS_REGION_NAME",
    "OS_CLIENT_CONFIG_FILE",
    "OS_CLIENT_SECURE_FILE",
    "OS_CLOUD_NAME",
];

/// Collected settings, keys normalized (lower case, `-` as `_`, aliases resolved).
struct Settings(BTreeMap<String, String>);

impl Settings {
    fn new() -> Self {
        Self(BTreeMap::new())
    }

    fn canonical(key: &str) -> String {
        let key = key.trim().to_ascii_lowercase().replace('-', "_");
        match key.as_str() {
            "tenant_name" => "project_name".to_owned(),
            "tenant_id" => "project_id".to_owned(),
            "auth_token" => "token".to_owned(),
            "endpoint_type" => "interface".to_owned(),
            _ => key,
        }
    }

    fn set(&mut self, key: &str, value: String) {
        self.0.insert(Self::canonical(key), value);
    }

    fn set_default(&mut self, key: &str, value: String) {
        self.0.entry(Self::canonical(key)).or_insert(value);
    }

    fn take(&mut self, key: &str) -> Option<String> {
        self.0.remove(key).filter(|value| !value.is_empty())
    }

    fn into_config(mut self, name: Option<String>) -> CloudConfig {
        // openstacksdk's _handle_domain_id: in a project-scoped cloud, domain_id/domain_name
        // stand for the user's and the project's domain; otherwise they are the scope.
        let project_scoped =
            self.0.contains_key("project_id") || self.0.contains_key("project_name");
        if project_scoped {
            for (general, specific) in [
                ("domain_id", ["user_domain_id", "project_domain_id"]),
                ("domain_name", ["user_domain_name", "project_domain_name"]),
            ] {
                if let Some(value) = self.take(general) {
                    for key in specific {
                        self.set_default(key, value.clone());
                    }
                }
            }
        }
        let verify = match self.take("verify") {
            Some(value) => Some(!is_false(&value)),
            None => self.take("insecure").map(|value| is_false(&value)),
        };
        CloudConfig {
            name,
            auth_type: self.take("auth_type"),
            auth_url: self.take("auth_url"),
            username: self.take("username"),
            user_id: self.take("user_id"),
            password: self.take("password").map(Secret::new),
            user_domain_name: self.take("user_domain_name"),
            user_domain_id: self.take("user_domain_id"),
            project_name: self.take("project_name"),
            project_id: self.take("project_id"),
            project_domain_name: self.take("project_domain_name"),
            project_domain_id: self.take("project_domain_id"),
            domain_name: self.take("domain_name"),
            domain_id: self.take("domain_id"),
            application_credential_id: self.take("application_credential_id"),
            application_credential_name: self.take("application_credential_name"),
            application_credential_secret: self
                .take("application_credential_secret")
                .map(Secret::new),
            token: self.take("token").map(Secret::new),
            region_name: self.take("region_name"),
            interface: self.take("interface"),
            cacert: self.take("cacert"),
            cert: self.take("cert"),
            key: self.take("key"),
            verify,
            profile: self.take("profile"),
        }
    }
}

fn is_false(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "false" | "no" | "0" | "off"
    )
}

/// The settings of one cloud, from clouds.yaml or `OS_*` variables. Every field is optional
/// here; [`CloudConfig::auth`] and [`CloudConfig::keystone`] say what is missing.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct CloudConfig {
    /// The cloud's name in clouds.yaml, or `envvars` for a cloud made of `OS_*` variables.
    pub name: Option<String>,
    /// `password` / `v3password`, `v3applicationcredential`, `token` / `v3token`; inferred when
    /// absent.
    pub auth_type: Option<String>,
    /// Keystone's URL (`http://127.0.0.1:5000/v3`).
    pub auth_url: Option<String>,
    /// The user name.
    pub username: Option<String>,
    /// The user id.
    pub user_id: Option<String>,
    /// The password.
    pub password: Option<Secret>,
    /// The user's domain, by name.
    pub user_domain_name: Option<String>,
    /// The user's domain, by id.
    pub user_domain_id: Option<String>,
    /// The project, by name.
    pub project_name: Option<String>,
    /// The project, by id.
    pub project_id: Option<String>,
    /// The project's domain, by name.
    pub project_domain_name: Option<String>,
    /// The project's domain, by id.
    pub project_domain_id: Option<String>,
    /// The domain to scope to (only when no project is given).
    pub domain_name: Option<String>,
    /// The domain to scope to, by id (only when no project is given).
    pub domain_id: Option<String>,
    /// The application credential id.
    pub application_credential_id: Option<String>,
    /// The application credential name (with the user).
    pub application_credential_name: Option<String>,
    /// The application credential secret.
    pub application_credential_secret: Option<Secret>,
    /// An existing token.
    pub token: Option<Secret>,
    /// The region.
    pub region_name: Option<String>,
    /// The endpoint interface (`public` when absent).
    pub interface: Option<String>,
    /// A CA bundle path, for the caller's TLS setup.
    pub cacert: Option<String>,
    /// A client certificate path, for the caller's TLS setup.
    pub cert: Option<String>,
    /// A client key path, for the caller's TLS setup.
    pub key: Option<String>,
    /// `verify: false` or `OS_INSECURE=true` gives `Some(false)`.
    pub verify: Option<bool>,
    /// A vendor profile name (not expanded here).
    pub profile: Option<String>,
}

/// The auth types this crate implements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AuthType {
    Password,
    ApplicationCredential,
    Token,
}

impl CloudConfig {
    /// A cloud made of `OS_*` variables (`OS_AUTH_URL`, `OS_USERNAME`, `OS_PASSWORD`,
    /// `OS_PROJECT_NAME`, `OS_PROJECT_ID`, `OS_USER_DOMAIN_NAME`, `OS_PROJECT_DOMAIN_NAME`,
    /// `OS_APPLICATION_CREDENTIAL_ID`, `OS_APPLICATION_CREDENTIAL_SECRET`, `OS_TOKEN`,
    /// `OS_REGION_NAME`, `OS_INTERFACE`, `OS_AUTH_TYPE`, `OS_CACERT`, ...: every `OS_X` becomes
    /// setting `x`). Other variables are ignored, so `std::env::vars()` can be passed whole.
    /// `None` when there are no `OS_*` variables other than the selectors (`OS_CLOUD`,
    /// `OS_REGION_NAME`, `OS_CLIENT_CONFIG_FILE`, ...).
    pub fn from_env<I, K, V>(vars: I) -> Option<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut settings = Settings::new();
        let mut credentials = false;
        for (key, value) in vars {
            let (key, value) = (key.as_ref(), value.as_ref());
            let Some(setting) = env_setting(key) else {
                continue;
            };
            if !SELECTORS.contains(&key) {
                credentials = true;
            }
            settings.set(setting, value.to_owned());
        }
        credentials.then(|| settings.into_config(Some("envvars".to_owned())))
    }

    /// Overlays another configuration's set fields onto this one (used for `OS_*` variables
    /// over a clouds.yaml cloud). The name stays.
    fn overlay(&mut self, over: CloudConfig) {
        macro_rules! take {
            ($($field:ident),*) => {
                $(if over.$field.is_some() { self.$field = over.$field; })*
            };
        }
        take!(
            auth_type,
            auth_url,
            username,
            user_id,
            password,
            user_domain_name,
            user_domain_id,
            project_name,
            project_id,
            project_domain_name,
            project_domain_id,
            domain_name,
            domain_id,
            application_credential_id,
            application_credential_name,
            application_credential_secret,
            token,
            region_name,
            interface,
            cacert,
            cert,
            key,
            verify,
            profile
        );
    }

    fn auth_type(&self) -> Result<AuthType, ConfigError> {
        match self
            .auth_type
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("password" | "v3password") => Ok(AuthType::Password),
            Some(
                "v3applicationcredential" | "applicationcredential" | "application_credential",
            ) => Ok(AuthType::ApplicationCredential),
            Some("token" | "v3token") => Ok(AuthType::Token),
            Some(other) => Err(ConfigError::UnsupportedAuthType(other.to_owned())),
            None if self.application_credential_secret.is_some() => {
                Ok(AuthType::ApplicationCredential)
            }
            None if self.token.is_some() && self.password.is_none() => Ok(AuthType::Token),
            None => Ok(AuthType::Password),
        }
    }

    /// The Keystone request builder for `auth_url`.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] without `auth_url` ([`ConfigError::ProfileUnsupported`] when a
    /// vendor profile was meant to give it), as [`ApiError::Config`].
    pub fn keystone(&self) -> Result<Keystone, ApiError> {
        match (&self.auth_url, &self.profile) {
            (Some(url), _) => Ok(Keystone::new(url)),
            (None, Some(profile)) => Err(ConfigError::ProfileUnsupported(profile.clone()).into()),
            (None, None) => Err(ConfigError::Missing {
                auth_type: "any",
                needs: "auth_url",
            }
            .into()),
        }
    }

    /// The [`Auth`] these settings describe. `auth_type`, when absent, is inferred:
    /// application credential if a credential secret is set, token if a token and no password
    /// is set, password otherwise. A user or project named without a domain is taken to be in
    /// the domain with id `default`, as python-openstackclient does.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] when a needed setting is absent,
    /// [`ConfigError::UnsupportedAuthType`] for another `auth_type` (as [`ApiError::Config`]).
    pub fn auth(&self) -> Result<Auth, ApiError> {
        match self.auth_type()? {
            AuthType::Password => {
                let user = self.user().ok_or(ConfigError::Missing {
                    auth_type: "password",
                    needs: "username or user_id",
                })?;
                let password = self.password.clone().ok_or(ConfigError::Missing {
                    auth_type: "password",
                    needs: "password",
                })?;
                Ok(Auth::Password {
                    user,
                    password,
                    scope: self.scope(),
                })
            }
            AuthType::ApplicationCredential => {
                let secret =
                    self.application_credential_secret
                        .clone()
                        .ok_or(ConfigError::Missing {
                            auth_type: "v3applicationcredential",
                            needs: "application_credential_secret",
                        })?;
                if let Some(id) = &self.application_credential_id {
                    return Ok(Auth::ApplicationCredential(ApplicationCredential::Id {
                        id: id.clone(),
                        secret,
                    }));
                }
                let missing_name = ConfigError::Missing {
                    auth_type: "v3applicationcredential",
                    needs: "application_credential_id, or application_credential_name and \
                            username or user_id",
                };
                let name = self
                    .application_credential_name
                    .clone()
                    .ok_or(missing_name.clone())?;
                let user = self.user().ok_or(missing_name)?;
                Ok(Auth::ApplicationCredential(ApplicationCredential::Name {
                    name,
                    user,
                    secret,
                }))
            }
            AuthType::Token => {
                let token = self.token.clone().ok_or(ConfigError::Missing {
                    auth_type: "token",
                    needs: "token",
                })?;
                Ok(Auth::Token {
                    token,
                    scope: self.scope(),
                })
            }
        }
    }

    fn user(&self) -> Option<UserRef> {
        if let Some(id) = &self.user_id {
            return Some(UserRef::Id(id.clone()));
        }
        self.username.as_ref().map(|name| UserRef::Name {
            name: name.clone(),
            domain: domain_ref(&self.user_domain_id, &self.user_domain_name),
        })
    }

    fn scope(&self) -> Scope {
        if let Some(id) = &self.project_id {
            return Scope::Project(ProjectRef::Id(id.clone()));
        }
        if let Some(name) = &self.project_name {
            return Scope::Project(ProjectRef::Name {
                name: name.clone(),
                domain: domain_ref(&self.project_domain_id, &self.project_domain_name),
            });
        }
        match (&self.domain_id, &self.domain_name) {
            (Some(id), _) => Scope::Domain(DomainRef::Id(id.clone())),
            (None, Some(name)) => Scope::Domain(DomainRef::Name(name.clone())),
            (None, None) => Scope::Default,
        }
    }

    /// The catalog filter for `service`, with this cloud's interface and region.
    ///
    /// # Errors
    /// [`ConfigError::InvalidValue`] (as [`ApiError::Config`]) for an unknown interface.
    pub fn endpoint_filter(&self, service: Service) -> Result<EndpointFilter, ApiError> {
        let interface = match &self.interface {
            Some(text) => text
                .parse::<Interface>()
                .map_err(|_| ConfigError::InvalidValue {
                    key: "interface".to_owned(),
                    value: text.clone(),
                })?,
            None => Interface::Public,
        };
        Ok(EndpointFilter::new(service.service_type())
            .interface(interface)
            .region(self.region_name.as_deref()))
    }
}

fn domain_ref(id: &Option<String>, name: &Option<String>) -> DomainRef {
    match (id, name) {
        (Some(id), _) => DomainRef::Id(id.clone()),
        (None, Some(name)) => DomainRef::Name(name.clone()),
        (None, None) => DomainRef::Id("default".to_owned()),
    }
}

/// `OS_USERNAME` → `username`; `None` for non-`OS_` variables and for oslotest's `OS_TEST*`,
/// `OS_STD*`, `OS_LOG*` (skipped by openstacksdk too) and for `OS_CLOUD` and the config file
/// selectors, which are not settings.
fn env_setting(key: &str) -> Option<&str> {
    let setting = key.strip_prefix("OS_")?;
    if setting.is_empty()
        || ["TEST", "STD", "LOG"]
            .iter()
            .any(|p| setting.starts_with(p))
        || matches!(
            key,
            "OS_CLOUD" | "OS_CLIENT_CONFIG_FILE" | "OS_CLIENT_SECURE_FILE" | "OS_CLOUD_NAME"
        )
    {
        return None;
    }
    Some(setting)
}

/// Chooses the cloud and its settings as python-openstackclient does:
/// 1. a cloud named by `cloud` (a `--os-cloud` argument) or else by `OS_CLOUD` is taken from
///    `clouds`, and any other `OS_*` variables override its settings (so a password can stay out
///    of the file);
/// 2. otherwise `OS_*` credentials, if any, make the cloud (`envvars`);
/// 3. otherwise the only cloud in `clouds`, if it has exactly one.
///
/// `clouds` is the first clouds.yaml found (see [`clouds_yaml_candidates`]), with secure.yaml
/// already [merged](CloudsYaml::merge) into it.
///
/// # Errors
/// [`ConfigError::CloudNotFound`] for a named cloud that is not there,
/// [`ConfigError::NoCloudSelected`] when nothing chooses a cloud (as [`ApiError::Config`]).
pub fn resolve<I, K, V>(
    clouds: Option<&CloudsYaml>,
    env: I,
    cloud: Option<&str>,
) -> Result<CloudConfig, ApiError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let env: Vec<(String, String)> = env
        .into_iter()
        .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().to_owned()))
        .filter(|(k, _)| k.starts_with("OS_"))
        .collect();
    let os_cloud = env
        .iter()
        .find(|(k, _)| k == "OS_CLOUD")
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty());
    let from_env = CloudConfig::from_env(env.iter().map(|(k, v)| (k, v)));

    if let Some(name) = cloud.or(os_cloud) {
        let Some(clouds) = clouds else {
            return Err(ConfigError::CloudNotFound {
                name: name.to_owned(),
                known: Vec::new(),
            }
            .into());
        };
        let mut config = clouds.cloud(name)?;
        // OS_REGION_NAME alone (a selector) also overrides the file's region.
        let region_only = CloudConfig {
            region_name: env
                .iter()
                .find(|(k, _)| k == "OS_REGION_NAME")
                .map(|(_, v)| v.clone()),
            ..CloudConfig::default()
        };
        config.overlay(from_env.unwrap_or(region_only));
        return Ok(config);
    }
    if let Some(config) = from_env {
        return Ok(config);
    }
    let known = clouds.map(CloudsYaml::names).unwrap_or_default();
    match (clouds, known.as_slice()) {
        (Some(clouds), [only]) => clouds.cloud(only),
        _ => Err(ConfigError::NoCloudSelected { known }.into()),
    }
}

/// The directories clouds.yaml is looked for in; the caller fills in what the platform has.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ConfigDirs {
    /// The current directory.
    pub cwd: Option<PathBuf>,
    /// The user's home directory (`~/.config/openstack` is looked in).
    pub home: Option<PathBuf>,
    /// The platform's per-user configuration directory (`$XDG_CONFIG_HOME`, or
    /// `~/Library/Application Support` on macOS); `openstack` is appended.
    pub user_config_dir: Option<PathBuf>,
    /// The platform's site configuration directory (`/etc/xdg` on Linux); `openstack` is
    /// appended. `/etc/openstack` is always looked in.
    pub site_config_dir: Option<PathBuf>,
    /// `OS_CLIENT_CONFIG_FILE`, looked at first.
    pub client_config_file: Option<PathBuf>,
}

/// Where clouds.yaml may be, in openstacksdk's order: `OS_CLIENT_CONFIG_FILE`, then
/// `clouds.yaml`, `clouds.yml`, `clouds.json` in the current directory, the user configuration
/// directory, `~/.config/openstack`, the site configuration directory and `/etc/openstack`. The
/// first that exists wins. Duplicates are dropped.
pub fn clouds_yaml_candidates(dirs: &ConfigDirs) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = dirs.client_config_file.iter().cloned().collect();
    paths.extend(candidates(dirs, "clouds"));
    dedup(paths)
}

/// Where secure.yaml may be: `secure_file` (`OS_CLIENT_SECURE_FILE`) first, then `secure.yaml`,
/// `secure.yml`, `secure.json` in the directories of [`clouds_yaml_candidates`]. Its settings
/// are [merged](CloudsYaml::merge) over clouds.yaml.
pub fn secure_yaml_candidates(dirs: &ConfigDirs, secure_file: Option<&Path>) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = secure_file.map(Path::to_path_buf).into_iter().collect();
    paths.extend(candidates(dirs, "secure"));
    dedup(paths)
}

fn candidates(dirs: &ConfigDirs, stem: &str) -> Vec<PathBuf> {
    let search: Vec<PathBuf> = [
        dirs.cwd.clone(),
        dirs.user_config_dir.as_ref().map(|d| d.join("openstack")),
        dirs.home
            .as_ref()
            .map(|h| h.join(".config").join("openstack")),
        dirs.site_config_dir.as_ref().map(|d| d.join("openstack")),
        Some(PathBuf::from("/etc/openstack")),
    ]
    .into_iter()
    .flatten()
    .collect();
    search
        .iter()
        .flat_map(|dir| {
            ["yaml", "yml", "json"]
                .iter()
                .map(move |ext| dir.join(format!("{stem}.{ext}")))
        })
        .collect()
}

fn dedup(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = Vec::with_capacity(paths.len());
    for path in paths {
        if !seen.contains(&path) {
            seen.push(path);
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOUDS: &str = include_str!("../tests/fixtures/clouds.yaml");
    const SECURE: &str = include_str!("../tests/fixtures/secure.yaml");

    fn clouds() -> CloudsYaml {
        CloudsYaml::parse(CLOUDS).expect("clouds.yaml")
    }

    fn config_error(error: ApiError) -> ConfigError {
        match error {
            ApiError::Config(error) => error,
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    fn user_by_name(name: &str, domain: DomainRef) -> UserRef {
        UserRef::Name {
            name: name.into(),
            domain,
        }
    }

    fn project_by_name(name: &str, domain: DomainRef) -> Scope {
        Scope::Project(ProjectRef::Name {
            name: name.into(),
            domain,
        })
    }

    fn domain_id(id: &str) -> DomainRef {
        DomainRef::Id(id.into())
    }

    fn domain_name(name: &str) -> DomainRef {
        DomainRef::Name(name.into())
    }

    fn password(user: UserRef, password: &str, scope: Scope) -> Auth {
        Auth::Password {
            user,
            password: password.into(),
            scope,
        }
    }

    #[test]
    fn names_in_file_order() {
        assert_eq!(
            clouds().names(),
            vec![
                "devstack",
                "appcred",
                "appcred-by-name",
                "tokencloud",
                "domainwide",
                "legacy",
                "numeric",
                "profiled",
                "oidc",
                "top-level-keys"
            ]
        );
    }

    #[test]
    fn password_cloud() {
        let cloud = clouds().cloud("devstack").expect("devstack");
        assert_eq!(cloud.name.as_deref(), Some("devstack"));
        assert_eq!(cloud.region_name.as_deref(), Some("RegionOne"));
        assert_eq!(
            cloud.keystone().expect("keystone").base_url(),
            "http://127.0.0.1:5000/v3"
        );
        assert_eq!(
            cloud.endpoint_filter(Service::Image),
            Ok(EndpointFilter::image().region(Some("RegionOne")))
        );
        assert!(!format!("{cloud:?}").contains("demo-secret"));
    }

    #[test]
    fn application_credential_clouds() {
        let cloud = clouds().cloud("appcred").expect("appcred");
        // The first of `regions` is the default region.
        assert_eq!(cloud.region_name.as_deref(), Some("RegionTwo"));
        assert_eq!(
            cloud.keystone().expect("keystone").base_url(),
            "https://keystone.example:5000/v3"
        );
    }

    #[test]
    fn legacy_keys_and_tls_settings() {
        let cloud = clouds().cloud("legacy").expect("legacy");
        assert_eq!(cloud.domain_id, None);
        assert_eq!(cloud.verify, Some(false));
        assert_eq!(cloud.cacert.as_deref(), Some("/etc/ssl/certs/cloud-ca.pem"));
        // auth-url with a dash, a v2.0 URL: the v3 API under the same root.
        assert_eq!(
            cloud.keystone().expect("keystone").base_url(),
            "http://127.0.0.1:5000/v3"
        );
        assert_eq!(
            cloud
                .endpoint_filter(Service::KeyManager)
                .map(|f| f.interface),
            Ok(Interface::Internal)
        );
    }

    #[test]
    fn every_cloud_authenticates_as_written() {
        let demo_project = || project_by_name("demo", domain_id("default"));
        let cases = [
            (
                "devstack",
                password(
                    user_by_name("demo", domain_name("Default")),
                    "demo-secret",
                    demo_project(),
                ),
            ),
            (
                "appcred",
                Auth::ApplicationCredential(ApplicationCredential::Id {
                    id: "423f19a4ac1e4f48bbb4180756e6eb6c".into(),
                    secret: "rEaqvJka48mpv".into(),
                }),
            ),
            (
                "appcred-by-name",
                Auth::ApplicationCredential(ApplicationCredential::Name {
                    name: "monitoring".into(),
                    user: user_by_name("demo", domain_id("default")),
                    secret: "rEaqvJka48mpv".into(),
                }),
            ),
            (
                "tokencloud",
                Auth::Token {
                    token: "gAAAAABnQf3xTOKEN".into(),
                    scope: Scope::Project(ProjectRef::Id(
                        "8e2f4b5cc1a24f5aa1f0d1b2c3d4e5f6".into(),
                    )),
                },
            ),
            // A domain name without a project: the domain is the scope.
            (
                "domainwide",
                password(
                    user_by_name("admin", domain_id("default")),
                    "admin-secret",
                    Scope::Domain(domain_name("Default")),
                ),
            ),
            // tenant_name is project_name; domain_id fills both domains of a project-scoped cloud.
            (
                "legacy",
                password(
                    user_by_name("demo", domain_id("default")),
                    "demo-secret",
                    demo_project(),
                ),
            ),
            // Numbers in YAML are read as text.
            (
                "numeric",
                password(
                    UserRef::Id("12345".into()),
                    "67890",
                    Scope::Project(ProjectRef::Id("42".into())),
                ),
            ),
        ];
        for (name, want) in cases {
            assert_eq!(clouds().cloud(name).expect(name).auth(), Ok(want), "{name}");
        }
    }

    #[test]
    fn auth_keys_win_over_top_level_keys() {
        let cloud = clouds().cloud("top-level-keys").expect("cloud");
        assert_eq!(cloud.password, Some("auth-wins".into()));
        assert_eq!(cloud.username.as_deref(), Some("demo"));
        assert!(cloud.keystone().is_ok());
    }

    #[test]
    fn unusable_clouds() {
        let clouds = clouds();
        assert_eq!(
            config_error(
                clouds
                    .cloud("profiled")
                    .expect("profiled")
                    .keystone()
                    .expect_err("profile")
            ),
            ConfigError::ProfileUnsupported("vexxhost".into())
        );
        assert_eq!(
            config_error(
                clouds
                    .cloud("oidc")
                    .expect("oidc")
                    .auth()
                    .expect_err("oidc")
            ),
            ConfigError::UnsupportedAuthType("v3oidcpassword".into())
        );
        let error = config_error(clouds.cloud("nowhere").expect_err("unknown"));
        assert!(matches!(&error, ConfigError::CloudNotFound { name, known }
            if name == "nowhere" && known.len() == 10));
        assert!(error.to_string().contains("devstack, appcred"), "{error}");

        let mut config = clouds.cloud("devstack").expect("devstack");
        config.password = None;
        assert_eq!(
            config_error(config.auth().expect_err("no password")),
            ConfigError::Missing {
                auth_type: "password",
                needs: "password"
            }
        );
        config.interface = Some("private".into());
        assert!(config.endpoint_filter(Service::Image).is_err());
        let empty = CloudConfig::default();
        assert!(empty.keystone().is_err());
        assert!(empty.auth().is_err());
        let app = CloudConfig {
            auth_type: Some("v3applicationcredential".into()),
            application_credential_secret: Some("s".into()),
            ..CloudConfig::default()
        };
        assert!(matches!(
            config_error(app.auth().expect_err("no id")),
            ConfigError::Missing { .. }
        ));
    }

    #[test]
    fn bad_files() {
        assert!(matches!(
            config_error(CloudsYaml::parse("clouds: [unclosed").expect_err("yaml")),
            ConfigError::Yaml(_)
        ));
        for text in ["", "other: 1", "clouds: 3", "- a\n- b"] {
            assert_eq!(
                config_error(CloudsYaml::parse(text).expect_err(text)),
                ConfigError::NoClouds,
                "{text:?}"
            );
        }
        // clouds.json is read by the same parser.
        let json = CloudsYaml::parse(
            r#"{"clouds": {"j": {"auth": {"auth_url": "http://k/v3", "token": "t"}}}}"#,
        )
        .expect("json");
        assert!(matches!(
            json.cloud("j").expect("j").auth(),
            Ok(Auth::Token { .. })
        ));
        // A cloud that is not a mapping is an empty configuration.
        let odd = CloudsYaml::parse("clouds:\n  x: 3\n").expect("odd");
        assert_eq!(odd.cloud("x").expect("x").auth_url, None);
    }

    #[test]
    fn secure_yaml_merges_over_clouds_yaml() {
        let mut clouds = clouds();
        clouds.merge(&CloudsYaml::parse(SECURE).expect("secure"));
        let cloud = clouds.cloud("devstack").expect("devstack");
        assert_eq!(cloud.password, Some("from-secure-yaml".into()));
        assert_eq!(cloud.username.as_deref(), Some("demo"));
        assert!(clouds.names().contains(&"secret-only".to_owned()));
    }

    const OPENRC: &[(&str, &str)] = &[
        ("OS_AUTH_URL", "http://127.0.0.1:5000/v3"),
        ("OS_USERNAME", "demo"),
        ("OS_PASSWORD", "demo-secret"),
        ("OS_PROJECT_NAME", "demo"),
        ("OS_USER_DOMAIN_NAME", "Default"),
        ("OS_PROJECT_DOMAIN_NAME", "Default"),
        ("OS_REGION_NAME", "RegionOne"),
        ("OS_INTERFACE", "public"),
        ("OS_IDENTITY_API_VERSION", "3"),
        ("OS_TEST_TIMEOUT", "60"),
        ("HOME", "/root"),
        ("PATH", "/usr/bin"),
    ];

    #[test]
    fn openrc_variables() {
        let cloud = CloudConfig::from_env(OPENRC.iter().copied()).expect("envvars");
        assert_eq!(cloud.name.as_deref(), Some("envvars"));
        assert_eq!(
            cloud.auth(),
            Ok(password(
                user_by_name("demo", domain_name("Default")),
                "demo-secret",
                project_by_name("demo", domain_name("Default")),
            ))
        );
        assert_eq!(cloud.region_name.as_deref(), Some("RegionOne"));
        assert_eq!(cloud.interface.as_deref(), Some("public"));
    }

    #[test]
    fn application_credential_and_token_variables() {
        let cloud = CloudConfig::from_env([
            ("OS_AUTH_URL", "http://127.0.0.1:5000/v3"),
            ("OS_AUTH_TYPE", "v3applicationcredential"),
            ("OS_APPLICATION_CREDENTIAL_ID", "423f"),
            ("OS_APPLICATION_CREDENTIAL_SECRET", "s3cr3t"),
        ])
        .expect("envvars");
        assert!(matches!(
            cloud.auth(),
            Ok(Auth::ApplicationCredential(
                ApplicationCredential::Id { .. }
            ))
        ));
        // Without OS_AUTH_TYPE the kind is inferred.
        let cloud = CloudConfig::from_env([
            ("OS_APPLICATION_CREDENTIAL_ID", "423f"),
            ("OS_APPLICATION_CREDENTIAL_SECRET", "s3cr3t"),
        ])
        .expect("envvars");
        assert!(matches!(cloud.auth(), Ok(Auth::ApplicationCredential(_))));
        let cloud = CloudConfig::from_env([
            ("OS_TOKEN", "gAAAA"),
            ("OS_PROJECT_ID", "8e2f"),
            ("OS_PROJECT_NAME", ""),
        ])
        .expect("envvars");
        assert_eq!(
            cloud.auth(),
            Ok(Auth::Token {
                token: "gAAAA".into(),
                scope: Scope::Project(ProjectRef::Id("8e2f".into())),
            })
        );
    }

    #[test]
    fn selectors_alone_are_no_cloud() {
        assert_eq!(
            CloudConfig::from_env([("OS_CLOUD", "devstack"), ("OS_REGION_NAME", "RegionOne")]),
            None
        );
        assert_eq!(
            CloudConfig::from_env([("OS_TEST_PATH", "x"), ("OS_", "y")]),
            None
        );
        assert_eq!(CloudConfig::from_env(Vec::<(String, String)>::new()), None);
    }

    #[test]
    fn resolve_named_cloud_with_env_overrides() {
        let clouds = clouds();
        let cloud = resolve(
            Some(&clouds),
            [("OS_CLOUD", "devstack"), ("OS_PASSWORD", "from-env")],
            None,
        )
        .expect("cloud");
        assert_eq!(cloud.name.as_deref(), Some("devstack"));
        assert_eq!(cloud.password, Some("from-env".into()));
        assert_eq!(cloud.username.as_deref(), Some("demo"));

        // An explicit name wins over OS_CLOUD; OS_REGION_NAME alone still overrides the region.
        let cloud = resolve(
            Some(&clouds),
            [("OS_CLOUD", "devstack"), ("OS_REGION_NAME", "RegionNine")],
            Some("appcred"),
        )
        .expect("cloud");
        assert_eq!(cloud.name.as_deref(), Some("appcred"));
        assert_eq!(cloud.region_name.as_deref(), Some("RegionNine"));

        assert!(matches!(
            config_error(resolve(None, [("OS_CLOUD", "devstack")], None).expect_err("no file")),
            ConfigError::CloudNotFound { .. }
        ));
    }

    #[test]
    fn resolve_env_only_single_cloud_and_nothing() {
        let cloud = resolve(Some(&clouds()), OPENRC.iter().copied(), None).expect("env");
        assert_eq!(cloud.name.as_deref(), Some("envvars"));

        let single = CloudsYaml::parse(
            "clouds:\n  only:\n    auth:\n      auth_url: http://k/v3\n      token: t\n",
        )
        .expect("single");
        let cloud = resolve(Some(&single), [("HOME", "/root")], None).expect("single");
        assert_eq!(cloud.name.as_deref(), Some("only"));

        let error =
            config_error(resolve(Some(&clouds()), [("OS_CLOUD", "")], None).expect_err("many"));
        assert!(matches!(&error, ConfigError::NoCloudSelected { known } if known.len() == 10));
        assert!(error.to_string().contains("set OS_CLOUD"), "{error}");
        assert!(resolve(None, Vec::<(String, String)>::new(), None).is_err());
    }

    #[test]
    fn clouds_yaml_search_order() {
        let dirs = ConfigDirs {
            cwd: Some("/work/project".into()),
            home: Some("/home/alice".into()),
            user_config_dir: Some("/home/alice/.config".into()),
            site_config_dir: Some("/etc/xdg".into()),
            client_config_file: Some("/tmp/my-clouds.yaml".into()),
        };
        let paths: Vec<String> = clouds_yaml_candidates(&dirs)
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            paths,
            vec![
                "/tmp/my-clouds.yaml",
                "/work/project/clouds.yaml",
                "/work/project/clouds.yml",
                "/work/project/clouds.json",
                "/home/alice/.config/openstack/clouds.yaml",
                "/home/alice/.config/openstack/clouds.yml",
                "/home/alice/.config/openstack/clouds.json",
                "/etc/xdg/openstack/clouds.yaml",
                "/etc/xdg/openstack/clouds.yml",
                "/etc/xdg/openstack/clouds.json",
                "/etc/openstack/clouds.yaml",
                "/etc/openstack/clouds.yml",
                "/etc/openstack/clouds.json",
            ]
        );
        let minimal = clouds_yaml_candidates(&ConfigDirs {
            cwd: Some(".".into()),
            home: Some("/root".into()),
            ..ConfigDirs::default()
        });
        let yaml_only: Vec<String> = minimal
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            yaml_only,
            vec![
                "./clouds.yaml",
                "/root/.config/openstack/clouds.yaml",
                "/etc/openstack/clouds.yaml"
            ]
        );
        let secure = secure_yaml_candidates(&ConfigDirs::default(), Some(Path::new("/s.yaml")));
        assert_eq!(
            secure.first().map(|p| p.display().to_string()).as_deref(),
            Some("/s.yaml")
        );
        assert_eq!(
            secure.last().map(|p| p.display().to_string()).as_deref(),
            Some("/etc/openstack/secure.json")
        );
    }
}
