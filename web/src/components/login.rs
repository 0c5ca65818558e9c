//! Sign-in (password or application credential) and the project choice.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{input_text, use_ctx};
use crate::flows;
use crate::state::{Action, Session};

#[derive(Clone, Copy, PartialEq)]
enum Method {
    Password,
    AppCredential,
}

/// The sign-in form.
#[function_component]
pub fn Login() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    let config = state.config.clone().unwrap_or_else(unreachable_config);
    let method = use_state(|| Method::Password);
    let auth_url = use_state(|| config.auth_url.clone());
    let user = use_state(String::new);
    let domain = use_state(|| config.user_domain.clone());
    let secret = use_state(String::new);
    let credential_id = use_state(String::new);

    let on = |handle: &UseStateHandle<String>| {
        let handle = handle.clone();
        Callback::from(move |event: InputEvent| handle.set(input_text(&event)))
    };
    let onsubmit = {
        let dispatcher = state.dispatcher();
        let (method, auth_url, user, domain, secret, credential_id) = (
            method.clone(),
            auth_url.clone(),
            user.clone(),
            domain.clone(),
            secret.clone(),
            credential_id.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let auth = match *method {
                Method::Password => {
                    flows::password_auth((*user).clone(), (*domain).clone(), (*secret).clone())
                }
                Method::AppCredential => {
                    flows::app_credential_auth((*credential_id).clone(), (*secret).clone())
                }
            };
            spawn_local(flows::sign_in(
                dispatcher.clone(),
                (*auth_url).clone(),
                auth,
            ));
            // The secret is not kept in the form once sent.
            secret.set(String::new());
        })
    };
    let choose = |value: Method| {
        let method = method.clone();
        Callback::from(move |_: MouseEvent| method.set(value))
    };
    let busy = state.auth_busy;
    html! {
        <section class="card" id="login">
            <h2>{ "Sign in to the cloud" }</h2>
            <p class="muted">{ "Your token stays in this tab's memory only; it is never stored." }</p>
            { handover_notice(state) }
            <div class="choice">
                <button type="button" id="method-password" class={classes!((*method == Method::Password).then_some("active"))} onclick={choose(Method::Password)}>{ "Password" }</button>
                <button type="button" id="method-appcred" class={classes!((*method == Method::AppCredential).then_some("active"))} onclick={choose(Method::AppCredential)}>{ "Application credential" }</button>
            </div>
            <form {onsubmit}>
                <label>{ "Keystone URL" }
                    <input id="auth-url" value={(*auth_url).clone()} oninput={on(&auth_url)} readonly={config.lock_auth_url} />
                </label>
                if *method == Method::Password {
                    <label>{ "User" }<input id="auth-user" autocomplete="username" value={(*user).clone()} oninput={on(&user)} /></label>
                    <label>{ "Domain" }<input id="auth-domain" value={(*domain).clone()} oninput={on(&domain)} /></label>
                    <label>{ "Password" }<input id="auth-password" type="password" autocomplete="current-password" value={(*secret).clone()} oninput={on(&secret)} /></label>
                } else {
                    <label>{ "Credential id" }<input id="auth-appcred-id" value={(*credential_id).clone()} oninput={on(&credential_id)} /></label>
                    <label>{ "Secret" }<input id="auth-appcred-secret" type="password" value={(*secret).clone()} oninput={on(&secret)} /></label>
                }
                <button id="sign-in" type="submit" disabled={busy}>{ if busy { "Signing in…" } else { "Sign in" } }</button>
            </form>
            { for state.auth_error.as_ref().map(|error| html! { <p id="auth-error" class="bad">{ error }</p> }) }
        </section>
    }
}

/// Why a handed-over token was ignored, above the sign-in form.
fn handover_notice(state: &crate::state::State) -> Html {
    state
        .handover_notice
        .as_ref()
        .map(|notice| html! { <p id="handover-notice" class="warn">{ notice }</p> })
        .unwrap_or_default()
}

/// After a token was handed over (host page or link): who is signed in, to confirm before
/// anything can be uploaded. A page or a link can sign the browser in to an account that is
/// not the user's (login CSRF); what the user then uploaded would go to that account.
#[function_component]
pub fn ConfirmHandover() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    let Some(scoped) = state.scoped() else {
        return html! {};
    };
    let confirm = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::HandoverConfirmed))
    };
    let reject = {
        let dispatcher = state.dispatcher();
        // No revocation: the token is the host page's (or the link's), not this page's.
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::HandoverRejected))
    };
    let keystone = state.auth_url.clone().unwrap_or_default();
    html! {
        <section class="card" id="handover-confirm-card" data-user={scoped.user.clone()} data-project={scoped.project.clone()}>
            <h2>{ "Is this your account?" }</h2>
            <p id="handover-who">{ format!("The page that opened this portal signed you in as {} in project {} (id {}) at {keystone}.", scoped.user, scoped.project, scoped.project_id) }</p>
            <p class="muted">{ "Check the account and project before you continue: a page or a link can sign you in to someone else's account, and what you upload would go there." }</p>
            <button id="handover-confirm" onclick={confirm}>{ format!("Continue as {} in {}", scoped.user, scoped.project) }</button>
            { " " }
            <button id="handover-reject" onclick={reject}>{ "This is not my account: sign out" }</button>
        </section>
    }
}

fn unreachable_config() -> crate::config::PortalConfig {
    // Body renders Login only once the configuration is loaded; an empty one is harmless.
    crate::config::PortalConfig {
        auth_url: String::new(),
        interface: None,
        region: None,
        user_domain: "Default".into(),
        lock_auth_url: true,
        hash_method: "SHA-256".into(),
        embed: Default::default(),
        connect_src: Vec::new(),
        trusted_certificate_ids: Vec::new(),
        trusted_certificates: Vec::new(),
        page_origin: None,
    }
}

/// The project choice after an unscoped sign-in.
#[function_component]
pub fn ProjectChooser() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    let Some(Session::ChoosingProject {
        token,
        user,
        projects,
    }) = &state.session
    else {
        return html! {};
    };
    let auth_url = state.auth_url.clone().unwrap_or_default();
    let buttons = projects.iter().map(|project| {
        let dispatcher = state.dispatcher();
        let (token, auth_url, id) = (token.clone(), auth_url.clone(), project.id.clone());
        let onclick = Callback::from(move |_: MouseEvent| {
            let auth = flows::project_auth(token.clone(), id.clone());
            spawn_local(flows::sign_in(dispatcher.clone(), auth_url.clone(), auth))
        });
        html! {
            <li><button id={format!("project-{}", project.name)} {onclick} disabled={state.auth_busy}>{ &project.name }</button>
                { for project.description.as_ref().map(|d| html! { <span class="muted">{ format!(" {d}") }</span> }) }</li>
        }
    });
    html! {
        <section class="card" id="projects">
            <h2>{ format!("{user}: choose a project") }</h2>
            <ul>{ for buttons }</ul>
            { for state.auth_error.as_ref().map(|error| html! { <p id="auth-error" class="bad">{ error }</p> }) }
        </section>
    }
}
