//! An authenticated session: the cloud configuration found the way openstacksdk finds it, a
//! project-scoped Keystone token, and the Glance and Barbican endpoints from its catalog.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use openstack_proto::barbican::Barbican;
use openstack_proto::config::{
    self, clouds_yaml_candidates, secure_yaml_candidates, CloudConfig, CloudsYaml, ConfigDirs,
};
use openstack_proto::glance::Glance;
use openstack_proto::keystone::{self, Auth, Keystone, Token};
use openstack_proto::{ApiError, Request, Response, Service};

use super::error::CloudError;
use super::tls::{expand_home, Setting, TlsOptions};
use super::transport::{StreamedResponse, Transport};
use crate::args::cloud::CloudArgs;

/// Variables this module reads itself; openstack-proto must not take them for credentials.
const ENDPOINT_OVERRIDES: [&str; 2] = [
    "OS_IMAGE_ENDPOINT_OVERRIDE",
    "OS_KEY_MANAGER_ENDPOINT_OVERRIDE",
];

/// Renew the token when it has less than this left (seconds): a long signing pass may outlast it.
const TOKEN_MARGIN: i64 = 300;

/// A Keystone token and the endpoints it opens.
#[derive(Debug)]
pub struct Session {
    transport: Transport,
    keystone: Keystone,
    auth: Auth,
    token: Token,
    image_url: String,
    key_manager_url: Option<String>,
    key_manager_missing: Option<ApiError>,
    glance: Glance,
}

impl Session {
    /// Finds the cloud, authenticates, and looks up Glance (and, if the catalog has it,
    /// Barbican).
    ///
    /// # Errors
    /// [`CloudError::Config`] and [`CloudError::ConfigFile`] for configuration problems,
    /// [`CloudError::Auth`] when Keystone refuses, [`CloudError::Transport`] when it cannot be
    /// reached, [`CloudError::Api`] when the catalog has no image endpoint.
    pub fn connect(args: &CloudArgs) -> Result<Self, CloudError> {
        let env = environment();
        let (mut cloud, origin) = load_cloud(&env, args.os_cloud.as_deref())?;
        if let Some(region) = &args.os_region_name {
            cloud.region_name = Some(region.clone());
        }
        if let Some(interface) = &args.os_interface {
            cloud.interface = Some(interface.clone());
        }
        let tls = tls_options(args, &cloud, &origin);
        if tls.insecure {
            crate::output::render::err_line(&format!(
                "glance-sig: warning: https certificates are not checked ({}): anyone on the \
                 network path can read the token and change what is signed or verified",
                if args.insecure {
                    "--insecure"
                } else {
                    "verify: false"
                }
            ));
        }
        let tls = tls.config().map_err(CloudError::Tls)?;
        let config_error = |source| CloudError::Config {
            origin: origin.clone(),
            source,
        };
        let keystone = cloud.keystone().map_err(config_error)?;
        let auth = cloud.auth().map_err(config_error)?;
        let image_filter = cloud
            .endpoint_filter(Service::Image)
            .map_err(config_error)?;
        let key_manager_filter = cloud
            .endpoint_filter(Service::KeyManager)
            .map_err(config_error)?;

        let transport = Transport::new(args.timeout(), tls);
        let token = authenticate(&transport, &keystone, &auth)?;
        let image_url = match &args.os_image_endpoint_override {
            Some(url) => url.clone(),
            None => token
                .endpoint(&image_filter)
                .map_err(|e| CloudError::api("finding Glance in the service catalog", e))?
                .to_owned(),
        };
        let (key_manager_url, key_manager_missing) = match &args.os_key_manager_endpoint_override {
            Some(url) => (Some(url.clone()), None),
            None => match token.endpoint(&key_manager_filter) {
                Ok(url) => (Some(url.to_owned()), None),
                Err(e) => (None, Some(e)),
            },
        };
        let glance = Glance::new(&image_url, &token.value);
        Ok(Self {
            transport,
            keystone,
            auth,
            token,
            image_url,
            key_manager_url,
            key_manager_missing,
            glance,
        })
    }

    /// Glance, with the current token.
    pub fn glance(&self) -> &Glance {
        &self.glance
    }

    /// Barbican, with the current token.
    ///
    /// # Errors
    /// [`CloudError::Api`] when the catalog has no key-manager endpoint.
    pub fn barbican(&self) -> Result<Barbican, CloudError> {
        match (&self.key_manager_url, &self.key_manager_missing) {
            (Some(url), _) => Ok(Barbican::new(url, &self.token.value)),
            (None, Some(error)) => Err(CloudError::api(
                "finding Barbican in the service catalog",
                error.clone(),
            )),
            (None, None) => Err(CloudError::Usage(
                "no Barbican endpoint: set OS_KEY_MANAGER_ENDPOINT_OVERRIDE".to_owned(),
            )),
        }
    }

    /// The token.
    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The token's project id.
    pub fn project_id(&self) -> Option<&str> {
        self.token.project.as_ref().map(|p| p.id.as_str())
    }

    /// The HTTP transport, for streamed bodies.
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// The Glance endpoint in use.
    pub fn image_url(&self) -> &str {
        &self.image_url
    }

    /// Whether the token expires within a few minutes ([`Session::refresh_if_expiring`]
    /// renews it).
    pub fn expiring(&self) -> bool {
        self.token.expires_within(unix_now(), TOKEN_MARGIN)
    }

    /// Authenticates again when the token expires within a few minutes.
    ///
    /// # Errors
    /// As [`Session::connect`].
    pub fn refresh_if_expiring(&mut self) -> Result<(), CloudError> {
        if !self.expiring() {
            return Ok(());
        }
        self.token = authenticate(&self.transport, &self.keystone, &self.auth)?;
        self.glance = Glance::new(&self.image_url, &self.token.value);
        Ok(())
    }

    /// Sends `request` and reads the answer with `parse`; `doing` says what for, in errors.
    ///
    /// # Errors
    /// [`CloudError::Transport`] or, for an error answer, [`CloudError::Api`].
    pub fn call<T>(
        &self,
        doing: &str,
        request: &Request,
        parse: impl FnOnce(&Response) -> Result<T, ApiError>,
    ) -> Result<T, CloudError> {
        let response = self
            .transport
            .send(request)
            .map_err(|e| CloudError::transport(doing, e))?;
        parse(&response).map_err(|e| CloudError::api(doing, e))
    }

    /// Sends `request` and returns once the headers are in; see [`Transport::open`].
    ///
    /// # Errors
    /// [`CloudError::Transport`].
    pub fn open(&self, doing: &str, request: &Request) -> Result<StreamedResponse, CloudError> {
        self.transport
            .open(request)
            .map_err(|e| CloudError::transport(doing, e))
    }
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn authenticate(
    transport: &Transport,
    keystone: &Keystone,
    auth: &Auth,
) -> Result<Token, CloudError> {
    let auth_url = keystone.base_url();
    let response = transport
        .send(&keystone.authenticate(auth))
        .map_err(|e| CloudError::transport(format!("authenticating at {auth_url}"), e))?;
    let token = keystone::parse_token(&response).map_err(|e| CloudError::Auth {
        auth_url: auth_url.clone(),
        status: e.status(),
        detail: e.to_string(),
    })?;
    if !token.is_project_scoped() {
        return Err(CloudError::Auth {
            auth_url,
            status: None,
            detail: "the token is not scoped to a project, so its catalog has no Glance or \
                     Barbican: set project_name (or project_id) in clouds.yaml, or OS_PROJECT_NAME"
                .to_owned(),
        });
    }
    Ok(token)
}

/// The process environment as UTF-8 pairs (others are not OpenStack settings), without the
/// endpoint overrides this module reads itself.
fn environment() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| !ENDPOINT_OVERRIDES.contains(&k.as_str()))
        .collect()
}

fn var<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The directories openstacksdk looks in, from this process's environment.
fn config_dirs(env: &[(String, String)]) -> ConfigDirs {
    let home = var(env, "HOME").map(PathBuf::from);
    ConfigDirs {
        cwd: std::env::current_dir().ok(),
        user_config_dir: var(env, "XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".config"))),
        home,
        site_config_dir: Some(
            var(env, "XDG_CONFIG_DIRS")
                .and_then(|dirs| dirs.split(':').find(|d| !d.is_empty()))
                .map_or_else(|| PathBuf::from("/etc/xdg"), PathBuf::from),
        ),
        client_config_file: var(env, "OS_CLIENT_CONFIG_FILE").map(PathBuf::from),
    }
}

/// Reads a configuration file if it is there: `Ok(None)` when it does not exist.
fn read_if_present(path: &Path) -> Result<Option<String>, CloudError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CloudError::ConfigFile {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// The first of `candidates` that exists, parsed.
fn first_yaml(candidates: &[PathBuf]) -> Result<Option<(PathBuf, CloudsYaml)>, CloudError> {
    for path in candidates {
        if let Some(text) = read_if_present(path)? {
            let parsed = CloudsYaml::parse(&text).map_err(|source| CloudError::Config {
                origin: path.display().to_string(),
                source,
            })?;
            return Ok(Some((path.clone(), parsed)));
        }
    }
    Ok(None)
}

/// The cloud's settings, and where they came from (for messages).
fn load_cloud(
    env: &[(String, String)],
    cloud: Option<&str>,
) -> Result<(CloudConfig, String), CloudError> {
    let dirs = config_dirs(env);
    if let Some(file) = &dirs.client_config_file {
        if !file.is_file() {
            return Err(CloudError::ConfigFile {
                path: file.display().to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "OS_CLIENT_CONFIG_FILE names a file that does not exist",
                ),
            });
        }
    }
    let clouds = first_yaml(&clouds_yaml_candidates(&dirs))?;
    let secure_file = var(env, "OS_CLIENT_SECURE_FILE").map(OsString::from);
    let secure = first_yaml(&secure_yaml_candidates(
        &dirs,
        secure_file.as_deref().map(Path::new),
    ))?;
    let origin = match &clouds {
        Some((path, _)) => format!("clouds.yaml {}", path.display()),
        None => "OS_* variables (no clouds.yaml found)".to_owned(),
    };
    let merged = clouds.map(|(_, mut yaml)| {
        if let Some((_, secure)) = &secure {
            yaml.merge(secure);
        }
        yaml
    });
    let config =
        config::resolve(merged.as_ref(), env.iter().cloned(), cloud).map_err(|source| {
            CloudError::Config {
                origin: origin.clone(),
                source,
            }
        })?;
    Ok((config, origin))
}

/// The TLS settings: flags (and their `OS_*` variables) first, then the cloud's own.
fn tls_options(args: &CloudArgs, cloud: &CloudConfig, origin: &str) -> TlsOptions {
    let pick = |flag: &Option<PathBuf>, flag_name: &str, setting: &Option<String>, key: &str| match (
        flag, setting,
    ) {
        (Some(path), _) => Some(Setting::new(path, flag_name)),
        (None, Some(path)) => Some(Setting::new(
            expand_home(path),
            format!("{key} in {origin}"),
        )),
        (None, None) => None,
    };
    TlsOptions {
        cacert: pick(
            &args.os_cacert,
            "--os-cacert or OS_CACERT",
            &cloud.cacert,
            "cacert",
        ),
        cert: pick(&args.os_cert, "--os-cert or OS_CERT", &cloud.cert, "cert"),
        key: pick(&args.os_key, "--os-key or OS_KEY", &cloud.key, "key"),
        insecure: args.insecure || cloud.verify == Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn config_dirs_follow_xdg_and_os_client_config_file() {
        let dirs = config_dirs(&env(&[
            ("HOME", "/home/a"),
            ("XDG_CONFIG_DIRS", ":/opt/xdg:/etc/xdg"),
            ("OS_CLIENT_CONFIG_FILE", "/tmp/c.yaml"),
        ]));
        assert_eq!(dirs.home, Some(PathBuf::from("/home/a")));
        assert_eq!(dirs.user_config_dir, Some(PathBuf::from("/home/a/.config")));
        assert_eq!(dirs.site_config_dir, Some(PathBuf::from("/opt/xdg")));
        assert_eq!(dirs.client_config_file, Some(PathBuf::from("/tmp/c.yaml")));
        let dirs = config_dirs(&env(&[
            ("XDG_CONFIG_HOME", "/x"),
            ("OS_CLIENT_CONFIG_FILE", ""),
        ]));
        assert_eq!(dirs.user_config_dir, Some(PathBuf::from("/x")));
        assert_eq!(dirs.client_config_file, None);
        assert_eq!(dirs.site_config_dir, Some(PathBuf::from("/etc/xdg")));
    }

    #[test]
    fn named_cloud_from_os_client_config_file() {
        let dir = std::env::temp_dir().join(format!("glance-sig-session-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("clouds.yaml");
        std::fs::write(
            &file,
            "clouds:\n  a:\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      \
             username: u\n      password: p\n      project_name: demo\n  b:\n    auth:\n      \
             auth_url: http://127.0.0.1:5001\n      token: t\n",
        )
        .expect("write");
        let path = file.display().to_string();
        let (cloud, origin) =
            load_cloud(&env(&[("OS_CLIENT_CONFIG_FILE", &path)]), Some("a")).expect("a");
        assert_eq!(cloud.name.as_deref(), Some("a"));
        assert!(origin.contains(&path), "{origin}");
        let (cloud, _) = load_cloud(
            &env(&[("OS_CLIENT_CONFIG_FILE", &path), ("OS_CLOUD", "b")]),
            None,
        )
        .expect("b");
        assert_eq!(cloud.name.as_deref(), Some("b"));
        let error = load_cloud(&env(&[("OS_CLIENT_CONFIG_FILE", &path)]), Some("zzz"))
            .expect_err("unknown");
        assert!(error.to_string().contains("zzz"), "{error}");
        let missing = load_cloud(
            &env(&[("OS_CLIENT_CONFIG_FILE", "/nonexistent/c.yaml")]),
            None,
        )
        .expect_err("missing");
        assert!(matches!(missing, CloudError::ConfigFile { .. }));
        std::fs::remove_dir_all(&dir).ok();
    }
}
