// The panel's side of the portal's postMessage protocol (docs/portal-embedding.md):
//   portal -> here  {type: "glance-sig:ready"}            answer {type: "glance-sig:token", token,
//                                                           project_id, region, auth_url}
//   portal -> here  {type: "glance-sig:token-expiring",   answer {type: "glance-sig:token-refresh", ...}
//                    expires_at, needed_until}
// Messages are taken only from the framed portal (event.source and event.origin both) and sent
// only to its origin. The token comes from Horizon's session, fetched from this panel's own
// endpoint when asked, and is never written into the page.
(function () {
  "use strict";
  var frame = document.getElementById("glance-sig-portal");
  var notice = document.getElementById("glance-sig-notice");
  if (!frame) return;
  var origin = frame.getAttribute("data-portal-origin");
  var tokenUrl = frame.getAttribute("data-token-url");

  function say(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function sessionToken() {
    return fetch(tokenUrl, {
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
      headers: { "X-Requested-With": "glance-sig" },
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.error || "HTTP " + response.status);
        return body;
      });
    });
  }

  function post(message) {
    frame.contentWindow.postMessage(message, origin);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow) return;
    var data = event.data || {};
    if (data.type === "glance-sig:ready") {
      sessionToken().then(function (t) {
        var handover = { type: "glance-sig:token", token: t.token, project_id: t.project_id };
        if (t.region) handover.region = t.region;
        if (t.auth_url) handover.auth_url = t.auth_url;
        post(handover);
      }, function (error) {
        say("The portal could not be signed in: " + error.message);
      });
    } else if (data.type === "glance-sig:token-expiring") {
      sessionToken().then(function (t) {
        // Horizon cannot extend a token: a later one exists only once the user has signed in
        // again (in another tab, say). Hand over what the session holds; the portal takes it
        // only if it is the same user and project and lasts longer.
        post({ type: "glance-sig:token-refresh", token: t.token, project_id: t.project_id });
        var needed = Date.parse(data.needed_until);
        if (t.expires_at && needed && Date.parse(t.expires_at) < needed) {
          say("Your dashboard session ends at " + new Date(t.expires_at).toLocaleTimeString() +
              ", before the upload is expected to finish (" + new Date(needed).toLocaleTimeString() +
              "). Sign in to the dashboard again in another tab: the portal asks for the new token by itself.");
        } else {
          say("");
        }
      }, function (error) {
        say("The portal asked for a fresh token, and the dashboard has none: " + error.message +
            ". Sign in to the dashboard again in another tab.");
      });
    }
  });
})();
