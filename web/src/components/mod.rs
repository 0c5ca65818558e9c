//! Function components. They read [`State`] from the [`Ctx`] context and start flows; they
//! change no state themselves.

mod catalog;
mod certificate;
mod image;
mod key;
mod login;
mod sign;
mod verify;

use std::future::Future;

use gloo::events::EventListener;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement, MessageEvent};
use yew::prelude::*;

use crate::flows::{self, Dispatch};
use crate::state::{Action, Screen, Session, State};
use crate::worker::SigWorker;

/// What every component gets: the state and the worker.
#[derive(Clone, PartialEq)]
pub struct Ctx {
    /// The state (dispatch actions through it).
    pub state: UseReducerHandle<State>,
    /// The signing worker, once started.
    pub worker: Option<SigWorker>,
}

impl Ctx {
    /// A callback for a flow that uses the worker: `start` makes the flow of the event, given
    /// the dispatcher and the worker, or `None` to start nothing. Without a worker, the event
    /// starts nothing and `start` is not called.
    pub fn flow<E, F>(
        &self,
        start: impl Fn(E, Dispatch, SigWorker) -> Option<F> + 'static,
    ) -> Callback<E>
    where
        E: 'static,
        F: Future<Output = ()> + 'static,
    {
        let (dispatcher, worker) = (self.state.dispatcher(), self.worker.clone());
        Callback::from(move |event| {
            let Some(worker) = worker.clone() else { return };
            if let Some(flow) = start(event, dispatcher.clone(), worker) {
                spawn_local(flow);
            }
        })
    }
}

/// The context, from inside a component under [`App`].
#[hook]
pub fn use_ctx() -> Ctx {
    use_context::<Ctx>().expect("components are rendered inside App's ContextProvider")
}

/// Lists the catalog's images once, when a screen that shows them appears and they are not
/// loaded yet (the catalog, and the verify view's picker).
#[hook]
pub fn use_catalog_loaded() {
    let ctx = use_ctx();
    let state = &ctx.state;
    let (dispatcher, scoped) = (state.dispatcher(), state.scoped().cloned());
    let needs = state.catalog == crate::state::Catalog::NotLoaded;
    use_effect_with(needs, move |needs| {
        if *needs {
            if let Some(scoped) = scoped {
                spawn_local(flows::load_catalog(dispatcher, scoped));
            }
        }
    });
}

/// The text of an input's `input` event.
pub fn input_text(event: &InputEvent) -> String {
    event.target_unchecked_into::<HtmlInputElement>().value()
}

/// The value of a select's `change` event.
pub fn select_value(event: &Event) -> String {
    event.target_unchecked_into::<HtmlSelectElement>().value()
}

/// The first file of a file input's `change` event.
pub fn chosen_file(event: &Event) -> Option<web_sys::File> {
    event
        .target_unchecked_into::<HtmlInputElement>()
        .files()
        .and_then(|files| files.get(0))
}

/// The portal.
#[function_component]
pub fn App() -> Html {
    let state = use_reducer(State::default);

    let worker = {
        let dispatcher = state.dispatcher();
        use_memo((), move |_| {
            let ready = dispatcher.clone();
            let spawned = SigWorker::spawn("worker/sig-worker.js", move |result| {
                ready.dispatch(match result {
                    Ok(()) => Action::WorkerReady,
                    Err(message) => Action::WorkerFailed(message),
                })
            });
            match spawned {
                Ok(worker) => Some(worker),
                Err(message) => {
                    dispatcher.dispatch(Action::WorkerFailed(message));
                    None
                }
            }
        })
    };

    {
        let dispatcher = state.dispatcher();
        use_effect_with((), move |_| {
            spawn_local(flows::start(dispatcher));
        });
    }

    // Token hand-over by postMessage, from the origins config.json allows, sent by the parent
    // frame (or the opener, when allowed). Listening only while nobody is signed in: the
    // listener is dropped with the session's start (and comes back after signing out).
    {
        let dispatcher = state.dispatcher();
        let listening = state
            .listens_for_handover()
            .then(|| state.config.clone())
            .flatten();
        use_effect_with(listening, move |listening| {
            let listener = listening.clone().and_then(|config| {
                let window = web_sys::window()?;
                let accepted = config.clone();
                let own = window.clone();
                let listener = EventListener::new(&window, "message", move |event| {
                    let Some(event) = event.dyn_ref::<MessageEvent>() else {
                        return;
                    };
                    let source = crate::host::message_source(&own, event.source());
                    if !accepted.accepts_message(&event.origin(), source) {
                        return;
                    }
                    if let Some(handover) = flows::handover_from_message(&event.data()) {
                        spawn_local(flows::sign_in_handover(
                            dispatcher.clone(),
                            accepted.clone(),
                            handover,
                        ));
                    }
                });
                crate::host::post(
                    &window,
                    &config.embed.allowed_origins,
                    &crate::host::message(&[("type", "glance-sig:ready")]),
                );
                Some(listener)
            });
            move || drop(listener)
        });
    }

    // `?verify=<id>` (a dashboard's "Verify signature"): verify that image once the session is
    // confirmed and the worker ready, once.
    {
        let landing = state.landing_ready().map(str::to_owned);
        let (dispatcher, worker) = (state.dispatcher(), (*worker).clone());
        let scoped = state.confirmed().cloned();
        let anchors = state
            .config
            .as_ref()
            .map(|config| config.trust_anchors())
            .unwrap_or_default();
        use_effect_with(landing, move |landing| {
            if let (Some(image_id), Some(worker), Some(scoped)) = (landing.clone(), worker, scoped)
            {
                dispatcher.dispatch(Action::LandingTaken);
                spawn_local(flows::verify_image(
                    dispatcher, worker, scoped, anchors, image_id,
                ));
            }
        });
    }

    // While an image is being created and uploaded, leaving the page would strand it: ask first.
    {
        let running = state.job.is_running();
        use_effect_with(running, move |running| {
            let listener = running.then(web_sys::window).flatten().map(|window| {
                EventListener::new_with_options(
                    &window,
                    "beforeunload",
                    gloo::events::EventListenerOptions::enable_prevent_default(),
                    |event| event.prevent_default(),
                )
            });
            move || drop(listener)
        });
    }

    let ctx = Ctx {
        state: state.clone(),
        worker: (*worker).clone(),
    };
    html! {
        <ContextProvider<Ctx> context={ctx}>
            <Header />
            <main>
                <Body />
            </main>
        </ContextProvider<Ctx>>
    }
}

#[function_component]
fn Header() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    let worker_status = match &state.worker {
        None => {
            html! { <span id="worker-status" class="muted" data-status="starting">{ "signing worker starting…" }</span> }
        }
        Some(Ok(())) => {
            html! { <span id="worker-status" class="ok" data-status="ready">{ "signing worker ready" }</span> }
        }
        Some(Err(message)) => {
            html! { <span id="worker-status" class="bad" data-status="failed">{ format!("signing worker failed: {message}") }</span> }
        }
    };
    let session = state.scoped().map(|scoped| {
        let onclick = {
            let dispatcher = state.dispatcher();
            let worker = ctx.worker.clone();
            let revoke = state.auth_url.clone().map(|url| (url, scoped.token.clone()));
            Callback::from(move |_: MouseEvent| {
                spawn_local(flows::sign_out(dispatcher.clone(), worker.clone(), revoke.clone()))
            })
        };
        html! {
            <span class="session">
                <span id="session-user">{ format!("{} in project {}", scoped.user, scoped.project) }</span>
                <button id="sign-out" {onclick}>{ "Sign out" }</button>
            </span>
        }
    });
    html! {
        <header>
            <h1>{ "glance-sig portal" }</h1>
            <span class="tagline">{ "Sign images in your browser; Glance verifies them on upload." }</span>
            { worker_status }
            { for session }
        </header>
    }
}

#[function_component]
fn Body() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    if let Some(message) = &state.config_error {
        return html! { <p id="config-error" class="bad">{ format!("The portal cannot start: {message}") }</p> };
    }
    if state.config.is_none() {
        return html! { <p class="muted">{ "Loading configuration…" }</p> };
    }
    match &state.session {
        Some(Session::Ready(_)) if state.handover_unconfirmed => {
            html! { <login::ConfirmHandover /> }
        }
        Some(Session::Ready(_)) => html! { <Screens /> },
        Some(Session::ChoosingProject { .. }) => html! { <login::ProjectChooser /> },
        _ => html! { <login::Login /> },
    }
}

#[function_component]
fn Screens() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    let tab = |screen: Screen, id: &'static str, label: &'static str| {
        let dispatcher = state.dispatcher();
        let onclick =
            Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::Show(screen)));
        let class = if state.screen == screen {
            "tab active"
        } else {
            "tab"
        };
        html! { <button {id} {class} {onclick}>{ label }</button> }
    };
    html! {
        <>
            <nav>
                { tab(Screen::Sign, "tab-sign", "Sign and upload") }
                { tab(Screen::Verify, "tab-verify", "Verify an image") }
                { tab(Screen::Catalog, "tab-catalog", "Catalog") }
            </nav>
            {
                match state.screen {
                    Screen::Sign => html! { <sign::SignScreen /> },
                    Screen::Verify => html! { <verify::VerifyScreen /> },
                    Screen::Catalog => html! { <catalog::CatalogScreen /> },
                }
            }
        </>
    }
}

/// A progress bar with rate and time left (no inline styles: the CSP forbids them).
#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    /// The element id.
    pub id: AttrValue,
    /// What is being done.
    pub label: AttrValue,
    /// Progress.
    pub progress: crate::state::Progress,
}

/// A labelled `<progress>` with MB/s and time left.
#[function_component]
pub fn ProgressBar(props: &ProgressProps) -> Html {
    let p = props.progress;
    let (rate, left) = crate::format::rate(p.done, p.total, p.elapsed_ms);
    let percent = crate::format::percent(p.done, p.total);
    html! {
        <div class="progress" id={props.id.clone()} data-done={p.done.to_string()} data-total={p.total.to_string()}>
            <span class="label">{ props.label.clone() }</span>
            <progress max="100" value={format!("{percent:.1}")}></progress>
            <span class="numbers">
                { format!("{:.0}% · {} of {} · {}", percent, crate::format::bytes(p.done), crate::format::bytes(p.total), rate) }
                { for left.map(|left| format!(" · {left}")) }
            </span>
        </div>
    }
}

/// A file input that shows the chosen file's name itself: the browser's own "No file chosen"
/// comes back whenever the page re-renders the input, so the native text is hidden (the input
/// stays in the page, for the keyboard and for tests) and the state's name is shown.
#[derive(Properties, PartialEq)]
pub struct FileBoxProps {
    /// The input's id; the name shown has the id `<id>-chosen`.
    pub id: AttrValue,
    /// What to choose.
    pub label: AttrValue,
    /// File types offered.
    #[prop_or_default]
    pub accept: AttrValue,
    /// The chosen file's name, once there is one.
    pub chosen: Option<AttrValue>,
    /// The input's `change`.
    pub onchange: Callback<Event>,
}

/// A labelled file input with the chosen name beside it.
#[function_component]
pub fn FileBox(props: &FileBoxProps) -> Html {
    html! {
        <label class="file-box">
            <span class="file-label">{ props.label.clone() }</span>
            <input id={props.id.clone()} class="file-input" type="file" accept={props.accept.clone()} onchange={props.onchange.clone()} />
            <span class="file-button">{ "Choose a file…" }</span>
            <span id={format!("{}-chosen", props.id)} class={classes!("file-chosen", props.chosen.is_none().then_some("muted"))}>
                { props.chosen.clone().unwrap_or_else(|| "no file chosen yet".into()) }
            </span>
        </label>
    }
}
