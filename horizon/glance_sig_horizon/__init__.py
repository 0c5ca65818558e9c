"""A Horizon plugin that hosts the glance-sig portal.

It adds a "Sign and upload image" panel next to Project > Compute > Images and a "Verify
signature" action on every image. The panel frames the portal (served from its own origin)
and hands it the user's token from Horizon's session by postMessage, as
docs/portal-embedding.md describes. The portal signs in the browser tab and talks to Glance
and Barbican itself; Horizon never sees the key or the image data.
"""
