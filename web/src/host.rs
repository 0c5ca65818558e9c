//! The host page (a dashboard that frames or opened the portal): who sent a message, and
//! messages to it. The protocol is in docs/portal-embedding.md:
//! - `glance-sig:ready` → the host answers `glance-sig:token` (the sign-in);
//! - `glance-sig:token-expiring` → the host answers `glance-sig:token-refresh` (a renewal).
//!
//! Messages go to the allowed origins only, and are taken from them only when `event.source`
//! is the parent frame (or the opener, where allowed): [`crate::config::PortalConfig::accepts_message`].

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use gloo::events::EventListener;
use js_sys::Reflect;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::MessageEvent;

use crate::config::{MessageSource, PortalConfig};

/// Who sent a message: `event.source` against the window's parent frame and opener (by
/// identity; a window is never its own parent here).
pub fn message_source(window: &web_sys::Window, source: Option<js_sys::Object>) -> MessageSource {
    let Some(source) = source.map(JsValue::from) else {
        return MessageSource::Other;
    };
    let own: &JsValue = window.as_ref();
    if source == *own {
        return MessageSource::Other;
    }
    let parent = window.parent().ok().flatten().map(JsValue::from);
    if parent.is_some_and(|parent| parent == source && parent != *own) {
        return MessageSource::Parent;
    }
    let opener = window
        .opener()
        .ok()
        .filter(|o| !o.is_null() && !o.is_undefined());
    if opener.is_some_and(|opener| opener == source) {
        return MessageSource::Opener;
    }
    MessageSource::Other
}

/// A message object of string fields.
pub fn message(fields: &[(&str, &str)]) -> JsValue {
    let message = js_sys::Object::new();
    for (key, value) in fields {
        let _ = Reflect::set(&message, &(*key).into(), &(*value).into());
    }
    message.into()
}

/// Posts `message` to the embedding page (parent frame and opener), addressed to each allowed
/// origin only: a window of another origin never receives it.
pub fn post(window: &web_sys::Window, origins: &[String], message: &JsValue) {
    let targets = [
        window.parent().ok().flatten(),
        // Unchecked: an opener of another origin is a cross-origin WindowProxy, which is no
        // `instanceof Window` in this realm (so `dyn_into` would drop it), yet posting to it is
        // what cross-origin windows allow.
        window
            .opener()
            .ok()
            .filter(|o| !o.is_null() && !o.is_undefined())
            .map(|o| o.unchecked_into::<web_sys::Window>()),
    ];
    for target in targets.into_iter().flatten() {
        if target == *window {
            continue;
        }
        for origin in origins {
            let _ = target.post_message(message, origin.trim_end_matches('/'));
        }
    }
}

/// Asks the host page for a fresh token and waits up to `wait` for its
/// `{type: "glance-sig:token-refresh", token}`; `None` without an answer. The listener lives
/// only for the wait.
pub async fn ask_for_fresh_token(
    config: &PortalConfig,
    expires_at: &str,
    needed_until: &str,
    wait: Duration,
) -> Option<String> {
    let window = web_sys::window()?;
    let answer: Rc<RefCell<Option<String>>> = Rc::default();
    let listener = {
        let (answer, own, config) = (answer.clone(), window.clone(), config.clone());
        EventListener::new(&window, "message", move |event| {
            let Some(event) = event.dyn_ref::<MessageEvent>() else {
                return;
            };
            if !config.accepts_message(&event.origin(), message_source(&own, event.source())) {
                return;
            }
            let data = event.data();
            let field = |key: &str| {
                Reflect::get(&data, &key.into())
                    .ok()
                    .and_then(|value| value.as_string())
            };
            if field("type").as_deref() == Some("glance-sig:token-refresh") {
                if let Some(token) = field("token").filter(|token| !token.is_empty()) {
                    *answer.borrow_mut() = Some(token);
                }
            }
        })
    };
    post(
        &window,
        &config.embed.allowed_origins,
        &message(&[
            ("type", "glance-sig:token-expiring"),
            ("expires_at", expires_at),
            ("needed_until", needed_until),
        ]),
    );
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited < wait {
        if let Some(token) = answer.borrow_mut().take() {
            drop(listener);
            return Some(token);
        }
        crate::api::sleep(step).await;
        waited += step;
    }
    drop(listener);
    None
}
