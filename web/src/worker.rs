//! The bridge to the signing worker (`worker/sig-worker.js`), which runs the jco-transpiled
//! glance-sig component off the UI thread.
//!
//! Each call posts `{id, op, ...}` and resolves when the worker answers `ok` or `error` for
//! that id; `progress` messages for the id go to the call's progress callback.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::api::js_error;
use crate::state::Progress;

/// A failure the worker reported: a stable code (the component's error case, or the
/// worker's own: `key-mismatch`, `passphrase-required`, ...) and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerError {
    /// Stable code.
    pub code: String,
    /// For people.
    pub message: String,
}

impl std::fmt::Display for WorkerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

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

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn number(value: &JsValue, key: &str) -> f64 {
    get(value, key).as_f64().unwrap_or(0.0)
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
            let id = number(&data, "id") as u32;
            let kind = get(&data, "type").as_string().unwrap_or_default();
            if id == 0 {
                match kind.as_str() {
                    "ready" => ready(Ok(())),
                    _ => ready(Err(get(&data, "message")
                        .as_string()
                        .unwrap_or_else(|| "the signing worker failed".to_owned()))),
                }
                return;
            }
            if kind == "progress" {
                if let Some(Pending {
                    progress: Some(progress),
                    ..
                }) = inner.pending.borrow().get(&id)
                {
                    progress(Progress {
                        done: number(&data, "done") as u64,
                        total: number(&data, "total") as u64,
                        elapsed_ms: number(&data, "elapsedMs"),
                    });
                }
                return;
            }
            let Some(pending) = inner.pending.borrow_mut().remove(&id) else {
                return;
            };
            let outcome = if kind == "ok" {
                pending.resolve.call1(&JsValue::NULL, &get(&data, "result"))
            } else {
                pending.reject.call1(&JsValue::NULL, &data)
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
            let message = get(&event, "message")
                .as_string()
                .unwrap_or_else(|| "the signing worker could not start".to_owned());
            ready(Err(message));
        });
        inner
            .worker
            .set_onerror(Some(on_error.as_ref().unchecked_ref()));
        *inner._on_error.borrow_mut() = Some(on_error);
        Ok(Self(inner))
    }

    /// Runs `op` with `fields` in the worker; `transfer` lists objects to move rather than copy
    /// (a `ReadableStream`). Progress messages go to `progress`.
    ///
    /// # Errors
    /// What the worker reported.
    pub async fn call(
        &self,
        op: &str,
        fields: &[(&str, JsValue)],
        transfer: Option<&Array>,
        progress: Option<ProgressFn>,
    ) -> Result<Value, WorkerError> {
        let id = self.0.next_id.get();
        self.0.next_id.set(id.wrapping_add(1).max(1));
        let message = Object::new();
        let set = |key: &str, value: &JsValue| {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&message, &JsValue::from_str(key), value);
        };
        set("id", &JsValue::from(id));
        set("op", &JsValue::from_str(op));
        for (key, value) in fields {
            set(key, value);
        }
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
            return Err(WorkerError {
                code: "post-failed".to_owned(),
                message: js_error(&error),
            });
        }
        match JsFuture::from(promise).await {
            Ok(result) => Ok(to_json(&result)),
            Err(data) => Err(WorkerError {
                code: get(&data, "code")
                    .as_string()
                    .unwrap_or_else(|| "error".to_owned()),
                message: get(&data, "message")
                    .as_string()
                    .unwrap_or_else(|| js_error(&data)),
            }),
        }
    }
}

/// A JSON-friendly JavaScript value as `serde_json::Value`.
pub fn to_json(value: &JsValue) -> Value {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
}
