# Horizon's pluggable settings: copy (or link) this file into openstack_dashboard/local/enabled/.
# The panel sits in Project > Compute, right after Images (_1050).
PANEL = "glance_sig"
PANEL_DASHBOARD = "project"
PANEL_GROUP = "compute"
ADD_PANEL = "glance_sig_horizon.panel.SignImage"
ADD_INSTALLED_APPS = ["glance_sig_horizon"]
# The "Verify signature" item action and the "Sign and upload image" button of the Images panel.
ADD_ANGULAR_MODULES = ["horizon.app.glance-sig"]
ADD_JS_FILES = ["glance_sig_horizon/images-actions.js"]
AUTO_DISCOVER_STATIC_FILES = False
