#!/usr/bin/env bash
# A real local OpenStack (Keystone, Barbican, Glance from PyPI) on 127.0.0.1, with SQLite and
# uwsgi, for the tests and the browser portal. Nothing is written under /etc.
#
#   stack.sh install [--refreeze]   venv with the pinned packages (skipped when already exact)
#   stack.sh start                  stop, wipe the state, start all three fresh, bootstrap; new
#                                   TLS material and the https fronts (tlsfront.py) before them
#   stack.sh stop                   end the servers and the fronts by their pidfiles
#   stack.sh status                 what runs (exit 0 only when all three and the fronts answer)
#   stack.sh env                    print demo.env (export lines for the demo user)
#   stack.sh horizon start|stop|status|install
#                                   a real Horizon 27 with the glance-sig panel, on
#                                   http://127.0.0.1:8090 (scripts/horizon/horizon.sh; after start)
#
# Environment: GLANCE_SIG_CACHE (venv cache, default ~/.cache/glance-sig), GLANCE_SIG_STACK_DIR
# (state, default <repo>/.stack), GLANCE_SIG_PORTAL_ORIGIN (CORS origins, comma-separated,
# default http://127.0.0.1:8080,https://127.0.0.1:8443 and Horizon's http://127.0.0.1:8090, for a
# portal served from Horizon's own origin), GLANCE_SIG_PYTHON (default python3),
# GLANCE_SIG_START_TIMEOUT (seconds per service, default 90), GLANCE_SIG_{KEYSTONE,BARBICAN,
# GLANCE}_PORT, GLANCE_SIG_{KEYSTONE,BARBICAN,GLANCE}_{TLS,MTLS}_PORT, GLANCE_SIG_KEYSTONE_
# {EXPIRED,WRONG_NAME}_PORT, GLANCE_SIG_PORTAL_{TLS,HTTPS_BACKEND}_PORT (the fronts).
# Ports, credentials, files written and known quirks: scripts/cloud/README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${GLANCE_SIG_CACHE:-${HOME:?HOME is not set}/.cache/glance-sig}
venv=$cache/cloud-venv
state=${GLANCE_SIG_STACK_DIR:-$repo/.stack}
case $state in /*) ;; *) state=$PWD/$state ;; esac
python=${GLANCE_SIG_PYTHON:-python3}
start_timeout=${GLANCE_SIG_START_TIMEOUT:-90}
tls=$state/tls

host=127.0.0.1
region=RegionOne
ks_port=${GLANCE_SIG_KEYSTONE_PORT:-5000}
bb_port=${GLANCE_SIG_BARBICAN_PORT:-9311}
gl_port=${GLANCE_SIG_GLANCE_PORT:-9292}
ks_url=http://$host:$ks_port
bb_url=http://$host:$bb_port
gl_url=http://$host:$gl_port
auth_url=$ks_url/v3

# The TLS fronts (tlsfront.py, one process): https on these ports, the plain services behind.
ks_tls_port=${GLANCE_SIG_KEYSTONE_TLS_PORT:-5443}
gl_tls_port=${GLANCE_SIG_GLANCE_TLS_PORT:-9293}
bb_tls_port=${GLANCE_SIG_BARBICAN_TLS_PORT:-9312}
# The same, with a client certificate required (signed by tls/client-ca.pem).
ks_mtls_port=${GLANCE_SIG_KEYSTONE_MTLS_PORT:-5444}
gl_mtls_port=${GLANCE_SIG_GLANCE_MTLS_PORT:-9294}
bb_mtls_port=${GLANCE_SIG_BARBICAN_MTLS_PORT:-9313}
# Keystone behind certificates a client must refuse.
ks_expired_port=${GLANCE_SIG_KEYSTONE_EXPIRED_PORT:-5445}
ks_wrong_name_port=${GLANCE_SIG_KEYSTONE_WRONG_NAME_PORT:-5446}
# The https portal: whatever serves on the backend port (the portal tests do) is reached here.
portal_tls_port=${GLANCE_SIG_PORTAL_TLS_PORT:-8443}
portal_backend_port=${GLANCE_SIG_PORTAL_HTTPS_BACKEND_PORT:-8083}
tls_region=RegionTLS
mtls_region=RegionMTLS
tls_auth_url=https://$host:$ks_tls_port/v3
mtls_auth_url=https://$host:$ks_mtls_port/v3
front_ports=("$ks_tls_port" "$gl_tls_port" "$bb_tls_port" "$ks_mtls_port" "$gl_mtls_port" "$bb_mtls_port"
  "$ks_expired_port" "$ks_wrong_name_port" "$portal_tls_port")
front_ports_csv=$(IFS=, && echo "${front_ports[*]}")
origins=${GLANCE_SIG_PORTAL_ORIGIN:-http://127.0.0.1:8080,https://127.0.0.1:$portal_tls_port,http://127.0.0.1:${GLANCE_SIG_HORIZON_PORT:-8090}}

# Throw-away credentials of a loopback-only test cloud.
admin_password=admin-secret
glance_password=glance-secret
barbican_password=barbican-secret
demo_password=demo-secret
other_password=other-secret

services=(keystone barbican glance)
marker=.glance-sig-stack

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

say() { printf 'stack: %s\n' "$*" >&2; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

# An Origin header is scheme://host[:port], nothing after: trim blanks and a trailing slash, so a
# pasted URL still matches what browsers send.
normalise_origins() {
  local list=() origin
  IFS=, read -ra list <<<"$1"
  local out=()
  for origin in "${list[@]}"; do
    origin=${origin//[[:space:]]/}
    origin=${origin%/}
    [ -n "$origin" ] || continue
    [[ $origin =~ ^https?://[^/]+$ ]] || die "GLANCE_SIG_PORTAL_ORIGIN: '$origin' is not an origin (scheme://host[:port])"
    out+=("$origin")
  done
  ((${#out[@]})) || die "GLANCE_SIG_PORTAL_ORIGIN is empty"
  local IFS=,
  echo "${out[*]}"
}

port_of() {
  case $1 in
    keystone) echo "$ks_port" ;;
    barbican) echo "$bb_port" ;;
    glance) echo "$gl_port" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# install

req=$here/requirements.txt
cons=$here/constraints.txt
stamp_file=$venv/.glance-sig-stamp

stamp() {
  {
    cat "$req"
    [ -f "$cons" ] && cat "$cons"
    "$python" -c 'import sys; print(sys.version)'
  } | sha256sum | cut -d' ' -f1
}

venv_current() {
  [ -f "$stamp_file" ] && [ -x "$venv/bin/uwsgi" ] && [ "$(cat "$stamp_file")" = "$(stamp)" ]
}

# shellcheck source=../lib/pinned-venv.sh
. "$here/../lib/pinned-venv.sh"

cmd_install() {
  pinned_venv_install "Keystone 30, Barbican 23 and Glance 33" "$venv" "$req" "$cons" "$python" "$@"
}

ensure_installed() {
  venv_current || cmd_install
}

# ---------------------------------------------------------------------------------------------
# stop / status

pid_of() { # service name, or tlsfront
  local pidfile=$state/run/$1.pid pid what=uwsgi
  [ "$1" = tlsfront ] && what=tlsfront.py
  [ -f "$pidfile" ] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [ -n "$pid" ] || return 1
  # Only a live uwsgi (or front) counts: a stale pidfile may name a recycled pid.
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qiF "$what" || return 1
  echo "$pid"
}

cmd_stop() {
  # All three at once: each uwsgi takes about 3 s to wind down. Glance 33 sometimes hangs in its
  # exit hook ("RuntimeError: cannot join current thread" in drain_workers, when uwsgi runs the
  # hook on the cache worker's thread), hence --worker-reload-mercy and the SIGKILL after 10 s.
  # Horizon's sessions hold this Keystone's tokens: it goes with the stack.
  [ -f "$state/horizon/horizon.pid" ] && "$repo/scripts/horizon/horizon.sh" stop
  [ -d "$state/run" ] || return 0
  local name pid pgid i pids=()
  for name in "${services[@]}"; do
    if pid=$(pid_of "$name"); then
      say "stopping $name (pid $pid)"
      pids+=("$pid")
      signal_uwsgi TERM "$pid"
    fi
  done
  # The front exits on SIGTERM within a second or two (it lets buffered bytes go out first).
  if pid=$(pid_of tlsfront); then
    say "stopping the TLS fronts (pid $pid)"
    pids+=("$pid")
    kill -TERM "$pid" 2>/dev/null || true
  fi
  for ((i = 0; i < 100; i++)); do
    alive "${pids[@]}" || break
    sleep 0.1
  done
  if alive "${pids[@]}"; then
    say "still running after 10 s: killing"
    for pid in "${pids[@]}"; do signal_uwsgi KILL "$pid"; done # the front leads its own group too
    for ((i = 0; i < 50; i++)); do
      alive "${pids[@]}" || break
      sleep 0.1
    done
  fi
  for name in "${services[@]}" tlsfront; do rm -f "$state/run/$name.pid"; done
}

alive() { # pid... -> true while any runs
  local pid
  for pid in "$@"; do kill -0 "$pid" 2>/dev/null && return 0; done
  return 1
}

pgid_of() { # pid -> process group, from /proc/<pid>/stat (the name field may hold spaces)
  local stat fields
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  read -ra fields <<<"${stat##*) }" # state ppid pgrp ...
  echo "${fields[2]}"
}

signal_uwsgi() { # signal master-pid
  # uwsgi --daemonize leaves the master and its workers alone in one process group: signal the
  # whole group (never our own), so no worker outlives a killed master.
  local pgid
  pgid=$(pgid_of "$2") || true
  if [ -n "$pgid" ] && [ "$pgid" != "$(pgid_of $$)" ]; then
    kill "-$1" -- "-$pgid" 2>/dev/null || true
  else
    kill "-$1" "$2" 2>/dev/null || true
  fi
}

http_code() { # url -> HTTP status, 000 when nothing answers
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1" || true
}

cmd_status() {
  local name pid code all=0
  for name in "${services[@]}"; do
    code=$(http_code "http://$host:$(port_of "$name")/")
    if pid=$(pid_of "$name"); then
      printf '%-9s running  pid %-7s http://%s:%s/ -> HTTP %s\n' "$name" "$pid" "$host" "$(port_of "$name")" "$code"
      [ "$code" != 000 ] || all=1
    else
      printf '%-9s stopped  %s\n' "$name" "$([ "$code" = 000 ] || echo "(but port $(port_of "$name") answers HTTP $code: another process)")"
      all=1
    fi
  done
  # One front process; Keystone through its TLS front stands for all of them.
  code=000
  [ -f "$tls/ca.pem" ] && code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --cacert "$tls/ca.pem" "$tls_auth_url" || true)
  if pid=$(pid_of tlsfront); then
    printf '%-9s running  pid %-7s %s -> HTTP %s\n' tlsfront "$pid" "$tls_auth_url" "$code"
    printf '          tls %s,%s,%s  mtls %s,%s,%s  expired %s  wrong-name %s  portal %s->%s\n' \
      "$ks_tls_port" "$gl_tls_port" "$bb_tls_port" "$ks_mtls_port" "$gl_mtls_port" "$bb_mtls_port" \
      "$ks_expired_port" "$ks_wrong_name_port" "$portal_tls_port" "$portal_backend_port"
    [ "$code" != 000 ] || all=1
  else
    printf '%-9s stopped\n' tlsfront
    all=1
  fi
  # Horizon is optional (stack.sh horizon start): shown when started, never a failure here.
  [ -f "$state/horizon/horizon.pid" ] && { "$repo/scripts/horizon/horizon.sh" status || true; }
  [ -f "$state/clouds.yaml" ] && echo "clouds.yaml: $state/clouds.yaml"
  return "$all"
}

cmd_env() {
  [ -f "$state/demo.env" ] || die "no $state/demo.env: run '$0 start' first"
  cat "$state/demo.env"
}

# ---------------------------------------------------------------------------------------------
# start

wipe_state() {
  if [ -d "$state" ] && [ ! -f "$state/$marker" ] && [ -n "$(ls -A "$state")" ]; then
    die "$state is not empty and was not made by this script (no $marker): refusing to wipe it"
  fi
  mkdir -p "$state"
  find "$state" -mindepth 1 -delete
  echo "made by scripts/cloud/stack.sh; wiped by every 'start'" >"$state/$marker"
  mkdir -p "$state"/{run,log,tls} "$state"/keystone/{fernet-keys,credential-keys} \
    "$state"/barbican "$state"/glance/{images,staging,tasks,image-cache,locks}
}

cors_section() {
  cat <<EOF
[cors]
allowed_origin = $origins
allow_credentials = true
allow_methods = GET,PUT,POST,DELETE,PATCH,HEAD,OPTIONS
allow_headers = X-Auth-Token,X-Subject-Token,X-Openstack-Request-Id,Content-Type,Accept,OpenStack-API-Version,X-Service-Token,X-Image-Meta-Store,X-Openstack-Append,X-Openstack-Stores,X-Requested-With
expose_headers = X-Subject-Token,X-Openstack-Request-Id,Location,Content-Type,Content-Length,Content-MD5,OpenStack-API-Version,OpenStack-Image-Import-Methods,OpenStack-Image-Store-Ids,X-Openstack-Stores
max_age = 3600
EOF
}

authtoken_section() { # user password
  cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $auth_url
auth_url = $auth_url
auth_type = password
username = $1
password = $2
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = $region
memcached_servers =
service_token_roles_required = false
EOF
}

write_configs() {
  local ks=$state/keystone bb=$state/barbican gl=$state/glance etc=$venv/etc
  local kek
  kek=$(head -c 32 /dev/urandom | base64 -w0)

  # Keystone: OS_KEYSTONE_CONFIG_FILES finds this file; its CORS filter reads its own copy through
  # oslo.config's default search path, hence HOME=$ks when keystone runs (~/keystone.conf).
  cat >"$ks/keystone.conf" <<EOF
[database]
connection = sqlite:///$ks/keystone.db

[token]
provider = fernet

[fernet_tokens]
key_repository = $ks/fernet-keys

[fernet_receipts]
key_repository = $ks/fernet-keys

[credential]
key_repository = $ks/credential-keys

[cache]
# One keystone process, so an in-process cache stays coherent; without it every request
# re-validates its token from scratch (about 0.3 s each on this machine).
enabled = true
backend = dogpile.cache.memory

[oslo_concurrency]
lock_path = $ks

$(cors_section)
EOF

  # Barbican: found as ~/barbican.conf with HOME=$bb (its WSGI entry and barbican-manage read
  # only oslo.config's default paths).
  cat >"$bb/barbican.conf" <<EOF
[DEFAULT]
# No host_href: Barbican then builds its refs from the request (Host header, X-Forwarded-Proto
# set by https_scheme.py), so they name the front a client came through; plain clients still
# get http://127.0.0.1:9311/v1/secrets/...
sql_connection = sqlite:///$bb/barbican.db
# Creates the tables at start-up from the models (faster than barbican-manage db upgrade).
db_auto_create = true

[database]
connection = sqlite:///$bb/barbican.db

[secretstore]
namespace = barbican.secretstore.plugin
enabled_secretstore_plugins = store_crypto

[crypto]
namespace = barbican.crypto.plugin
enabled_crypto_plugins = simple_crypto

[simple_crypto_plugin]
kek = $kek

[oslo_concurrency]
lock_path = $bb

$(authtoken_section barbican "$barbican_password")

$(cors_section)
EOF
  # The CORS filter builds its own config: point it at our file (without this it finds nothing and
  # silently sends no CORS headers).
  sed -e "s#/etc/barbican/#$bb/#g" \
    -e "/^\[filter:cors\]/a oslo_config_file = $bb/barbican.conf" \
    "$etc/barbican/barbican-api-paste.ini" >"$bb/barbican-api-paste.ini"

  cat >"$gl/glance-api.conf" <<EOF
[DEFAULT]
enabled_backends = fs:file
worker_self_reference_url = $gl_url
image_cache_dir = $gl/image-cache
enabled_import_methods = [glance-direct,web-download,copy-image]

[database]
connection = sqlite:///$gl/glance.db

[glance_store]
default_backend = fs

[fs]
filesystem_store_datadir = $gl/images

[os_glance_staging_store]
filesystem_store_datadir = $gl/staging

[os_glance_tasks_store]
filesystem_store_datadir = $gl/tasks

[paste_deploy]
flavor = keystone
config_file = $gl/glance-api-paste.ini

[key_manager]
backend = barbican

[barbican]
barbican_endpoint = $bb_url
barbican_api_version = v1
auth_endpoint = $auth_url

[oslo_concurrency]
lock_path = $gl/locks

$(authtoken_section glance "$glance_password")

$(cors_section)
EOF
  sed -e "s#/etc/glance/#$gl/#g" \
    -e "/^\[filter:cors\]/a oslo_config_file = $gl/glance-api.conf" \
    "$etc/glance/glance-api-paste.ini" >"$gl/glance-api-paste.ini"
}

# Runs "$@" with output to log/<name>.log, in the background; the pid goes to setup_pids.
declare -A setup_pids=()
in_background() {
  local name=$1
  shift
  ("$@") >"$state/log/$name.log" 2>&1 &
  setup_pids[$name]=$!
}

log_tail() { # file
  echo "----- last lines of $1 -----" >&2
  tail -n 40 "$1" >&2 || true
  echo "-----" >&2
}

launch_uwsgi() { # name port app-args... (environment comes from the caller)
  local name=$1 port=$2
  shift 2
  # https_scheme.py (the WSGI entry of all three) marks requests that came through a front.
  GLANCE_SIG_TLS_PORTS=$front_ports_csv "$venv/bin/uwsgi" --master --processes 1 --threads 4 --enable-threads --lazy-apps \
    --http-socket "$host:$port" --http-chunked-input --http-auto-chunked --http-raw-body \
    --chunked-input-limit 10485760 --buffer-size 65535 --socket-timeout 120 \
    --add-header 'Connection: close' --die-on-term --need-app --reload-mercy 5 --worker-reload-mercy 5 \
    --virtualenv "$venv" \
    --procname-prefix-spaced "glance-sig-$name" \
    --pidfile "$state/run/$name.pid" --daemonize "$state/log/$name.log" "$@"
}

fernet_key() { # what Fernet.generate_key() makes: url-safe base64 of 32 random bytes
  head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_'
}

setup_keystone() {
  local ks=$state/keystone dir
  # The key repositories as keystone-manage fernet_setup / credential_setup leave them (key 0
  # staged, key 1 primary), without two more 3-second Python start-ups.
  for dir in "$ks/fernet-keys" "$ks/credential-keys"; do
    chmod 700 "$dir"
    (umask 077 && fernet_key >"$dir/0" && fernet_key >"$dir/1")
  done
  local manage=(env HOME="$ks" "$venv/bin/keystone-manage" --config-file "$ks/keystone.conf")
  "${manage[@]}" db_sync
  # The app touches the database only per request: let it load while bootstrap runs.
  HOME=$ks OS_KEYSTONE_CONFIG_FILES=$ks/keystone.conf GLANCE_SIG_WSGI_APP=keystone.wsgi.api:application \
    launch_uwsgi keystone "$ks_port" --wsgi-file "$here/https_scheme.py"
  "${manage[@]}" bootstrap --bootstrap-password "$admin_password" \
    --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-region-id "$region" --bootstrap-admin-url "$auth_url" \
    --bootstrap-internal-url "$auth_url" --bootstrap-public-url "$auth_url"
}

setup_barbican() {
  local bb=$state/barbican
  HOME=$bb GLANCE_SIG_BARBICAN_PASTE=$bb/barbican-api-paste.ini GLANCE_SIG_WSGI_APP=barbican_wsgi:application \
    launch_uwsgi barbican "$bb_port" --wsgi-file "$here/https_scheme.py"
}

setup_glance() {
  local gl=$state/glance
  HOME=$gl "$venv/bin/glance-manage" --config-file "$gl/glance-api.conf" db_sync
  HOME=$gl OS_GLANCE_CONFIG_DIR=$gl GLANCE_SIG_WSGI_APP=glance.wsgi.api:application \
    launch_uwsgi glance "$gl_port" --wsgi-file "$here/https_scheme.py"
}

wait_service() { # name url
  local name=$1 url=$2 started=$SECONDS deadline code
  deadline=$((SECONDS + start_timeout))
  while :; do
    code=$(http_code "$url")
    [ "$code" != 000 ] && return 0
    # uwsgi writes its pidfile at once; no pidfile or a dead pid means it gave up (--need-app).
    if { [ -f "$state/run/$name.pid" ] || ((SECONDS - started >= 15)); } && ! pid_of "$name" >/dev/null; then
      log_tail "$state/log/$name.log"
      die "$name exited while starting (log: $state/log/$name.log)"
    fi
    if ((SECONDS >= deadline)); then
      log_tail "$state/log/$name.log"
      die "$name did not answer on $url within $start_timeout s (log: $state/log/$name.log)"
    fi
    sleep 0.25
  done
}

check_port_free() { # name port
  if [ "$(http_code "http://$host:$2/")" != 000 ] || (exec 3<>"/dev/tcp/$host/$2") 2>/dev/null; then
    local who
    who=$(ss -ltnpH "sport = :$2" 2>/dev/null | grep -o 'users:.*' || true)
    die "port $2 ($1) is in use by a process this state dir ($state) does not know: ${who:-unknown}"
  fi
}

check_cors() { # name url method [curl-options...]
  local name=$1 url=$2 method=$3 origin headers list
  shift 3
  IFS=, read -ra list <<<"$origins"
  for origin in "${list[@]}"; do
    headers=$(curl -s -o /dev/null -D - --max-time 10 "$@" -X OPTIONS "$url" \
      -H "Origin: $origin" -H "Access-Control-Request-Method: $method" \
      -H 'Access-Control-Request-Headers: X-Auth-Token, Content-Type' | tr -d '\r')
    if ! grep -qiF "access-control-allow-origin: $origin" <<<"$headers"; then
      printf '%s\n' "$headers" >&2
      die "$name: CORS preflight from $origin to $url got no Access-Control-Allow-Origin"
    fi
  done
}

# ---------------------------------------------------------------------------------------------
# TLS: test material and the fronts

# The extension section of a leaf certificate: the leaves differ only in purpose and names.
leaf_ext() { # section extendedKeyUsage [subjectAltName]
  printf '[%s]\nbasicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n' "$1"
  printf 'extendedKeyUsage = %s\n' "$2"
  if [ -n "${3:-}" ]; then printf 'subjectAltName = %s\n' "$3"; fi
  printf 'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n\n'
}

# Extensions of the test certificates, and the 'openssl ca' set-up for expired.pem: openssl 3.0's
# `x509 -req` has no -not_before/-not_after (3.4 adds them), `ca -startdate/-enddate` can
# backdate. Strict enough for rustls/webpki and Python's VERIFY_X509_STRICT (key usages, key ids).
tls_config() {
  cat <<EOF
[req]
distinguished_name = dn
[dn]

[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

EOF
  leaf_ext server_ext serverAuth IP:127.0.0.1,DNS:localhost
  leaf_ext wrong_name_ext serverAuth DNS:cloud.example
  leaf_ext client_ext clientAuth
  cat <<EOF
[ca]
default_ca = backdating_ca
[backdating_ca]
database = $tls/ca-db/index.txt
serial = $tls/ca-db/serial
new_certs_dir = $tls/ca-db
certificate = $tls/ca.pem
private_key = $tls/ca-key.pem
default_md = sha256
policy = any_name
unique_subject = no
copy_extensions = none
[any_name]
commonName = supplied
EOF
}

issue() { # key subject issuer-cert issuer-key extensions out (files in $tls)
  # Random serials: Chromium (NSS) refuses two certificates with the same issuer and serial.
  openssl req -new -config "$tls/openssl.cnf" -key "$tls/$1" -subj "$2" |
    openssl x509 -req -CA "$tls/$3" -CAkey "$tls/$4" -set_serial "0x$(openssl rand -hex 16)" -days 30 \
      -extfile "$tls/openssl.cnf" -extensions "$5" -out "$tls/$6"
}

# Fresh on every start: two CAs (servers, clients), the server certificate and the two a client
# must refuse (expired, wrong name), a client certificate. EC P-256 keys, unencrypted PKCS#8 PEM.
setup_tls() {
  command -v openssl >/dev/null || die "openssl is needed (TLS material for the fronts)"
  mkdir -p "$tls/ca-db"
  : >"$tls/ca-db/index.txt"
  openssl rand -hex 16 >"$tls/ca-db/serial"
  tls_config >"$tls/openssl.cnf"
  local key
  for key in ca-key client-ca-key server-key client-key; do
    (umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tls/$key.pem")
  done
  openssl req -x509 -new -config "$tls/openssl.cnf" -extensions ca_ext -key "$tls/ca-key.pem" \
    -days 365 -subj '/CN=glance-sig test CA' -out "$tls/ca.pem"
  openssl req -x509 -new -config "$tls/openssl.cnf" -extensions ca_ext -key "$tls/client-ca-key.pem" \
    -days 365 -subj '/CN=glance-sig test client CA' -out "$tls/client-ca.pem"
  issue server-key.pem '/CN=glance-sig test server' ca.pem ca-key.pem server_ext server.pem
  issue server-key.pem '/CN=cloud.example' ca.pem ca-key.pem wrong_name_ext wrong-name.pem
  issue client-key.pem '/CN=glance-sig test client' client-ca.pem client-ca-key.pem client_ext client.pem
  openssl req -new -config "$tls/openssl.cnf" -key "$tls/server-key.pem" \
    -subj '/CN=glance-sig expired server' -out "$tls/ca-db/expired.csr"
  openssl ca -batch -config "$tls/openssl.cnf" -notext -extensions server_ext \
    -startdate "$(date -u -d '-60 days' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" \
    -in "$tls/ca-db/expired.csr" -out "$tls/expired.pem"
  # For Chromium's --ignore-certificate-errors-spki-list: base64 SHA-256 of the SubjectPublicKeyInfo.
  openssl x509 -in "$tls/server.pem" -noout -pubkey | openssl pkey -pubin -outform DER |
    openssl dgst -sha256 -binary | base64 -w0 >"$tls/server-spki.txt"
  openssl verify -CAfile "$tls/ca.pem" "$tls/server.pem" "$tls/wrong-name.pem"
  openssl verify -CAfile "$tls/client-ca.pem" -purpose sslclient "$tls/client.pem"
  if openssl verify -CAfile "$tls/ca.pem" "$tls/expired.pem"; then
    die "expired.pem verifies: it must have expired"
  fi
}

front_arg() { # listen-port target-port cert [client-ca] -> --front LISTEN,TARGET,CERT,KEY[,CA]
  printf -- '--front\n%s:%s,%s:%s,%s,%s%s\n' "$host" "$1" "$host" "$2" "$tls/$3" "$tls/server-key.pem" \
    "${4:+,$tls/$4}"
}

start_fronts() {
  local args=() i
  mapfile -t args < <(
    front_arg "$ks_tls_port" "$ks_port" server.pem
    front_arg "$gl_tls_port" "$gl_port" server.pem
    front_arg "$bb_tls_port" "$bb_port" server.pem
    front_arg "$ks_mtls_port" "$ks_port" server.pem client-ca.pem
    front_arg "$gl_mtls_port" "$gl_port" server.pem client-ca.pem
    front_arg "$bb_mtls_port" "$bb_port" server.pem client-ca.pem
    front_arg "$ks_expired_port" "$ks_port" expired.pem
    front_arg "$ks_wrong_name_port" "$ks_port" wrong-name.pem
    front_arg "$portal_tls_port" "$portal_backend_port" server.pem
  )
  # Its own session, like the daemonized uwsgi masters: a Ctrl-C in the caller's terminal must
  # not end it, and nothing holds the caller's stdout open.
  setsid "$venv/bin/python" "$here/tlsfront.py" --pidfile "$state/run/tlsfront.pid" \
    --log "$state/log/tlsfront.log" "${args[@]}" </dev/null >>"$state/log/tlsfront.log" 2>&1 &
  local launched=$!
  # The pidfile appears once every listener is bound.
  for ((i = 0; i < 100; i++)); do
    pid_of tlsfront >/dev/null && return 0
    kill -0 "$launched" 2>/dev/null || break
    sleep 0.1
  done
  log_tail "$state/log/tlsfront.log"
  die "the TLS fronts did not start (log: $state/log/tlsfront.log)"
}

tls_curl() { # curl-options... : trusting the test CA only
  curl -sS --max-time 10 --cacert "$tls/ca.pem" "$@"
}

demo_auth_body() {
  printf '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"demo","domain":{"name":"Default"},"password":"%s"}}},"scope":{"project":{"name":"demo","domain":{"name":"Default"}}}}}' \
    "$demo_password"
}

self_link() { # url curl-options... -> the first href of a version document
  local url=$1
  shift
  { curl -sS -f --max-time 10 "$@" "$url" | grep -o '"href": *"[^"]*"' | head -1 | sed 's/.*"\([^"]*\)"$/\1/'; } || true
}

check_front_set() { # label keystone-port glance-port barbican-port [curl-options...]
  local label=$1 ks=$2 gl=$3 bb=$4 tok link
  shift 4
  tok=$(tls_curl "$@" -f -D - -o /dev/null -H 'Content-Type: application/json' -d "$(demo_auth_body)" \
    "https://$host:$ks/v3/auth/tokens" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-subject-token" { print $2 }') || true
  [ -n "$tok" ] || die "$label: no demo token from https://$host:$ks/v3 (log: $state/log/tlsfront.log)"
  # keystoneauth follows the version documents' links: they must name the front (https_scheme.py).
  link=$(self_link "https://$host:$ks/v3" --cacert "$tls/ca.pem" "$@")
  [ "$link" = "https://$host:$ks/v3/" ] || die "$label: Keystone's version document links '$link'"
  link=$(self_link "https://$host:$gl/" --cacert "$tls/ca.pem" "$@")
  [ "$link" = "https://$host:$gl/v2/" ] || die "$label: Glance's version document links '$link'"
  tls_curl "$@" -f -o /dev/null -H "X-Auth-Token: $tok" "https://$host:$gl/v2/images?limit=1" ||
    die "$label: Glance through https://$host:$gl refused the demo token"
  tls_curl "$@" -f -o /dev/null -H "X-Auth-Token: $tok" "https://$host:$bb/v1/secrets?limit=1" ||
    die "$label: Barbican through https://$host:$bb refused the demo token"
}

check_refused() { # label url expected-error (ERE) [curl-options...]
  local label=$1 url=$2 want=$3 out
  shift 3
  if out=$(tls_curl "$@" -o /dev/null "$url" 2>&1); then
    die "$label: $url answered; the client must refuse it"
  fi
  grep -qiE "$want" <<<"$out" || die "$label: $url failed, but not with /$want/: $out"
}

# Every front as clients see it, plus the refusals clients must make.
check_fronts() {
  local link
  link=$(self_link "$auth_url")
  [ "$link" = "$auth_url/" ] || die "plain Keystone's version document links '$link', not $auth_url/"
  check_front_set TLS "$ks_tls_port" "$gl_tls_port" "$bb_tls_port"
  check_front_set mTLS "$ks_mtls_port" "$gl_mtls_port" "$bb_mtls_port" \
    --cert "$tls/client.pem" --key "$tls/client-key.pem"
  # TLS 1.3: the client learns of it from the alert after its Finished ("certificate required").
  check_refused "mTLS without a client certificate" "https://$host:$ks_mtls_port/v3" 'alert|certificate required'
  check_refused "mTLS with a certificate of another CA" "https://$host:$ks_mtls_port/v3" 'alert|unknown ca' \
    --cert "$tls/server.pem" --key "$tls/server-key.pem"
  check_refused "expired certificate" "https://$host:$ks_expired_port/v3" 'expired'
  check_refused "wrong-name certificate" "https://$host:$ks_wrong_name_port/v3" \
    'no alternative certificate subject name matches|does not match'
}

cloud_entry() { # name user password project auth-url region [extra yaml lines...]
  cat <<EOF
  glance-sig-$1:
    auth:
      auth_url: $5
      username: $2
      password: $3
      project_name: $4
      user_domain_name: Default
      project_domain_name: Default
    region_name: $6
    interface: public
    identity_api_version: 3
EOF
  shift 6
  (($#)) && printf '    %s\n' "$@"
  return 0
}

env_file() { # auth-url region [extra export lines...]
  cat <<EOF
export OS_AUTH_URL=$1
export OS_USERNAME=demo
export OS_PASSWORD=$demo_password
export OS_PROJECT_NAME=demo
export OS_USER_DOMAIN_NAME=Default
export OS_PROJECT_DOMAIN_NAME=Default
export OS_IDENTITY_API_VERSION=3
export OS_REGION_NAME=$2
EOF
  shift 2
  (($#)) && printf 'export %s\n' "$@"
  return 0
}

write_client_files() {
  {
    echo "# Written by scripts/cloud/stack.sh start. Use: OS_CLIENT_CONFIG_FILE=$state/clouds.yaml"
    echo "clouds:"
    cloud_entry demo demo "$demo_password" demo "$auth_url" "$region"
    cloud_entry other other "$other_password" other "$auth_url" "$region"
    cloud_entry admin admin "$admin_password" admin "$auth_url" "$region"
    # The demo user through the fronts (RegionTLS / RegionMTLS name the https endpoints).
    cloud_entry demo-tls demo "$demo_password" demo "$tls_auth_url" "$tls_region" "cacert: $tls/ca.pem"
    cloud_entry demo-mtls demo "$demo_password" demo "$mtls_auth_url" "$mtls_region" "cacert: $tls/ca.pem" \
      "cert: $tls/client.pem" "key: $tls/client-key.pem"
  } >"$state/clouds.yaml"
  env_file "$auth_url" "$region" >"$state/demo.env"
  env_file "$tls_auth_url" "$tls_region" "OS_CACERT=$tls/ca.pem" >"$state/demo-tls.env"
}

stop_after_failed_start() {
  local rc=$?
  trap - EXIT
  if [ "$rc" != 0 ]; then
    say "start failed: stopping what did start"
    cmd_stop
  fi
  exit "$rc"
}

cmd_start() {
  local t0=$SECONDS name
  origins=$(normalise_origins "$origins")
  command -v curl >/dev/null || die "curl is needed"
  ensure_installed
  cmd_stop
  for name in "${services[@]}"; do check_port_free "$name" "$(port_of "$name")"; done
  for name in "${front_ports[@]}"; do check_port_free "TLS front" "$name"; done
  wipe_state
  # From here on, a failed start leaves no server behind (the logs stay in $state/log).
  trap stop_after_failed_start EXIT
  write_configs

  # The setups are independent until the Keystone bootstrap below: run them side by side.
  in_background setup-keystone setup_keystone
  in_background setup-barbican setup_barbican
  in_background setup-glance setup_glance
  in_background setup-tls setup_tls
  local failed=()
  for name in "${services[@]}" tls; do
    wait "${setup_pids[setup-$name]}" || failed+=("$name")
  done
  if ((${#failed[@]})); then
    for name in "${failed[@]}"; do log_tail "$state/log/setup-$name.log"; done
    die "setting up ${failed[*]} failed (logs: $state/log/setup-*.log)"
  fi
  start_fronts
  wait_service keystone "$ks_url/v3"
  wait_service barbican "$bb_url/"
  wait_service glance "$gl_url/"

  local settings
  settings=$(
    cat <<EOF
{"auth_url": "$auth_url", "region": "$region", "admin_password": "$admin_password",
 "glance_password": "$glance_password", "barbican_password": "$barbican_password",
 "demo_password": "$demo_password", "other_password": "$other_password",
 "barbican_url": "$bb_url", "glance_url": "$gl_url",
 "tls_regions": {
   "$tls_region": {"identity": "$tls_auth_url", "image": "https://$host:$gl_tls_port",
                   "key-manager": "https://$host:$bb_tls_port"},
   "$mtls_region": {"identity": "$mtls_auth_url", "image": "https://$host:$gl_mtls_port",
                    "key-manager": "https://$host:$bb_mtls_port"}}}
EOF
  )
  if ! "$venv/bin/python" "$here/bootstrap.py" <<<"$settings" >"$state/log/bootstrap.log" 2>&1; then
    log_tail "$state/log/bootstrap.log"
    die "Keystone setup or the token check failed (log: $state/log/bootstrap.log; service logs in $state/log)"
  fi

  check_cors keystone "$auth_url/auth/tokens" POST
  check_cors barbican "$bb_url/v1/secrets" POST
  check_cors glance "$gl_url/v2/images" POST
  check_cors keystone-tls "$tls_auth_url/auth/tokens" POST --cacert "$tls/ca.pem"
  check_cors barbican-tls "https://$host:$bb_tls_port/v1/secrets" POST --cacert "$tls/ca.pem"
  check_cors glance-tls "https://$host:$gl_tls_port/v2/images" POST --cacert "$tls/ca.pem"
  check_fronts

  write_client_files
  trap - EXIT
  cat <<EOF
Local OpenStack is up ($((SECONDS - t0)) s), state in $state
  Keystone  $auth_url
  Barbican  $bb_url
  Glance    $gl_url
  https     Keystone $tls_auth_url, Glance https://$host:$gl_tls_port, Barbican https://$host:$bb_tls_port
            (region $tls_region; CA $tls/ca.pem)
  mTLS      the same on $ks_mtls_port, $gl_mtls_port, $bb_mtls_port (region $mtls_region; client.pem, client-key.pem)
  refused   expired certificate on $ks_expired_port, wrong name on $ks_wrong_name_port
  portal    https://$host:$portal_tls_port -> http://$host:$portal_backend_port (when something serves there)
  CORS      $origins
  demo      user demo / $demo_password, project demo (member, creator)
  other     user other / $other_password, project other
  admin     user admin / $admin_password, project admin
  clouds    $state/clouds.yaml (glance-sig-demo, glance-sig-other, glance-sig-admin,
            glance-sig-demo-tls, glance-sig-demo-mtls)
  env       source $state/demo.env (or demo-tls.env: through the https front)
  logs      $state/log/
EOF
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

case ${1:-} in
  install) shift; cmd_install "$@" ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  horizon) shift; exec "$repo/scripts/horizon/horizon.sh" "$@" ;;
  *) usage ;;
esac
