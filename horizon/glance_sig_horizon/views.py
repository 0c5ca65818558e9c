"""The panel: a page that frames the portal, and the endpoint that hands it the token."""

import re
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from horizon import views

# A Glance image id as the "Verify signature" action passes it (a uuid; nothing else reaches
# the portal's URL).
_IMAGE_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")


def portal_url():
    """The portal's URL (settings.GLANCE_SIG_PORTAL_URL) and its origin."""
    url = getattr(settings, "GLANCE_SIG_PORTAL_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"GLANCE_SIG_PORTAL_URL is {url!r}: set it to the portal's http(s) URL in local_settings.py"
        )
    return url, f"{parts.scheme}://{parts.netloc}"


def _framing_headers(response):
    # Only Horizon itself may frame this page: it holds the session's token (by fetch).
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = "frame-ancestors 'self'"
    return response


class PortalView(views.HorizonTemplateView):
    template_name = "glance_sig_horizon/index.html"
    page_title = "Sign and upload image"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        url, origin = portal_url()
        verify = self.request.GET.get("verify", "")
        if verify and _IMAGE_ID.match(verify):
            sep = "&" if urlsplit(url).query else "?"
            url = f"{url}{sep}{urlencode({'verify': verify})}"
            context["page_title"] = "Verify signature"
            context["verify_image_id"] = verify
        context["portal_src"] = url
        context["portal_origin"] = origin
        context["token_url"] = reverse("horizon:project:glance_sig:token")
        return context

    def render_to_response(self, context, **kwargs):
        return _framing_headers(super().render_to_response(context, **kwargs))


@never_cache
@require_GET
def token(request):
    """The session's token, for the panel's own script only.

    A page of another origin cannot read this answer (no CORS), and the custom header makes a
    cross-origin fetch need a preflight that fails; Sec-Fetch-Site, where the browser sends
    it, must say same-origin.
    """
    if request.headers.get("X-Requested-With") != "glance-sig":
        return JsonResponse({"error": "this endpoint answers the panel's script only"}, status=403)
    if request.headers.get("Sec-Fetch-Site", "same-origin") != "same-origin":
        return JsonResponse({"error": "cross-origin requests are refused"}, status=403)
    user = request.user
    if not user.is_authenticated or not getattr(user, "token", None):
        return JsonResponse({"error": "signed out of the dashboard: sign in again"}, status=401)
    expires = user.token.expires
    return _framing_headers(
        JsonResponse(
            {
                "token": user.token.id,
                "project_id": user.project_id,
                "user_id": user.id,
                "expires_at": expires.isoformat() if expires else None,
                # Where the dashboard itself works: the portal takes the same region's
                # endpoints from the token's catalog (Keystone's URL it keeps from config.json
                # unless that lets a host page name it).
                "region": getattr(user, "services_region", None),
                "auth_url": getattr(settings, "OPENSTACK_KEYSTONE_URL", None),
            }
        )
    )
