"""WSGI entry point for Barbican without anything under /etc.

Barbican's own entry point (barbican.wsgi.api) hard-codes
/etc/barbican/barbican-api-paste.ini. This one loads the paste file named by
GLANCE_SIG_BARBICAN_PASTE (written by stack.sh). barbican.conf itself is found
through oslo.config's default search path, so stack.sh runs uwsgi with
HOME=<folder holding barbican.conf>.
"""

import os

from paste import deploy

application = deploy.loadapp("config:" + os.environ["GLANCE_SIG_BARBICAN_PASTE"])
