# Horizon's local settings for the local stack (scripts/horizon/horizon.sh links this file into
# Horizon's venv as openstack_dashboard/local/local_settings.py). Loopback only, throw-away
# secrets: never a production configuration. The values come from the environment the script
# sets, so one file serves any port layout.
import os

from openstack_dashboard.settings import HORIZON_CONFIG  # noqa: F401  (Horizon's convention)

_env = os.environ.get

DEBUG = _env("GLANCE_SIG_HORIZON_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = _env("GLANCE_SIG_HORIZON_SECRET_KEY") or "local-stack-only-not-a-secret"

# One process (Django's development server): sessions in local memory, no memcached.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
# Sessions get a cache of their own: the default one holds hundreds of Horizon's and the
# compressor's entries, and local memory's culling would drop sessions with them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 10000}},
    "sessions": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sessions",
                 "OPTIONS": {"MAX_ENTRIES": 10000}},
}
SESSION_CACHE_ALIAS = "sessions"
# Horizon's own default: a session ends with Keystone's token (an hour on the local stack).
SESSION_TIMEOUT = int(_env("GLANCE_SIG_HORIZON_SESSION_TIMEOUT", "3600"))

OPENSTACK_HOST = "127.0.0.1"
OPENSTACK_KEYSTONE_URL = _env("GLANCE_SIG_HORIZON_KEYSTONE_URL", "http://127.0.0.1:5000/v3")
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = "Default"
OPENSTACK_KEYSTONE_DEFAULT_ROLE = "member"
# The catalog also lists the https fronts (RegionTLS, RegionMTLS): Horizon talks plain http.
DEFAULT_SERVICE_REGIONS = {"*": _env("GLANCE_SIG_HORIZON_REGION", "RegionOne")}
OPENSTACK_ENDPOINT_TYPE = "publicURL"
# Only Keystone, Glance and Barbican run: no Nova, Neutron or Cinder.
OPENSTACK_NEUTRON_NETWORK = {"enable_router": False, "enable_quotas": False}
HORIZON_IMAGES_UPLOAD_MODE = "direct"

STATIC_ROOT = _env("GLANCE_SIG_HORIZON_STATIC_ROOT") or None
COMPRESS_OFFLINE = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# The glance-sig plugin (horizon/glance_sig_horizon): where the portal is served, which origin
# that is (the frame's src, the only origin messages go to and come from).
GLANCE_SIG_PORTAL_URL = _env("GLANCE_SIG_HORIZON_PORTAL_URL", "http://127.0.0.1:8080/")

# Horizon's project dashboard opens on Overview, which needs Nova; this cloud has none.
LOGIN_REDIRECT_URL = "/project/images/"
