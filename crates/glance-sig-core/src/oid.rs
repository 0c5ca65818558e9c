//! Object identifiers the scheme meets.

use der::asn1::ObjectIdentifier as Oid;

pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
pub const DSA: Oid = Oid::new_unwrap("1.2.840.10040.4.1");
pub const ED25519: Oid = Oid::new_unwrap("1.3.101.112");
pub const ED448: Oid = Oid::new_unwrap("1.3.101.113");
pub const X25519: Oid = Oid::new_unwrap("1.3.101.110");

pub const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
pub const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
pub const SECP521R1: Oid = Oid::new_unwrap("1.3.132.0.35");
pub const SECP256K1: Oid = Oid::new_unwrap("1.3.132.0.10");

pub const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
pub const SHA224_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.14");
pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
pub const ECDSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
pub const ECDSA_WITH_SHA224: Oid = Oid::new_unwrap("1.2.840.10045.4.3.1");
pub const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
pub const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
pub const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
pub const DSA_WITH_SHA1: Oid = Oid::new_unwrap("1.2.840.10040.4.3");
pub const DSA_WITH_SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.1");
pub const DSA_WITH_SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.2");

pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");

/// A readable name for a curve OID.
pub fn curve_name(oid: &Oid) -> String {
    match *oid {
        SECP256R1 => "P-256 (secp256r1)".to_owned(),
        SECP384R1 => "P-384 (secp384r1)".to_owned(),
        SECP521R1 => "P-521 (secp521r1)".to_owned(),
        SECP256K1 => "secp256k1".to_owned(),
        _ => format!("curve {oid}"),
    }
}

/// A readable name for a key algorithm OID.
pub fn algorithm_name(oid: &Oid) -> String {
    match *oid {
        ED25519 => "Ed25519".to_owned(),
        ED448 => "Ed448".to_owned(),
        X25519 => "X25519".to_owned(),
        _ => format!("algorithm {oid}"),
    }
}
