"""Keystone setup for the local stack, in one process (stack.sh start calls it).

`keystone-manage bootstrap` has already made the admin user and project, the
roles admin/manager/member/reader, region RegionOne and the identity endpoints.
This adds the rest (idempotently: anything already there is reused), including
the regions of the https fronts (RegionTLS, RegionMTLS: the same services
through tlsfront.py), then checks that Barbican and Glance accept a demo token,
which proves their keystone_authtoken settings.

Usage: bootstrap.py < settings.json  (see stack.sh for the keys)
"""

import json
import sys
import time

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from keystoneclient.v3 import client as ks_client

INTERFACES = ("public", "internal", "admin")


def password_session(auth_url, user, password, project):
    auth = v3.Password(
        auth_url=auth_url,
        username=user,
        password=password,
        project_name=project,
        user_domain_name="Default",
        project_domain_name="Default",
    )
    return ks_session.Session(auth=auth)


def ensure_all(manager, names, create_args=lambda name: {}):
    """name -> resource for each name, creating the missing ones (one list call for all)."""
    have = {r.name: r for r in manager.list()}
    return {n: have.get(n) or manager.create(name=n, **create_args(n)) for n in names}


def ensure_service(ks, name, service_type, description):
    for service in ks.services.list(type=service_type):
        if service.name == name:
            return service
    return ks.services.create(name=name, type=service_type, description=description)


def ensure_region(ks, region, description):
    if region not in {r.id for r in ks.regions.list()}:
        ks.regions.create(id=region, description=description)


def ensure_endpoints(ks, service, url, region):
    have = {e.interface for e in ks.endpoints.list(service=service, region=region)}
    for interface in INTERFACES:
        if interface not in have:
            ks.endpoints.create(service=service, url=url, interface=interface, region=region)


def main():
    s = json.load(sys.stdin)
    started = time.monotonic()
    admin = password_session(s["auth_url"], "admin", s["admin_password"], "admin")
    ks = ks_client.Client(session=admin)

    domain = ks.domains.get("default")
    roles = ensure_all(ks.roles, ("admin", "member", "reader", "service", "creator"))
    descriptions = {
        "service": "Service users",
        "demo": "glance-sig demo project",
        "other": "glance-sig second project (another project's certificates)",
    }
    projects = ensure_all(
        ks.projects,
        descriptions,
        create_args=lambda n: {"domain": domain, "description": descriptions[n]},
    )

    # user -> (password, project, roles in that project)
    users = {
        "glance": (s["glance_password"], "service", ("admin", "service")),
        "barbican": (s["barbican_password"], "service", ("admin", "service")),
        "demo": (s["demo_password"], "demo", ("member", "reader", "creator")),
        "other": (s["other_password"], "other", ("member", "reader", "creator")),
    }
    made = ensure_all(
        ks.users,
        users,
        create_args=lambda n: {
            "domain": domain,
            "password": users[n][0],
            "default_project": projects[users[n][1]],
        },
    )
    for name, (_, project, role_names) in users.items():
        for role in role_names:
            ks.roles.grant(roles[role], user=made[name], project=projects[project])

    region = s["region"]
    ensure_endpoints(
        ks,
        ensure_service(ks, "barbican", "key-manager", "Barbican key manager"),
        s["barbican_url"],
        region,
    )
    ensure_endpoints(
        ks, ensure_service(ks, "glance", "image", "Glance image service"), s["glance_url"], region
    )

    # The fronts' regions: RegionOne stays as it is (plain http), so clients that name it
    # (clouds.yaml, Glance's own settings, the portal's config.json) never get an https URL.
    services = {
        "identity": ensure_service(ks, "keystone", "identity", "Keystone identity"),
        "image": ensure_service(ks, "glance", "image", "Glance image service"),
        "key-manager": ensure_service(ks, "barbican", "key-manager", "Barbican key manager"),
    }
    for tls_region, urls in s.get("tls_regions", {}).items():
        ensure_region(ks, tls_region, "the RegionOne services through the https fronts (tlsfront.py)")
        for service_type, url in urls.items():
            ensure_endpoints(ks, services[service_type], url, tls_region)

    # Both services validate a demo token through keystonemiddleware: a wrong
    # [keystone_authtoken] section shows up here, not in the first test.
    demo = password_session(s["auth_url"], "demo", s["demo_password"], "demo")
    for name, url in (
        ("barbican", s["barbican_url"] + "/v1/secrets?limit=1"),
        ("glance", s["glance_url"] + "/v2/images?limit=1"),
    ):
        deadline = time.monotonic() + 30
        while True:
            try:
                resp = demo.get(url, authenticated=True, raise_exc=False, timeout=30)
            except ks_exc.ConnectionError as err:
                resp, why = None, str(err)
            else:
                why = f"HTTP {resp.status_code}: {resp.text[:300]}"
            if resp is not None and resp.status_code == 200:
                break
            # Connection errors and 5xx can be a service still warming up; a 4xx is a wrong setting.
            if (resp is not None and resp.status_code < 500) or time.monotonic() > deadline:
                sys.exit(f"bootstrap: {name} refused the demo token ({url}): {why}")
            time.sleep(0.5)

    print(f"keystone setup and token checks done in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
