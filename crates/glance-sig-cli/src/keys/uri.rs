//! PKCS#11 URIs (RFC 7512): which token, which object, which module, where the PIN is.
//!
//! `pkcs11:token=signing;object=image-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin`

use std::fmt;

use crate::output::render::shorten;

/// A parsed `pkcs11:` URI. Only what selecting a signing key needs is kept; the other
/// standard attributes are accepted and ignored, unknown ones are refused (a typo would
/// otherwise select another object). Each field is the attribute of its name: the token by
/// `token` (label), `manufacturer`, `serial`, `model`, `slot-id`; the object by `object`
/// (CKA_LABEL), `id` (CKA_ID, bytes), `type`; then `module-path`, `module-name`, `pin-value`
/// (visible to other users on a command line) and `pin-source` (`file:PATH`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    pub token: TokenMatch,
    pub object: Option<String>,
    pub id: Option<Vec<u8>>,
    pub object_type: Option<String>,
    pub module_path: Option<String>,
    pub module_name: Option<String>,
    pub pin_value: Option<String>,
    pub pin_source: Option<String>,
}

/// Which token a URI selects: its label (`token=`), `manufacturer=`, `serial=`, `model=`,
/// `slot-id=`; what is not given matches any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenMatch {
    pub label: Option<String>,
    pub manufacturer: Option<String>,
    pub serial: Option<String>,
    pub model: Option<String>,
    pub slot_id: Option<u64>,
}

impl TokenMatch {
    /// Whether the token in slot `slot` with this label, manufacturer, serial and model (as
    /// the token reports them, space-padded) is selected.
    pub fn matches(
        &self,
        slot: u64,
        label: &str,
        manufacturer: &str,
        serial: &str,
        model: &str,
    ) -> bool {
        let wanted = |want: &Option<String>, have: &str| {
            want.as_deref().is_none_or(|w| w.trim() == have.trim())
        };
        wanted(&self.label, label)
            && wanted(&self.manufacturer, manufacturer)
            && wanted(&self.serial, serial)
            && wanted(&self.model, model)
            && self.slot_id.is_none_or(|id| id == slot)
    }
}

/// Attributes RFC 7512 defines that select nothing this tool uses.
const IGNORED: &[&str] = &[
    "library-manufacturer",
    "library-description",
    "library-version",
    "slot-description",
    "slot-manufacturer",
];

impl Pkcs11Uri {
    /// Whether `text` is meant as a PKCS#11 URI.
    pub fn is_uri(text: &str) -> bool {
        text.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("pkcs11:"))
    }

    /// Parses a `pkcs11:` URI.
    ///
    /// # Errors
    /// What is wrong with it, in words: an unknown or repeated attribute, bad percent-encoding,
    /// a value that is not text.
    pub fn parse(text: &str) -> Result<Self, String> {
        if !Self::is_uri(text) {
            return Err("a PKCS#11 URI starts with pkcs11:".to_owned());
        }
        let rest = &text[7..];
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut uri = Self::default();
        let mut seen: Vec<String> = Vec::new();
        let attrs = path
            .split(';')
            .filter(|a| !a.is_empty())
            .chain(query.split('&').filter(|a| !a.is_empty()));
        // What errors quote of the URI is shortened: it may be any size.
        let quote = |text: &str| shorten(text, 80);
        for attr in attrs {
            let Some((name, value)) = attr.split_once('=') else {
                return Err(format!(
                    "`{}` is not name=value (attributes are separated by ; and, after ?, by &)",
                    quote(attr)
                ));
            };
            let name = quote(&name.to_ascii_lowercase());
            if seen.contains(&name) {
                return Err(format!("`{name}` is given twice"));
            }
            seen.push(name.clone());
            let bytes = percent_decode(value).map_err(|e| match name.as_str() {
                // Never quote a PIN.
                "pin-value" => "`pin-value` is not valid percent-encoding".to_owned(),
                _ => format!("`{name}`: {e}"),
            })?;
            if name == "id" {
                uri.id = Some(bytes);
                continue;
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| format!("`{name}` is not UTF-8 text once percent-decoded"))?;
            let slot = match name.as_str() {
                "token" => &mut uri.token.label,
                "manufacturer" => &mut uri.token.manufacturer,
                "serial" => &mut uri.token.serial,
                "model" => &mut uri.token.model,
                "object" => &mut uri.object,
                "type" => &mut uri.object_type,
                "module-path" => &mut uri.module_path,
                "module-name" => &mut uri.module_name,
                "pin-value" => &mut uri.pin_value,
                "pin-source" => &mut uri.pin_source,
                "slot-id" => {
                    uri.token.slot_id = Some(text.parse().map_err(|_| {
                        format!("`slot-id` must be a decimal number, not `{}`", quote(&text))
                    })?);
                    continue;
                }
                n if IGNORED.contains(&n) || n.starts_with("x-") => continue,
                n => {
                    return Err(format!(
                        "unknown attribute `{n}` (RFC 7512 names: token, manufacturer, serial, model, slot-id, object, id, type; after ?: module-path, module-name, pin-source, pin-value)"
                    ))
                }
            };
            *slot = Some(text);
        }
        if uri.object.is_none() && uri.id.is_none() {
            return Err("name the key with object=LABEL or id=%XX (its CKA_LABEL or CKA_ID); `pkcs11-tool --list-objects` or `p11tool --list-all` show them".to_owned());
        }
        Ok(uri)
    }

    /// The URI without its PIN, for messages.
    pub fn display(&self) -> String {
        let mut path: Vec<String> = Vec::new();
        let mut push = |name: &str, value: &Option<String>| {
            if let Some(v) = value {
                path.push(format!("{name}={}", percent_encode(v.as_bytes())));
            }
        };
        push("token", &self.token.label);
        push("manufacturer", &self.token.manufacturer);
        push("serial", &self.token.serial);
        push("model", &self.token.model);
        push("object", &self.object);
        push("type", &self.object_type);
        if let Some(slot) = self.token.slot_id {
            path.push(format!("slot-id={slot}"));
        }
        if let Some(id) = &self.id {
            path.push(format!("id={}", hex_escaped(id)));
        }
        shorten(&format!("pkcs11:{}", path.join(";")), 200)
    }
}

impl fmt::Debug for Pkcs11Uri {
    // Never print the PIN.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// `%XX` escapes decoded; anything else taken as it is.
fn percent_decode(value: &str) -> Result<Vec<u8>, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| {
                    format!(
                        "`%` must be followed by two hex digits (at byte {i} of `{}`)",
                        shorten(value, 80)
                    )
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An id as `%01%02`, the way pkcs11-tool and p11tool print ids.
pub fn hex_escaped(id: &[u8]) -> String {
    id.iter().map(|b| format!("%{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_path_and_query_attributes_of_rfc_7512() {
        let uri = Pkcs11Uri::parse(
            "pkcs11:token=My%20Token;object=image-key;id=%01%ff;slot-id=3;library-version=1?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/pin",
        )
        .expect("parses");
        assert_eq!(uri.token.label.as_deref(), Some("My Token"));
        assert_eq!(uri.object.as_deref(), Some("image-key"));
        assert_eq!(uri.id.as_deref(), Some(&[1u8, 0xff][..]));
        assert_eq!(uri.token.slot_id, Some(3));
        assert!(uri.token.matches(3, "My Token      ", "SoftHSM", "1", "m"));
        assert!(!uri.token.matches(4, "My Token", "SoftHSM", "1", "m"));
        assert!(!uri.token.matches(3, "Other", "SoftHSM", "1", "m"));
        assert_eq!(
            uri.module_path.as_deref(),
            Some("/usr/lib/softhsm/libsofthsm2.so")
        );
        assert_eq!(uri.pin_source.as_deref(), Some("file:/run/pin"));
        assert_eq!(
            uri.display(),
            "pkcs11:token=My%20Token;object=image-key;slot-id=3;id=%01%ff"
        );
    }

    #[test]
    fn the_pin_never_shows_and_may_sit_in_the_path() {
        let uri = Pkcs11Uri::parse("PKCS11:token=t;object=k;pin-value=1234").expect("parses");
        assert_eq!(uri.pin_value.as_deref(), Some("1234"));
        assert!(!format!("{uri:?} {}", uri.display()).contains("1234"));
    }

    #[test]
    fn refuses_what_would_select_the_wrong_object() {
        for (uri, says) in [
            ("pkcs11:token=t;objekt=k", "unknown attribute `objekt`"),
            (
                "pkcs11:token=t;object=a;object=b",
                "`object` is given twice",
            ),
            ("pkcs11:token=t;object=%4", "two hex digits"),
            ("pkcs11:token=t;object=%ff", "not UTF-8"),
            ("pkcs11:token=t", "object=LABEL or id="),
            ("pkcs11:token=t;object=k;slot-id=x", "decimal number"),
            ("pkcs11:token", "not name=value"),
            ("pkcs11:object=%E0%A4%A", "two hex digits"),
        ] {
            let err = Pkcs11Uri::parse(uri).expect_err(uri);
            assert!(err.contains(says), "{uri}: {err}");
        }
    }
}
