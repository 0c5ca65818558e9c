//! Finding PEM blocks in text that may hold several (OpenSSL writes `EC PARAMETERS` before
//! `EC PRIVATE KEY`; chain files hold several certificates). What is read from a key file
//! (its text, the decoded DER) is wiped when dropped.

use zeroize::Zeroizing;

/// One PEM block.
pub(crate) struct PemBlock {
    pub label: String,
    pub der: Result<Zeroizing<Vec<u8>>, String>,
    /// OpenSSL's legacy `Proc-Type: 4,ENCRYPTED` header is present.
    pub legacy_encrypted: bool,
}

/// Whether the bytes look like PEM text rather than DER.
pub(crate) fn looks_like_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Every `-----BEGIN X----- ... -----END X-----` block, in order.
pub(crate) fn blocks(bytes: &[u8]) -> Vec<PemBlock> {
    let text = Zeroizing::new(String::from_utf8_lossy(bytes).into_owned());
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = after[..label_end].to_owned();
        let end_marker = format!("-----END {label}-----");
        let Some(end) = after.find(&end_marker) else {
            out.push(PemBlock {
                label,
                der: Err("truncated: the END line is missing".to_owned()),
                legacy_encrypted: false,
            });
            break;
        };
        let block_text = &rest[start..start + 11 + end + end_marker.len()];
        let legacy_encrypted = block_text.contains("Proc-Type:");
        let der = if legacy_encrypted {
            Err("legacy encrypted PEM".to_owned())
        } else {
            der::pem::decode_vec(block_text.as_bytes())
                .map(|(_, der)| Zeroizing::new(der))
                .map_err(|e| e.to_string())
        };
        out.push(PemBlock {
            label,
            der,
            legacy_encrypted,
        });
        rest = &after[end + end_marker.len()..];
    }
    out
}
