//! The bridge to the signing worker (`worker/sig-worker.js`, operations in `worker/ops.js`),
//! which runs the jco-transpiled glance-sig component off the UI thread.
//!
//! Each call posts a [`Request`] (`{id, op, ...}`) and resolves when the worker answers `ok`
//! or `error` for that id; `progress` messages for the id go to the call's progress callback.
//! Requests and answers are typed here and converted with `serde-wasm-bindgen`: browser
//! objects (a `File`, a `ReadableStream`) pass through untouched (`preserve`), byte strings
//! become `Uint8Array`s, and a verification's answer is the core's [`Report`], the shape the
//! CLI prints with `--json`.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use glance_sig_core::{Note, Report};
use js_sys::{Array, Function, Promise, Reflect};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::api::js_error;
use crate::state::{Progress, Signed};

// ---------------------------------------------------------------------------------------------
// Requests

/// An operation for the worker (`op` is the variant's name in kebab-case, fields camelCase).
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "kebab-case", rename_all_fields = "camelCase")]
pub enum Request {
    /// Reads a private key file (`File`) in the worker, which keeps it.
    LoadKey {
        /// The `File` (a handle: the page never reads the key's bytes).
        #[serde(with = "serde_wasm_bindgen::preserve")]
        file: JsValue,
        /// The passphrase of an encrypted key.
        passphrase: Option<String>,
    },
    /// Forgets the loaded key.
    ForgetKey,
    /// A throw-away ECDSA P-384 key and a self-signed certificate for it, made by the
    /// component; the key stays in the worker, the certificate goes in the "signing" slot.
    GenerateKey {
        /// The certificate's common name.
        common_name: String,
        /// Days of validity.
        days: u32,
        /// The start of validity, Unix seconds.
        now: i64,
    },
    /// Parses a certificate and says what it says, keeping nothing (the catalog's signers).
    DescribeCert {
        /// PEM or DER.
        pem: Bytes,
    },
    /// Parses a certificate into a slot of the worker.
    LoadCert {
        /// Which slot.
        slot: CertSlotName,
        /// PEM or DER.
        pem: Bytes,
    },
    /// Signs a file with the loaded key and the "signing" certificate.
    Sign(SignRequest),
    /// Verifies image data (see [`VerifyRequest`]).
    Verify(VerifyRequest),
    /// Feeds a verification that asked for (more) data: `wants` in a [`VerifyAnswer`].
    VerifyMore {
        /// The session the worker named.
        session: u32,
        /// A `ReadableStream` (transferred) of the image's data.
        #[serde(with = "serde_wasm_bindgen::preserve")]
        data: JsValue,
        /// Its size in bytes, for progress (0 when unknown).
        total: u64,
    },
    /// Drops a verification that asked for data the page cannot give (its download failed).
    VerifyCancel {
        /// The session the worker named.
        session: u32,
    },
}

/// The worker's certificate slots.
#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CertSlotName {
    /// The certificate the loaded key signs with (and must match).
    Signing,
}

/// `sign`: the loaded key, the "signing" certificate, the file.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignRequest {
    /// The `File` or `Blob` to sign (read in slices in the worker).
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub data: JsValue,
    /// `SHA-256`, ...
    pub hash_method: String,
    /// The certificate's Barbican secret id.
    pub certificate_uuid: String,
    /// Unix seconds, for the certificate's dates.
    pub at: i64,
}

/// `verify`: everything a verification session needs but the data.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyRequest {
    /// The image's `img_signature*` properties as Glance holds them (absent ones absent).
    pub properties: BTreeMap<String, String>,
    /// The certificate the image names (PEM or DER); `None` (sent as `null`) when the image
    /// names none.
    pub certificate: Option<Bytes>,
    /// The trusted certificates (PEM bundles or DER), for Nova's chain validation.
    pub trusted: Vec<Bytes>,
    /// Unix seconds the certificates are judged at.
    pub at: i64,
    /// Whether a failure worth explaining gets a second pass.
    pub explain: bool,
    /// Whether `exitCode` requires trust (the portal shows trust itself: false).
    pub require_trust: bool,
    /// The data, or `null`: the worker then answers `wants` before reading anything, and an
    /// image whose properties are refused before any data is never downloaded.
    #[serde(with = "serde_wasm_bindgen::preserve")]
    pub data: JsValue,
    /// The data's size, for progress.
    pub total: u64,
}

/// Bytes, sent to the worker as a `Uint8Array`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Answers

/// A key as the component describes it.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct KeyDescription {
    /// `RSA`, `EC`, `DSA`.
    pub algorithm: String,
    /// Size in bits.
    pub bits: Option<u32>,
    /// The EC curve.
    pub curve: Option<String>,
    /// "an EC P-384 key".
    pub summary: String,
    /// The `img_signature_key_type` its signatures carry (`ECC_SECP384R1`), for a private key.
    pub key_type_name: Option<String>,
}

/// What a certificate says, judged now (the component's `certificate-info`).
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CertificateInfo {
    /// Subject, RFC 4514.
    pub subject: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// `valid`, `expired`, `not-yet-valid`.
    pub validity: String,
    /// SHA-256 of the DER, hex.
    pub fingerprint_sha256: String,
    /// The subject's key.
    pub public_key: KeyDescription,
    /// Subject equals issuer.
    pub self_signed: bool,
}

/// A parsed certificate: what it says and its PEM (public).
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CertificatePayload {
    /// What it says.
    pub info: CertificateInfo,
    /// The PEM the component re-encodes (one certificate, nothing else from the file).
    pub pem: String,
}

/// The answer to `load-key` and `generate-key`.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct KeyAnswer {
    /// The key.
    pub key: KeyDescription,
    /// `file` or `generated`.
    pub origin: String,
    /// Whether it matches the "signing" certificate (`None` without one).
    pub matches: Option<bool>,
    /// The generated certificate (`generate-key` only).
    pub certificate: Option<CertificatePayload>,
}

/// The answer to `load-cert`.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct CertAnswer {
    /// The certificate.
    pub certificate: CertificatePayload,
    /// Whether the loaded key matches it (`None` without a key).
    pub matches: Option<bool>,
}

/// The answer to `sign`.
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct SignAnswer {
    /// The properties to set, all in the create request.
    pub properties: Signed,
    /// Remarks (the certificate's dates as Nova judges them).
    pub notes: Vec<Note>,
    /// Bytes signed.
    pub bytes: u64,
}

/// Which pass over the data a verification wants.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Pass {
    /// The verification itself.
    Verify,
    /// A second pass to explain a failure.
    Explain,
}

/// The answer to `verify` and `verify-more`, as the worker sends it: either the report or
/// the pass the session waits for. Read it with [`VerifyAnswer::step`].
#[derive(Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct VerifyAnswer {
    /// The report, the shape `glance-sig verify --json` prints.
    pub report: Option<Report>,
    /// The pass the session waits for.
    pub wants: Option<Pass>,
    /// The session waiting for it.
    pub session: Option<u32>,
    /// Bytes fed over all passes.
    pub bytes: Option<u64>,
}

/// Where a verification stands after an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerifyStep {
    /// Done.
    Report(Box<Report>),
    /// Download the image (again) and send it with `verify-more`.
    Wants {
        /// Which pass.
        pass: Pass,
        /// For `verify-more`.
        session: u32,
    },
}

impl VerifyAnswer {
    /// The report, or the pass wanted.
    ///
    /// # Errors
    /// In words, when the answer holds neither.
    pub fn step(self) -> Result<VerifyStep, WorkerError> {
        match (self.report, self.wants, self.session) {
            (Some(report), _, _) => Ok(VerifyStep::Report(Box::new(report))),
            (None, Some(pass), Some(session)) => Ok(VerifyStep::Wants { pass, session }),
            _ => Err(WorkerError::bad_answer(
                "the worker's verification answer has neither a report nor a pass it waits for",
            )),
        }
    }
}

/// A failure the worker reported: a stable code (the component's error case, or the
/// worker's own: `key-mismatch`, `passphrase-required`, ...), a message, and which input of the
/// request was refused, when one was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerError {
    /// Stable code.
    pub code: String,
    /// For people.
    pub message: String,
    /// `key`, `certificate`, `properties`, `hash-method` or `trusted`.
    pub input: Option<String>,
    /// For `trusted`: which of the request's trusted certificates, from 0.
    pub index: Option<u32>,
}

impl WorkerError {
    fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            input: None,
            index: None,
        }
    }

    fn bad_answer(message: impl Into<String>) -> Self {
        Self::new("bad-answer", message)
    }
}

impl std::fmt::Display for WorkerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

// ---------------------------------------------------------------------------------------------
// Messages from the worker

/// Every message the worker posts: `{id, type, ...}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    #[serde(default)]
    id: u32,
    #[serde(rename = "type")]
    kind: MessageKind,
    /// `ok`: the operation's answer (read by the caller into its own type).
    #[serde(default, with = "serde_wasm_bindgen::preserve")]
    result: JsValue,
    /// `error`.
    code: Option<String>,
    /// `error`, `failed`.
    message: Option<String>,
    /// `error`: the refused input, and for `trusted` its index.
    input: Option<String>,
    index: Option<u32>,
    /// `progress`.
    #[serde(default)]
    done: u64,
    #[serde(default)]
    total: u64,
    #[serde(default)]
    elapsed_ms: f64,
}

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum MessageKind {
    /// id 0: the component loaded.
    Ready,
    /// id 0: it did not.
    Failed,
    Progress,
    Ok,
    Error,
}

// ---------------------------------------------------------------------------------------------
// The worker

type ProgressFn = Box<dyn Fn(Progress)>;
type MessageHandler = RefCell<Option<Closure<dyn FnMut(MessageEvent)>>>;
type ErrorHandler = RefCell<Option<Closure<dyn FnMut(web_sys::Event)>>>;

struct Pending {
    resolve: Function,
    reject: Function,
    progress: Option<ProgressFn>,
}

struct Inner {
    worker: Worker,
    next_id: Cell<u32>,
    pending: RefCell<HashMap<u32, Pending>>,
    _on_message: MessageHandler,
    _on_error: ErrorHandler,
}

/// A handle to the signing worker (cheap to clone).
#[derive(Clone)]
pub struct SigWorker(Rc<Inner>);

impl PartialEq for SigWorker {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// How requests become JavaScript values: `None` as `null` (the worker tells `null` from
/// absent only for `certificate`, where `null` means "none"), maps as plain objects.
fn serializer() -> serde_wasm_bindgen::Serializer {
    serde_wasm_bindgen::Serializer::new()
        .serialize_missing_as_null(true)
        .serialize_maps_as_objects(true)
}

impl SigWorker {
    /// Starts the module worker at `url`; `on_ready` hears once whether the component loaded.
    ///
    /// # Errors
    /// In words, when the browser refuses to start the worker.
    pub fn spawn(
        url: &str,
        on_ready: impl Fn(Result<(), String>) + 'static,
    ) -> Result<Self, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(url, &options).map_err(|e| js_error(&e))?;
        let inner = Rc::new(Inner {
            worker,
            next_id: Cell::new(1),
            pending: RefCell::new(HashMap::new()),
            _on_message: RefCell::new(None),
            _on_error: RefCell::new(None),
        });
        let on_ready = Rc::new(on_ready);

        let weak = Rc::downgrade(&inner);
        let ready = on_ready.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(inner) = weak.upgrade() else { return };
            let data = event.data();
            let message: Message = match serde_wasm_bindgen::from_value(data.clone()) {
                Ok(message) => message,
                Err(error) => {
                    web_sys::console::error_2(
                        &format!("glance-sig: unreadable message from the worker: {error}").into(),
                        &data,
                    );
                    return;
                }
            };
            if message.id == 0 {
                match message.kind {
                    MessageKind::Ready => ready(Ok(())),
                    _ => ready(Err(message
                        .message
                        .unwrap_or_else(|| "the signing worker failed".to_owned()))),
                }
                return;
            }
            if message.kind == MessageKind::Progress {
                if let Some(Pending {
                    progress: Some(progress),
                    ..
                }) = inner.pending.borrow().get(&message.id)
                {
                    progress(Progress {
                        done: message.done,
                        total: message.total,
                        elapsed_ms: message.elapsed_ms,
                    });
                }
                return;
            }
            let Some(pending) = inner.pending.borrow_mut().remove(&message.id) else {
                return;
            };
            let outcome = match message.kind {
                MessageKind::Ok => pending.resolve.call1(&JsValue::NULL, &message.result),
                _ => {
                    let error = js_sys::Array::of4(
                        &message.code.unwrap_or_else(|| "error".to_owned()).into(),
                        &message
                            .message
                            .unwrap_or_else(|| "the worker failed without a message".to_owned())
                            .into(),
                        &message.input.map_or(JsValue::UNDEFINED, JsValue::from),
                        &message.index.map_or(JsValue::UNDEFINED, JsValue::from),
                    );
                    pending.reject.call1(&JsValue::NULL, &error)
                }
            };
            if let Err(error) = outcome {
                web_sys::console::error_1(&error);
            }
        });
        inner
            .worker
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        *inner._on_message.borrow_mut() = Some(on_message);

        let ready = on_ready;
        let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            let message = Reflect::get(&event, &JsValue::from_str("message"))
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "the signing worker could not start".to_owned());
            ready(Err(message));
        });
        inner
            .worker
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        *inner._on_error.borrow_mut() = Some(on_error);
        Ok(Self(inner))
    }

    /// Runs `request` in the worker and reads its answer as `R`; `transfer` lists objects to
    /// move rather than copy (a `ReadableStream`). Progress messages go to `progress`.
    ///
    /// # Errors
    /// What the worker reported; `bad-answer` when its answer is not an `R`.
    pub async fn call<R: DeserializeOwned>(
        &self,
        request: &Request,
        transfer: Option<&Array>,
        progress: Option<ProgressFn>,
    ) -> Result<R, WorkerError> {
        let message = request.serialize(&serializer()).map_err(|error| {
            WorkerError::new(
                "post-failed",
                format!("the request could not be written for the worker: {error}"),
            )
        })?;
        let id = self.0.next_id.get();
        self.0.next_id.set(id.wrapping_add(1).max(1));
        // Setting a property on the fresh plain object the serializer made cannot fail.
        let _ = Reflect::set(&message, &JsValue::from_str("id"), &JsValue::from(id));
        let inner = self.0.clone();
        let promise = Promise::new(&mut |resolve, reject| {
            inner.pending.borrow_mut().insert(
                id,
                Pending {
                    resolve,
                    reject,
                    progress: None,
                },
            );
        });
        if let Some(progress) = progress {
            if let Some(pending) = self.0.pending.borrow_mut().get_mut(&id) {
                pending.progress = Some(progress);
            }
        }
        let posted = match transfer {
            Some(transfer) => self.0.worker.post_message_with_transfer(&message, transfer),
            None => self.0.worker.post_message(&message),
        };
        if let Err(error) = posted {
            self.0.pending.borrow_mut().remove(&id);
            return Err(WorkerError::new("post-failed", js_error(&error)));
        }
        match JsFuture::from(promise).await {
            Ok(result) => serde_wasm_bindgen::from_value(result).map_err(|error| {
                WorkerError::bad_answer(format!(
                    "the worker's answer to this request is not what the portal expects: {error}"
                ))
            }),
            Err(error) => {
                let parts = Array::from(&error);
                Err(WorkerError {
                    code: parts
                        .get(0)
                        .as_string()
                        .unwrap_or_else(|| "error".to_owned()),
                    message: parts.get(1).as_string().unwrap_or_else(|| js_error(&error)),
                    input: parts.get(2).as_string(),
                    index: parts
                        .get(3)
                        .as_f64()
                        .and_then(|i| u32::try_from(i as i64).ok()),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! The messages' shapes, checked natively with serde_json: the same derives that
    //! serde-wasm-bindgen uses in the browser. (Browser handles serialize here as their
    //! JsValue index; in the browser they pass through as the objects themselves.)
    use super::*;
    use serde_json::{json, Value};

    fn shape(request: &Request) -> Value {
        serde_json::to_value(request).expect("serializes")
    }

    #[test]
    fn requests_name_the_ops_and_fields_of_ops_js() {
        assert_eq!(shape(&Request::ForgetKey), json!({"op": "forget-key"}));
        assert_eq!(
            shape(&Request::GenerateKey {
                common_name: "cn".into(),
                days: 365,
                now: 1_700_000_000,
            }),
            json!({"op": "generate-key", "commonName": "cn", "days": 365, "now": 1_700_000_000})
        );
        assert_eq!(
            shape(&Request::LoadCert {
                slot: CertSlotName::Signing,
                pem: Bytes(vec![1, 2]),
            }),
            json!({"op": "load-cert", "slot": "signing", "pem": [1, 2]})
        );
        assert_eq!(
            shape(&Request::DescribeCert {
                pem: Bytes(vec![1])
            }),
            json!({"op": "describe-cert", "pem": [1]})
        );
        let load = shape(&Request::LoadKey {
            file: JsValue::NULL,
            passphrase: None,
        });
        assert_eq!(load["op"], "load-key");
        assert!(load.get("file").is_some() && load["passphrase"].is_null());
        let sign = shape(&Request::Sign(SignRequest {
            data: JsValue::NULL,
            hash_method: "SHA-384".into(),
            certificate_uuid: "c1".into(),
            at: 5,
        }));
        assert_eq!(sign["op"], "sign");
        assert_eq!(sign["hashMethod"], "SHA-384");
        assert_eq!(sign["certificateUuid"], "c1");
        assert_eq!(sign["at"], 5);
        let more = shape(&Request::VerifyMore {
            session: 3,
            data: JsValue::NULL,
            total: 10,
        });
        assert_eq!(more["op"], "verify-more");
        assert_eq!(more["session"], 3);
        assert_eq!(more["total"], 10);
        assert_eq!(
            shape(&Request::VerifyCancel { session: 3 }),
            json!({"op": "verify-cancel", "session": 3})
        );
    }

    #[test]
    fn verify_request_says_none_with_null_and_sends_anchors_as_bytes() {
        let mut properties = BTreeMap::new();
        properties.insert("img_signature".to_owned(), "c2ln".to_owned());
        let request = shape(&Request::Verify(VerifyRequest {
            properties,
            certificate: None,
            trusted: vec![Bytes(b"PEM".to_vec())],
            at: 7,
            explain: true,
            require_trust: false,
            data: JsValue::NULL,
            total: 0,
        }));
        assert_eq!(request["op"], "verify");
        assert_eq!(request["properties"], json!({"img_signature": "c2ln"}));
        // Present and null: the worker reads null as "no certificate", absent as its slot.
        assert!(request
            .as_object()
            .expect("object")
            .contains_key("certificate"));
        assert!(request["certificate"].is_null());
        assert_eq!(request["trusted"], json!([[80, 69, 77]]));
        assert_eq!(request["requireTrust"], false);
        assert_eq!(request["explain"], true);
    }

    #[test]
    fn key_and_certificate_answers_read_as_ops_js_writes_them() {
        let key: KeyAnswer = serde_json::from_value(json!({
            "key": {"algorithm": "EC", "curve": "P-384", "keyType": "ecc-secp384r1",
                    "summary": "an EC P-384 key", "keyTypeName": "ECC_SECP384R1"},
            "origin": "generated",
            "certificate": {
                "info": {"subject": "CN=a", "issuer": "CN=a", "serial": "01",
                         "notBefore": 1, "notAfter": 2, "validity": "valid",
                         "fingerprintSha256": "ff", "selfSigned": true,
                         "publicKey": {"algorithm": "EC", "summary": "an EC P-384 key"}},
                "pem": "-----BEGIN CERTIFICATE-----"
            },
            "matches": true
        }))
        .expect("key answer");
        assert_eq!(key.key.key_type_name.as_deref(), Some("ECC_SECP384R1"));
        assert_eq!(key.key.bits, None);
        assert_eq!(key.matches, Some(true));
        let cert = key.certificate.expect("generated certificate");
        assert_eq!(cert.info.not_after, 2);
        assert!(cert.info.self_signed);

        let loaded: CertAnswer = serde_json::from_value(json!({
            "certificate": {"info": {"subject": "CN=b", "issuer": "CN=ca", "serial": "02",
                "notBefore": 1, "notAfter": 2, "validity": "expired", "fingerprintSha256": "aa",
                "selfSigned": false, "publicKey": {"algorithm": "RSA", "bits": 2048,
                "summary": "a 2048-bit RSA key"}}, "pem": "P"},
            "matches": null
        }))
        .expect("cert answer");
        assert_eq!(loaded.matches, None);
        assert_eq!(loaded.certificate.info.public_key.bits, Some(2048));
        assert!(serde_json::from_value::<CertAnswer>(json!({"matches": true})).is_err());
    }

    #[test]
    fn sign_answer_carries_properties_and_notes() {
        let signed: SignAnswer = serde_json::from_value(json!({
            "properties": {"signature": "c2ln", "hashMethod": "SHA-256",
                           "keyType": "RSA-PSS", "certificateUuid": "c1"},
            "json": "{}\n",
            "notes": [{"code": "certificate-outside-validity", "message": "expired"}],
            "bytes": 1000
        }))
        .expect("sign answer");
        assert_eq!(signed.properties.key_type, "RSA-PSS");
        assert_eq!(signed.notes[0].code, "certificate-outside-validity");
        assert_eq!(signed.bytes, 1000);
        // An absent property reads as empty: the flow refuses an incomplete set.
        let incomplete: SignAnswer = serde_json::from_value(json!({
            "properties": {"signature": "c2ln"}, "notes": [], "bytes": 0
        }))
        .expect("sign answer");
        assert_eq!(incomplete.properties.hash_method, "");
    }

    /// `glance-sig verify --json` of a good RSA-PSS signature with no trusted certificate
    /// (the CLI's own output, tests/data/report-valid.json): the worker's `report` is this
    /// object.
    const CLI_REPORT: &str = include_str!("../tests/data/report-valid.json");

    #[test]
    fn verify_answer_is_the_clis_report_or_a_wanted_pass() {
        let report: Value = serde_json::from_str(CLI_REPORT).expect("json");
        let answer: VerifyAnswer = serde_json::from_value(json!({
            "report": report, "json": CLI_REPORT, "text": "", "valid": true,
            "trustEstablished": false, "exitCode": 0, "bytes": 12
        }))
        .expect("verify answer");
        let VerifyStep::Report(report) = answer.step().expect("step") else {
            panic!("not a report")
        };
        assert!(report.valid);
        assert!(!report.trust.established);
        assert_eq!(report.trust.code, "no-trust-anchor");
        assert!(report.certificate.is_some());
        assert!(report
            .text()
            .contains("Trust: authenticity NOT established"));

        let waiting: VerifyAnswer =
            serde_json::from_value(json!({"wants": "explain", "session": 4})).expect("wants");
        assert_eq!(
            waiting.step(),
            Ok(VerifyStep::Wants {
                pass: Pass::Explain,
                session: 4
            })
        );
        let neither: VerifyAnswer = serde_json::from_value(json!({"bytes": 1})).expect("neither");
        assert_eq!(
            neither.step().map_err(|e| e.code),
            Err("bad-answer".to_owned())
        );
    }

    #[test]
    fn worker_messages_read() {
        let progress: Message = serde_json::from_value(json!({
            "id": 2, "type": "progress", "done": 5, "total": 10, "elapsedMs": 1.5
        }))
        .expect("progress");
        assert_eq!(progress.kind, MessageKind::Progress);
        assert_eq!((progress.done, progress.total), (5, 10));
        let error: Message = serde_json::from_value(json!({
            "id": 2, "type": "error", "code": "no-key", "message": "load a private key first"
        }))
        .expect("error");
        assert_eq!(error.code.as_deref(), Some("no-key"));
        let ready: Message =
            serde_json::from_value(json!({"id": 0, "type": "ready"})).expect("ready");
        assert_eq!(ready.kind, MessageKind::Ready);
        assert!(serde_json::from_value::<Message>(json!({"id": 1, "type": "other"})).is_err());
    }
}
