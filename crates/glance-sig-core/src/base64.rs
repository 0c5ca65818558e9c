//! Base64 exactly as cursive reads `img_signature`: Python's `base64.b64decode` without
//! `validate`, i.e. `binascii.a2b_base64` in non-strict mode.
//!
//! Characters outside the alphabet (newlines, spaces, anything) are skipped, padding is
//! required, and decoding stops at the first complete padding. Reproducing this rather
//! than using a strict decoder is what makes our verdict equal cursive's on multi-line
//! values and on values with junk in them.

use crate::error::Base64Error;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes as Python's lenient `base64.b64decode` does.
///
/// # Errors
/// [`Base64Error::NotAscii`] for non-ASCII text (Python raises before decoding),
/// [`Base64Error::IncorrectPadding`] and [`Base64Error::DanglingCharacter`] as binascii does.
pub fn decode_lenient(text: &str) -> Result<Vec<u8>, Base64Error> {
    if let Some(pos) = text.bytes().position(|b| !b.is_ascii()) {
        return Err(Base64Error::NotAscii { position: pos });
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut quad_pos = 0u8;
    let mut left: u32 = 0;
    let mut pads = 0u8;
    let mut data_chars = 0usize;
    for c in text.bytes() {
        if c == b'=' {
            // A pad only counts once two data characters of the quad are in.
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let Some(v) = sextet(c) else { continue };
        let v = u32::from(v);
        pads = 0;
        data_chars += 1;
        match quad_pos {
            0 => {
                left = v;
                quad_pos = 1;
            }
            1 => {
                out.push(((left << 2) | (v >> 4)) as u8);
                left = v & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push(((left << 4) | (v >> 2)) as u8);
                left = v & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push(((left << 6) | v) as u8);
                quad_pos = 0;
            }
        }
    }
    match quad_pos {
        0 => Ok(out),
        1 => Err(Base64Error::DanglingCharacter { data_chars }),
        _ => Err(Base64Error::IncorrectPadding),
    }
}

/// Standard base64 with padding, on one line (what we store in `img_signature`).
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 0x3f) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether the text is in the canonical form we write (one line, strict alphabet, padded).
pub fn is_canonical(text: &str) -> bool {
    decode_lenient(text).is_ok_and(|bytes| encode(&bytes) == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for n in 0..40 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(decode_lenient(&encode(&data)).ok(), Some(data));
        }
    }

    #[test]
    fn python_leniency() {
        // Newlines and spaces are skipped (multi-line values from the v2 API).
        assert_eq!(
            decode_lenient("QUJD\nREVG\n").ok(),
            Some(b"ABCDEF".to_vec())
        );
        assert_eq!(decode_lenient(" Q U J D ").ok(), Some(b"ABC".to_vec()));
        // Junk characters are skipped too.
        assert_eq!(decode_lenient("QU*JD").ok(), Some(b"ABC".to_vec()));
        // Decoding stops at the first complete padding.
        assert_eq!(decode_lenient("QQ==QUJD").ok(), Some(b"A".to_vec()));
        // Padding is required.
        assert_eq!(decode_lenient("QQ"), Err(Base64Error::IncorrectPadding));
        assert_eq!(
            decode_lenient("QUJDR"),
            Err(Base64Error::DanglingCharacter { data_chars: 5 })
        );
        assert!(matches!(
            decode_lenient("QUJD\u{e9}"),
            Err(Base64Error::NotAscii { .. })
        ));
        assert_eq!(decode_lenient("").ok(), Some(Vec::new()));
    }
}
