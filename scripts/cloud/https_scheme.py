"""WSGI entry point that marks requests which came through a TLS front as https.

tlsfront.py works at the TCP level: a service gets the same HTTP request through
https://127.0.0.1:5443 as through http://127.0.0.1:5000, with only the Host header telling
them apart. The services build their self-links from the request (Keystone's and Glance's
version documents, Barbican's secret refs), with scheme http; keystoneauth follows those links
after version discovery, so through a front it would be sent to http://127.0.0.1:5443/v3 and
fail. A request whose Host port is one of GLANCE_SIG_TLS_PORTS (comma-separated; stack.sh
sets it) gets wsgi.url_scheme=https, HTTPS=on and X-Forwarded-Proto: https (Barbican reads
that header itself, whatever oslo's proxy-header setting says); any other request is passed
on untouched.

    uwsgi --wsgi-file https_scheme.py   with GLANCE_SIG_WSGI_APP=module:callable
"""

import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # for barbican_wsgi

TLS_PORTS = frozenset(p.strip() for p in os.environ.get("GLANCE_SIG_TLS_PORTS", "").split(",") if p.strip())


def host_port(host):
    name, sep, port = host.rpartition(":")
    return port if sep and not port.endswith("]") else ""


def mark_https(app):
    def wrapped(environ, start_response):
        if host_port(environ.get("HTTP_HOST", "")) in TLS_PORTS:
            environ["wsgi.url_scheme"] = "https"
            environ["HTTPS"] = "on"
            environ["HTTP_X_FORWARDED_PROTO"] = "https"
        return app(environ, start_response)

    return wrapped


module, _, name = os.environ["GLANCE_SIG_WSGI_APP"].partition(":")
application = mark_https(getattr(importlib.import_module(module), name or "application"))
