//! The four image-signature properties and whether an image carries none, some, or all of
//! them: the core's vocabulary (`glance-sig-core` without its crypto), named here so that
//! requests and responses say it in the same words.

pub use glance_sig_core::{
    SignatureProperties, SigningState, IMG_SIGNATURE as SIGNATURE,
    IMG_SIGNATURE_CERTIFICATE_UUID as CERTIFICATE_UUID, IMG_SIGNATURE_HASH_METHOD as HASH_METHOD,
    IMG_SIGNATURE_KEY_TYPE as KEY_TYPE, SIGNATURE_PROPERTY_NAMES,
};
