//! EC keys whose certificate spells the curve out (RFC 3279 `ECParameters`: the prime, the
//! coefficients, the generator, the order) instead of naming it. OpenSSL, and so cryptography
//! and cursive, match such parameters against the named curves and use the named curve when
//! every value is equal; so does this module. Parameters that equal no named curve are refused.
//!
//! The named curves' values come from the RustCrypto curve crates, not from a table here.

use der::asn1::{BitStringRef, ObjectIdentifier, OctetStringRef, UintRef};
use der::{Decode, Reader, SliceReader};
use elliptic_curve::bigint::Encoding;
use elliptic_curve::ff::PrimeField;
use primeorder::PrimeCurveParams;
use rsa::BigUint;

use crate::oid;

/// `prime-field` (X9.62): the only field type of the curves Glance uses.
const PRIME_FIELD: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.1.1");

/// Explicit parameters, as integers.
#[derive(Debug, PartialEq, Eq)]
struct Explicit {
    p: BigUint,
    a: BigUint,
    b: BigUint,
    /// The generator's x, and y or (compressed) its parity.
    gx: BigUint,
    gy: GeneratorY,
    n: BigUint,
    h: BigUint,
}

#[derive(Debug, PartialEq, Eq)]
enum GeneratorY {
    Full(BigUint),
    Parity(bool),
}

fn int(bytes: &[u8]) -> BigUint {
    BigUint::from_bytes_be(bytes)
}

/// Reads `ECParameters` (DER).
fn parse(der: &[u8]) -> der::Result<Explicit> {
    let mut reader = SliceReader::new(der)?;
    let explicit = reader.sequence(|r| {
        let _version = UintRef::decode(r)?;
        let (field_type, p) =
            r.sequence(|r| Ok((ObjectIdentifier::decode(r)?, UintRef::decode(r)?)))?;
        if field_type != PRIME_FIELD {
            return Err(der::Tag::ObjectIdentifier.value_error());
        }
        let (a, b) = r.sequence(|r| {
            let a = OctetStringRef::decode(r)?;
            let b = OctetStringRef::decode(r)?;
            let _seed: Option<BitStringRef<'_>> = r.decode()?;
            Ok((int(a.as_bytes()), int(b.as_bytes())))
        })?;
        let base = OctetStringRef::decode(r)?;
        let n = UintRef::decode(r)?;
        let h: Option<UintRef<'_>> = r.decode()?;
        let p = int(p.as_bytes());
        let field_len = p.bits().div_ceil(8);
        let (gx, gy) = match base.as_bytes() {
            [0x04, rest @ ..] if rest.len() == 2 * field_len => {
                let (x, y) = rest.split_at(field_len);
                (int(x), GeneratorY::Full(int(y)))
            }
            [tag @ (0x02 | 0x03), x @ ..] if x.len() == field_len => {
                (int(x), GeneratorY::Parity(*tag == 0x03))
            }
            _ => return Err(der::Tag::OctetString.value_error()),
        };
        Ok(Explicit {
            p,
            a,
            b,
            gx,
            gy,
            n: int(n.as_bytes()),
            // An absent cofactor is taken as 1, as OpenSSL does for these curves.
            h: h.map_or_else(|| BigUint::from(1u8), |h| int(h.as_bytes())),
        })
    })?;
    reader.finish(explicit)
}

/// A named curve's parameters, from its crate. NIST curves have a = -3, so p = a + 3.
fn named<C: PrimeCurveParams>() -> Explicit
where
    C::FieldElement: PrimeField,
    C::Uint: Encoding,
{
    let bytes = |f: C::FieldElement| int(f.to_repr().as_ref());
    let a = bytes(C::EQUATION_A);
    let (gx, gy) = C::GENERATOR;
    Explicit {
        p: &a + BigUint::from(3u8),
        a,
        b: bytes(C::EQUATION_B),
        gx: bytes(gx),
        gy: GeneratorY::Full(bytes(gy)),
        n: int(C::ORDER.to_be_bytes().as_ref()),
        h: BigUint::from(1u8),
    }
}

impl Explicit {
    fn equals(&self, curve: &Explicit) -> bool {
        let GeneratorY::Full(y) = &curve.gy else {
            return false;
        };
        let y_matches = match &self.gy {
            GeneratorY::Full(mine) => mine == y,
            GeneratorY::Parity(odd) => y.to_bytes_be().last().is_some_and(|b| (b & 1 == 1) == *odd),
        };
        self.p == curve.p
            && self.a == curve.a
            && self.b == curve.b
            && self.gx == curve.gx
            && y_matches
            && self.n == curve.n
            && self.h == curve.h
    }
}

/// The named curve that explicit `ECParameters` (DER) spell out, or `None` when they are not
/// one of P-256, P-384 and P-521 (or cannot be read).
pub(crate) fn named_curve(der: &[u8]) -> Option<ObjectIdentifier> {
    let explicit = parse(der).ok()?;
    [
        (oid::SECP256R1, named::<p256::NistP256>()),
        (oid::SECP384R1, named::<p384::NistP384>()),
        (oid::SECP521R1, named::<p521::NistP521>()),
    ]
    .into_iter()
    .find(|(_, curve)| explicit.equals(curve))
    .map(|(oid, _)| oid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `openssl ecparam -name secp384r1 -param_enc explicit -outform DER | base64`.
    const P384_EXPLICIT: &str = "MIIBVwIBATA8BgcqhkjOPQEBAjEA//////////////////////////////////////////7/////AAAAAAAAAAD/////MHsEMP/////////////////////////////////////////+/////wAAAAAAAAAA/////AQwszEvp+I+5+SYjgVr4/gtGRgdnG7+gUESAxQIj1ATh1rGVjmNii7RnSqFyO3T7CrvAxUAozWSaqMZonodAIlqZ3OkgnrNrHMEYQSqh8oivosFN46xxx7zIK10bh07Younm5hZ90HgglQqOFUC8l2/VSlsOlReOHJ2Crc2F95KliYsb12emL+Sktwp+PQdvSiaFHzp2jETtfC4wApgsc4dfoGdekMdfJDqDl8CMQD////////////////////////////////HY02B9Dct31gaDbJIsKd67OwZaszFKXMCAQE=";

    #[test]
    fn explicit_parameters_equal_to_p384_are_p384() {
        let der = crate::base64::decode_lenient(P384_EXPLICIT).expect("base64");
        assert_eq!(named_curve(&der), Some(oid::SECP384R1));
    }

    #[test]
    fn one_changed_value_is_no_named_curve() {
        let mut der = crate::base64::decode_lenient(P384_EXPLICIT).expect("base64");
        // The last byte of the order (before the cofactor's three bytes).
        let at = der.len() - 4;
        der[at] ^= 0x01;
        assert_eq!(named_curve(&der), None);
        assert_eq!(named_curve(b"\x30\x00"), None);
    }
}
