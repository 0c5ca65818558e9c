//! [`ConfigError`], on its own so that [`crate::ApiError`] can wrap it without `error`
//! importing `config` (which imports `error`).

/// Why a clouds.yaml text or a set of `OS_*` variables gives no usable cloud.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The text is not YAML (or JSON).
    #[error("clouds.yaml is not valid YAML: {0}")]
    Yaml(String),
    /// The file has no `clouds:` mapping.
    #[error("clouds.yaml has no top-level `clouds:` mapping")]
    NoClouds,
    /// The named cloud is not in the file.
    #[error("cloud {name:?} is not in clouds.yaml (it has: {})", list(.known))]
    CloudNotFound {
        /// The name asked for.
        name: String,
        /// The names the file has.
        known: Vec<String>,
    },
    /// No cloud named (`OS_CLOUD` or an explicit name), no `OS_*` credentials, and not exactly
    /// one cloud in clouds.yaml.
    #[error("no cloud selected: set OS_CLOUD to one of ({}) or set OS_AUTH_URL and credentials", list(.known))]
    NoCloudSelected {
        /// The names clouds.yaml has.
        known: Vec<String>,
    },
    /// A setting the chosen auth type needs is absent.
    #[error("{auth_type} authentication needs {needs} (clouds.yaml `auth:` or OS_* variables)")]
    Missing {
        /// The auth type (`password`, `v3applicationcredential`, `token`).
        auth_type: &'static str,
        /// What is missing, in clouds.yaml key names (`auth_url`, `password`, ...).
        needs: &'static str,
    },
    /// `auth_type` names a plugin this crate does not implement.
    #[error("auth_type {0:?} is not supported (use password, v3applicationcredential or token)")]
    UnsupportedAuthType(String),
    /// A cloud that relies on a vendor `profile` for its auth URL: the profiles ship with
    /// openstacksdk, not here.
    #[error("cloud uses vendor profile {0:?}, which is not supported: set auth_url explicitly")]
    ProfileUnsupported(String),
    /// A value that cannot be read (e.g. `interface: private`).
    #[error("invalid value for {key}: {value:?}")]
    InvalidValue {
        /// The setting.
        key: String,
        /// The value found.
        value: String,
    },
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}
