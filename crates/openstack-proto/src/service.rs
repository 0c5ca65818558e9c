//! The shared vocabulary: which service, which catalog interface. A leaf module: it imports
//! nothing from this crate, so `error`, `keystone` and `config` can all use it without
//! importing each other.

use std::str::FromStr;

named_enum! {
    /// The OpenStack service a request went to.
    #[non_exhaustive]
    pub enum Service {
        /// Keystone, the identity service.
        Identity = "Keystone",
        /// Barbican, the key manager.
        KeyManager = "Barbican",
        /// Glance, the image service.
        Image = "Glance",
    }

    /// The project's name (`Keystone`, `Barbican`, `Glance`).
    pub fn project_name;
}

impl Service {
    /// The service type as the catalog names it (`identity`, `key-manager`, `image`).
    pub fn service_type(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::KeyManager => "key-manager",
            Self::Image => "image",
        }
    }
}

named_enum! {
    /// The interface of a catalog endpoint.
    #[derive(Default)]
    pub enum Interface {
        /// `public`: what users outside the cloud reach (the default).
        #[default]
        Public = "public",
        /// `internal`.
        Internal = "internal",
        /// `admin`.
        Admin = "admin",
    }

    /// The catalog's name for it.
    pub fn as_str;
}

impl FromStr for Interface {
    type Err = UnknownInterface;

    /// Accepts `public`, `internal`, `admin`, and the v2 spellings `publicURL`, `internalURL`,
    /// `adminURL`, in any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        match lower.strip_suffix("url").unwrap_or(&lower) {
            "public" => Ok(Self::Public),
            "internal" => Ok(Self::Internal),
            "admin" => Ok(Self::Admin),
            _ => Err(UnknownInterface(text.to_owned())),
        }
    }
}

/// A catalog interface name that is none of `public`, `internal`, `admin` (or their v2
/// `...URL` spellings).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown endpoint interface {0:?} (expected public, internal or admin)")]
pub struct UnknownInterface(pub String);
