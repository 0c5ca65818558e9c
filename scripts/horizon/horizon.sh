#!/usr/bin/env bash
# A real Horizon (27, from PyPI, pinned) on 127.0.0.1, wired to the local stack's Keystone, with
# the glance-sig plugin (horizon/) enabled. Django's development server, one process, sessions
# in memory: a loopback test dashboard, never a production one.
#
#   horizon.sh install [--refreeze]   venv with the pinned packages and the plugin (skipped when exact)
#   horizon.sh start                  (re)start it; waits until the login page answers
#   horizon.sh stop                   end it by its pidfile
#   horizon.sh status                 exit 0 only when it answers
#   horizon.sh url                    print its URL
#
# Environment: GLANCE_SIG_HORIZON_PORT (default 8090), GLANCE_SIG_HORIZON_PORTAL_URL (the portal
# the panel frames, default http://127.0.0.1:8080/), GLANCE_SIG_KEYSTONE_PORT (5000),
# GLANCE_SIG_CACHE (venv cache, default ~/.cache/glance-sig), GLANCE_SIG_STACK_DIR (state,
# default <repo>/.stack), GLANCE_SIG_PYTHON (default python3). The demo user: demo / demo-secret.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${GLANCE_SIG_CACHE:-${HOME:?HOME is not set}/.cache/glance-sig}
venv=$cache/horizon-venv
state=${GLANCE_SIG_STACK_DIR:-$repo/.stack}
case $state in /*) ;; *) state=$PWD/$state ;; esac
dir=$state/horizon
python=${GLANCE_SIG_PYTHON:-python3}
port=${GLANCE_SIG_HORIZON_PORT:-8090}
url=http://127.0.0.1:$port/
portal_url=${GLANCE_SIG_HORIZON_PORTAL_URL:-http://127.0.0.1:8080/}
keystone_url=http://127.0.0.1:${GLANCE_SIG_KEYSTONE_PORT:-5000}/v3
plugin=$repo/horizon
req=$here/requirements.txt
cons=$here/constraints.txt
stamp_file=$venv/.glance-sig-stamp

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PYTHONWARNINGS=ignore

say() { printf 'horizon: %s\n' "$*" >&2; }
die() { printf 'horizon: error: %s\n' "$*" >&2; exit 1; }

# The plugin's files are part of the stamp: a changed panel is reinstalled.
stamp() {
  {
    cat "$req" "$cons"
    "$python" -c 'import sys; print(sys.version)'
    (cd "$plugin" && find pyproject.toml local_settings.py glance_sig_horizon -type f -not -path '*/__pycache__/*' -not -name '*.pyc' | LC_ALL=C sort | xargs sha256sum)
  } | sha256sum | cut -d' ' -f1
}

dashboard_dir() { echo "$venv/lib/python$("$venv/bin/python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')/site-packages/openstack_dashboard"; }

venv_current() { [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$(stamp)" ]; }

# The plugin, as a dashboard operator installs one: the package, then its enabled files and the
# local settings into Horizon's local/ directory.
after_install() {
  local pip=("$venv/bin/python" -m pip --no-input --disable-pip-version-check -q) copy od
  # Built from a copy: setuptools would leave build/ and *.egg-info in the checkout.
  copy=$(mktemp -d)
  cp -r "$plugin/pyproject.toml" "$plugin/glance_sig_horizon" "$copy/"
  "${pip[@]}" install --no-deps "$copy"
  rm -rf "$copy"
  od=$(dashboard_dir)
  cp "$plugin"/glance_sig_horizon/enabled/_1*.py "$od/local/enabled/"
  cp "$plugin/local_settings.py" "$od/local/local_settings.py"
  say "installed Horizon $("$venv/bin/python" -c 'import horizon.version as v; print(v.version_info.version_string())') with the glance-sig plugin"
}

# shellcheck source=../lib/pinned-venv.sh
. "$here/../lib/pinned-venv.sh"

cmd_install() { pinned_venv_install "Horizon 27" "$venv" "$req" "$cons" "$python" "$@"; }

answers() { curl -fsS -o /dev/null --max-time 10 "${url}auth/login/" 2>/dev/null; }

cmd_stop() {
  local pidfile=$dir/horizon.pid
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$pidfile"
  fi
}

cmd_start() {
  cmd_install
  cmd_stop
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && die "port $port is in use: stop what runs there (or set GLANCE_SIG_HORIZON_PORT)"
  mkdir -p "$dir/static"
  export DJANGO_SETTINGS_MODULE=openstack_dashboard.settings \
    GLANCE_SIG_HORIZON_STATIC_ROOT=$dir/static \
    GLANCE_SIG_HORIZON_PORTAL_URL=$portal_url \
    GLANCE_SIG_HORIZON_KEYSTONE_URL=$keystone_url
  "$venv/bin/django-admin" collectstatic --noinput -v0 >"$dir/collectstatic.log" 2>&1 \
    || { tail -20 "$dir/collectstatic.log" >&2; die "collectstatic failed"; }
  setsid "$venv/bin/django-admin" runserver --noreload "127.0.0.1:$port" >"$dir/horizon.log" 2>&1 &
  echo $! >"$dir/horizon.pid"
  local waited=0
  until answers; do
    kill -0 "$(cat "$dir/horizon.pid")" 2>/dev/null || { tail -30 "$dir/horizon.log" >&2; die "Horizon exited"; }
    [ "$waited" -ge 90 ] && { tail -30 "$dir/horizon.log" >&2; cmd_stop; die "Horizon did not answer in 90 s"; }
    sleep 1
    waited=$((waited + 1))
  done
  say "Horizon on $url (log: $dir/horizon.log), framing the portal at $portal_url; user demo, password demo-secret"
}

cmd_status() {
  if answers; then echo "horizon   running  $url"; else echo "horizon   stopped"; return 1; fi
}

case ${1:-} in
  install) shift; cmd_install "$@" ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) echo "$url" ;;
  *) die "usage: horizon.sh install [--refreeze] | start | stop | status | url" ;;
esac
