#!/usr/bin/env bash
# Builds the container image with Podman and rehearses a deployment with it against a throwaway PostgreSQL.
#   scripts/image-check.sh
# 1. Installs podman and debootstrap with apt if they are missing (needs root).
# 2. Uses the Dockerfile's public base images if they can be pulled, otherwise makes local ones from Debian
#    packages (scripts/image/base-images.sh, cached between runs).
# 3. Builds the image (podman build --isolation=chroot), passing this machine's package index settings and CA bundle
#    as build secrets, which no layer keeps.
# 4. Inspects it: non-root user, HEALTHCHECK, no tests, .git, node_modules sources or secrets; reports its size.
# 5. Runs the image's own entry point against scripts/postgres.sh's PostgreSQL: db upgrade, register import,
#    la load, police add-force and create-client, then two web processes and one worker. Checks /readyz on both,
#    the HEALTHCHECK command, the processes' user, and that a posted incident is delivered by the worker (logging
#    email sender, ENVIRONMENT=development). Where `podman run` cannot start containers (some sandboxes refuse the
#    rlimits it sets), it runs the image's root filesystem with chroot as the image's user instead, and says so.
# Settings: IMAGE (tag, default localhost/encompass:check), PYTHON_IMAGE / ASSETS_IMAGE (base images to use),
# IMAGE_BASE=debian (skip trying the public images), IMAGE_CHECK_PGPORT (default: a free port),
# IMAGE_CACHE_DIR (default /var/cache/encompass-image), REGISTER_DIR (default ../shared/data/register),
# IMAGE_RUNNER=podman|chroot (default: podman if it can start a container).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
IMAGE=${IMAGE:-localhost/encompass:check}
REGISTER_DIR=${REGISTER_DIR:-$REPO/../shared/data/register}
STARTED=$SECONDS
WORK=$(mktemp -d "${TMPDIR:-/tmp}/encompass-image-check.XXXXXX")

step() { echo "== $* ($((SECONDS - STARTED)) s)"; }
ok() { echo "  ok: $* [$((SECONDS - STARTED)) s]"; }
fail() { echo "image-check: FAILED: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

PIDS=()
NAMES=()
CONTAINER=""
ROOTFS=""
PGPORT=""
# The processes running from the rootfs (chroot rehearsal): those whose root directory is the container's rootfs.
rootfs_processes() {
  local proc
  for proc in /proc/[0-9]*; do
    [ "$(readlink "$proc/root" 2>/dev/null)" = "$ROOTFS" ] && echo "${proc#/proc/}"
  done
  return 0
}
cleanup() {
  local pid name
  if [ "${RUNNER:-}" = podman ]; then
    for name in "${NAMES[@]}"; do podman stop -t 10 "$name" >/dev/null 2>&1 || true; done
  fi
  if [ -n "$ROOTFS" ]; then
    for pid in $(rootfs_processes); do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 20); do [ -z "$(rootfs_processes)" ] && break; sleep 0.5; done
    for pid in $(rootfs_processes); do kill -9 "$pid" 2>/dev/null || true; done
  fi
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$CONTAINER" ]; then
    podman umount "$CONTAINER" >/dev/null 2>&1 || true
    podman rm -f "$CONTAINER" >/dev/null 2>&1 || true
  fi
  podman image umount "$IMAGE" >/dev/null 2>&1 || true
  if [ -n "$PGPORT" ]; then PGPORT=$PGPORT PGDATA=$PGDATA scripts/postgres.sh stop; rm -rf "$PGDATA"; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- 1. tools
step "Tools"
missing=()
command -v podman >/dev/null || missing+=(podman)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    fail "needs ${missing[*]}: install them (Debian: apt-get install ${missing[*]}) or run this as root on Debian"
  fi
  echo "  installing ${missing[*]} with apt"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    crun fuse-overlayfs netavark aardvark-dns >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  fail "run as root: debootstrap, podman image mount and the chroot rehearsal need it"
fi
for tool in curl python3 tar chroot unshare; do
  command -v $tool >/dev/null || fail "needs $tool on the PATH"
done
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 \
  || fail "needs PostgreSQL's server binaries for the rehearsal (Debian: apt-get install postgresql; scripts/setup.sh does this)"
[ -f "$REGISTER_DIR/establishments.csv" ] || fail "no register at $REGISTER_DIR (set REGISTER_DIR to the GIAS extract)"
REGISTER_DIR=$(cd "$REGISTER_DIR" && pwd)
echo "  $(podman --version), $(debootstrap --version 2>/dev/null || echo debootstrap)"

# ---------------------------------------------------------------- 2. base images
step "Base images"
if [ -n "${PYTHON_IMAGE:-}" ] && [ -n "${ASSETS_IMAGE:-}" ]; then
  echo "  given: $PYTHON_IMAGE and $ASSETS_IMAGE"
else
  public_python=$(sed -n 's/^ARG PYTHON_IMAGE=//p' Dockerfile)
  public_assets=$(sed -n 's/^ARG ASSETS_IMAGE=//p' Dockerfile)
  if [ "${IMAGE_BASE:-}" != debian ] \
     && timeout 120 podman pull -q "docker.io/library/$public_python" >/dev/null 2>&1 \
     && timeout 120 podman pull -q "docker.io/library/$public_assets" >/dev/null 2>&1; then
    PYTHON_IMAGE=docker.io/library/$public_python ASSETS_IMAGE=docker.io/library/$public_assets
    echo "  pulled the Dockerfile's public images: $public_python and $public_assets"
  else
    [ "${IMAGE_BASE:-}" = debian ] || echo "  $public_python cannot be pulled here: making base images from Debian packages"
    bases=$(scripts/image/base-images.sh) || fail "could not make the base images"
    eval "$bases"
  fi
fi

# ---------------------------------------------------------------- 3. build
step "Build $IMAGE"
echo "  build secrets from this machine's settings (mounted for one step, kept in no layer):"
python3 scripts/image/build_settings.py "$WORK/secrets"
secrets=()
for name in ca_bundle pip_conf npmrc; do
  [ -f "$WORK/secrets/$name" ] && secrets+=(--secret "id=$name,src=$WORK/secrets/$name")
done
build_started=$SECONDS
# --format docker: the OCI image format has no HEALTHCHECK.
if ! podman build --isolation=chroot --format docker --layers --pull=never \
      --build-arg "PYTHON_IMAGE=$PYTHON_IMAGE" --build-arg "ASSETS_IMAGE=$ASSETS_IMAGE" \
      "${secrets[@]}" -t "$IMAGE" . > "$WORK/build.log" 2>&1; then
  tail -n 40 "$WORK/build.log"
  fail "podman build failed (last lines above)"
fi
ok "built in $((SECONDS - build_started)) s ($(grep -c -- '--> Using cache' "$WORK/build.log" || true) steps from the layer cache)"

# ---------------------------------------------------------------- 4. what is in the image
step "Inspect the image"
inspect() { podman image inspect --format "$1" "$IMAGE"; }
size=$(inspect '{{.Size}}')
echo "  size: $((size / 1000 / 1000)) MB ($size bytes, uncompressed)"
USER_NAME=$(inspect '{{.Config.User}}')
WORKDIR=$(inspect '{{.Config.WorkingDir}}')
mapfile -t ENTRYPOINT < <(inspect '{{range .Config.Entrypoint}}{{println .}}{{end}}' | sed '/^$/d')
mapfile -t HEALTHCHECK < <(inspect '{{if .Config.Healthcheck}}{{range .Config.Healthcheck.Test}}{{println .}}{{end}}{{end}}' | sed '/^$/d')
mapfile -t IMAGE_ENV < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
[ -n "$USER_NAME" ] && [ "$USER_NAME" != root ] && [ "$USER_NAME" != 0 ] || fail "the image runs as root (USER is '${USER_NAME}')"
[ "${ENTRYPOINT[*]}" = encompass ] || fail "the entry point is '${ENTRYPOINT[*]}', not encompass"
[ "${HEALTHCHECK[0]:-}" = CMD ] || fail "the image has no HEALTHCHECK in exec form (got '${HEALTHCHECK[*]:-none}')"
ok "user $USER_NAME, entry point ${ENTRYPOINT[*]}, HEALTHCHECK ${HEALTHCHECK[1]} …, workdir $WORKDIR"

IMAGE_ROOT=$(podman image mount "$IMAGE")
[ -d "$IMAGE_ROOT$WORKDIR/service" ] || fail "no service source at $WORKDIR/service"
[ -f "$IMAGE_ROOT$WORKDIR/static/app.css" ] || fail "the service's own stylesheet static/app.css is missing"
[ -f "$IMAGE_ROOT$WORKDIR/node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.css" ] \
  || fail "the GOV.UK Frontend assets are missing"
found=$(cd "$IMAGE_ROOT$WORKDIR" && find . \( -name tests -o -name 'test_*.py' -o -name conftest.py -o -name .git \
  -o -name .ci -o -name bench -o -name scripts -o -name '*.db' \) -print | head -n 5)
[ -z "$found" ] || fail "the image holds files it should not: $found"
found=$(cd "$IMAGE_ROOT$WORKDIR/node_modules" && find . -mindepth 1 -maxdepth 2 ! -path ./govuk-frontend ! -path ./govuk-frontend/dist | head -n 5)
[ -z "$found" ] || fail "node_modules holds more than govuk-frontend/dist: $found"
found=$(cd "$IMAGE_ROOT" && find . -path ./proc -prune -o -path ./sys -prune -o \
  \( -name .env -o -name '*.env' -o -name .npmrc -o -name pip.conf -o -name id_rsa -o -name '*.pem' -a -path './app/*' \
     -o -name '*.key' -a -path './app/*' -o -path './run/secrets/*' \) -print | head -n 5)
[ -z "$found" ] || fail "the image holds secret-looking files: $found"
grep -rlI "PRIVATE KEY-----" "$IMAGE_ROOT$WORKDIR" >/dev/null 2>&1 && fail "a private key under $WORKDIR"
# The build's CA bundle: any certificate the image's own bundle lacks must appear nowhere in the image.
if [ -f "$WORK/secrets/ca_bundle" ]; then
  python3 - "$WORK/secrets/ca_bundle" "$IMAGE_ROOT/etc/ssl/certs/ca-certificates.crt" > "$WORK/ca-lines" <<'EOF'
import re, sys
blocks = lambda text: re.findall(r"-----BEGIN CERTIFICATE-----\n(.*?)-----END", text, re.S)
ours = blocks(open(sys.argv[1]).read())
try:
    theirs = set(blocks(open(sys.argv[2]).read()))
except OSError:
    theirs = set()
for block in ours:
    if block not in theirs:
        print(block.splitlines()[1])  # one distinctive line of the certificate
EOF
  if [ -s "$WORK/ca-lines" ]; then
    found=$(grep -rlIF -f "$WORK/ca-lines" "$IMAGE_ROOT"/{etc,app,opt,root,usr/local,tmp,var} 2>/dev/null | head -n 3 || true)
    [ -z "$found" ] || fail "the build's CA bundle was left in the image: $found"
    ok "none of the $(wc -l < "$WORK/ca-lines") build-only CA certificate(s) are in the image"
  fi
fi
ok "no tests, .git, node_modules sources, env files, package index settings or keys in the image"
podman image umount "$IMAGE" >/dev/null

# ---------------------------------------------------------------- 5. the rehearsal
step "Rehearsal on PostgreSQL"
PGPORT=${IMAGE_CHECK_PGPORT:-$(free_port)}
PGDATA=/tmp/encompass-image-check-pg-$PGPORT
ADMIN_URL=$(PGPORT=$PGPORT PGDATA=$PGDATA scripts/postgres.sh start)
PSQL=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql
PGOPTIONS="-c client_min_messages=warning" "$PSQL" -q -X -v ON_ERROR_STOP=1 "$ADMIN_URL" -c "DROP DATABASE IF EXISTS encompass_image_check" -c "CREATE DATABASE encompass_image_check"
WEB1=$(free_port) WEB2=$(free_port)
while [ "$WEB2" = "$WEB1" ]; do WEB2=$(free_port); done
APP_ENV=(
  "DATABASE_URL=postgresql://postgres@127.0.0.1:$PGPORT/encompass_image_check"
  "ENVIRONMENT=development"
  "SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(36))')"
  "BASE_URL=http://127.0.0.1:$WEB1"
  "REGISTER_DIR=/data/register"
)
# The settings go to the processes in a file, not on their command lines, where any user could read SECRET_KEY.
ENV_FILE=$WORK/app.env
printf '%s\n' "${APP_ENV[@]}" > "$ENV_FILE"
echo "  PostgreSQL on 127.0.0.1:$PGPORT, web processes on $WEB1 and $WEB2, ENVIRONMENT=development"

RUNNER=${IMAGE_RUNNER:-}
if [ -z "$RUNNER" ]; then
  if podman run --rm --network host "$IMAGE" --help > "$WORK/podman-run.log" 2>&1; then
    RUNNER=podman
  else
    RUNNER=chroot
    echo "  podman run cannot start containers here ($(grep -m1 -o 'crun: .*\|Error: .*' "$WORK/podman-run.log" | cut -c1-120)):"
    echo "  running the image's root filesystem with chroot as its user '$USER_NAME' instead (same files,"
    echo "  entry point, environment, user and working directory; the host's network, as with --network host)"
  fi
fi

if [ "$RUNNER" = chroot ]; then
  CONTAINER=$(podman create "$IMAGE")
  ROOTFS=$(podman mount "$CONTAINER")
  IMAGE_UID=$(awk -F: -v u="$USER_NAME" '$1 == u || $3 == u { print $3; exit }' "$ROOTFS/etc/passwd")
  IMAGE_GID=$(awk -F: -v u="$USER_NAME" '$1 == u || $3 == u { print $4; exit }' "$ROOTFS/etc/passwd")
  [ -n "$IMAGE_UID" ] || fail "user $USER_NAME is not in the image's /etc/passwd"
  mkdir -p "$ROOTFS/data/register" "$ROOTFS/proc" "$ROOTFS/dev" "$ROOTFS/tmp" "$ROOTFS/run"
  touch "$ROOTFS/run/image-check.env"
  printf '%s\n' "${IMAGE_ENV[@]}" | cat - "$ENV_FILE" > "$WORK/chroot.env"
  chown "$IMAGE_UID:$IMAGE_GID" "$WORK/chroot.env"
  chmod 400 "$WORK/chroot.env"
fi

# in_image [NAME=VALUE ...] -- ARGS...: runs the image's entry point with ARGS (or, with --exec, ARGS itself).
in_image() {
  local extra=() exec_as_is=0
  while [ "$1" != -- ]; do
    if [ "$1" = --exec ]; then exec_as_is=1; else extra+=("$1"); fi
    shift
  done
  shift
  if [ "$RUNNER" = podman ]; then
    local flags=(--rm --network host -v "$REGISTER_DIR:/data/register:ro")
    [ -z "${CONTAINER_NAME:-}" ] || flags+=(--name "$CONTAINER_NAME")
    flags+=(--env-file "$ENV_FILE")
    local pair
    for pair in "${extra[@]}"; do flags+=(-e "$pair"); done
    if [ $exec_as_is = 1 ]; then flags+=(--entrypoint "$1"); shift; fi
    podman run "${flags[@]}" "$IMAGE" "$@"
  else
    local command=("$@")
    [ $exec_as_is = 1 ] || command=("${ENTRYPOINT[@]}" "$@")
    # A private mount namespace: /proc, /dev and the register exist only for this process and vanish with it.
    unshare --mount --fork -- /bin/sh -c '
      root=$1 env_file=$2; shift 2
      mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" && mount -t tmpfs tmpfs "$root/tmp" \
        && mount --bind -o ro "$0" "$root/data/register" && mount --bind -o ro "$env_file" "$root/run/image-check.env" \
        || exit 125
      exec "$@"' "$REGISTER_DIR" "$ROOTFS" "$WORK/chroot.env" \
      chroot --userspec="$IMAGE_UID:$IMAGE_GID" --groups="$IMAGE_GID" "$ROOTFS" \
      /usr/bin/env -i "${extra[@]}" /bin/sh -c \
        'while IFS= read -r pair; do export "$pair"; done < /run/image-check.env; cd "$0" && exec "$@"' \
      "$WORKDIR" "${command[@]}"
  fi
}

in_image -- db upgrade > "$WORK/upgrade.log" 2>&1 || { cat "$WORK/upgrade.log"; fail "db upgrade"; }
ok "db upgrade"
in_image -- register import --establishments /data/register/establishments.csv --links /data/register/links.csv \
  > "$WORK/register.log" 2>&1 || { tail -n 20 "$WORK/register.log"; fail "register import"; }
ok "register import: $(grep -m1 "^Read " "$WORK/register.log" | cut -c1-110)"
in_image -- la load config/east_midlands.toml > "$WORK/la.log" 2>&1 || { cat "$WORK/la.log"; fail "la load"; }
ok "la load: $(head -n 1 "$WORK/la.log" | cut -c1-110)"
in_image -- police add-force --id derbyshire --name "Derbyshire Constabulary" --default-la 830 --la 831 \
  > "$WORK/force.log" 2>&1 || { cat "$WORK/force.log"; fail "police add-force"; }
# The key is printed once: keep it in a variable, never in this script's output.
in_image -- police create-client --force derbyshire --name "Image check" > "$WORK/client.log" 2>&1 \
  || { sed 's/oe_[A-Za-z0-9_-]*/oe_…/g' "$WORK/client.log"; fail "police create-client"; }
API_KEY=$(grep -o -m1 'oe_[A-Za-z0-9_-]*' "$WORK/client.log" || true)
rm -f "$WORK/client.log"
[ -n "$API_KEY" ] || fail "police create-client printed no key"
ok "police add-force and create-client (key issued, not shown)"

# start_in_image NAME ARGS...: a long-running process from the image, its output in $WORK/NAME.log.
start_in_image() {
  local name=$1; shift
  CONTAINER_NAME=encompass-check-$$-$name in_image -- "$@" > "$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  NAMES+=("encompass-check-$$-$name")
}
start_in_image web1 serve --host 127.0.0.1 --port "$WEB1" --no-worker --no-migrate
start_in_image web2 serve --host 127.0.0.1 --port "$WEB2" --no-worker --no-migrate
start_in_image worker worker run --id image-check-worker --poll-seconds 1

ready() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ]; }
for port in "$WEB1" "$WEB2"; do
  for _ in $(seq 1 180); do ready "$port" && break; sleep 1; done
  ready "$port" || { tail -n 20 "$WORK/web1.log" "$WORK/web2.log"; fail "/readyz on port $port did not answer 200"; }
done
ok "/readyz is 200 on both web processes"

for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || { tail -n 20 "$WORK/worker.log"; fail "a process exited early"; }; done
if [ "$RUNNER" = chroot ]; then
  running=$(rootfs_processes)
  [ "$(echo "$running" | wc -w)" -ge 3 ] || fail "expected two web processes and a worker, found pids: $running"
  for pid in $running; do
    uid=$(awk '/^Uid:/ { print $2 $3 $4 $5 }' "/proc/$pid/status" 2>/dev/null || true)
    [ -z "$uid" ] || [ "$uid" = "$IMAGE_UID$IMAGE_UID$IMAGE_UID$IMAGE_UID" ] \
      || fail "process $pid from the image runs as uid $uid, not $IMAGE_UID"
  done
  ok "$(echo "$running" | wc -w) processes from the image, all as uid $IMAGE_UID ($USER_NAME), none as root"
else
  uid=$(in_image --exec -- id -u)
  [ "$uid" != 0 ] || fail "the container runs as root"
  ok "the container runs as uid $uid ($USER_NAME), not root"
fi
in_image --exec -- touch "$WORKDIR/service/written" 2>/dev/null && fail "the service user can change the code"
ok "the service user cannot change the code in $WORKDIR"

in_image --exec "PORT=$WEB1" -- "${HEALTHCHECK[@]:1}" || fail "the HEALTHCHECK command failed against a running web process"
unused=$(free_port)
in_image --exec "PORT=$unused" -- "${HEALTHCHECK[@]:1}" 2>/dev/null && fail "the HEALTHCHECK passed with no web process"
ok "HEALTHCHECK passes against a web process and fails where none listens"

incident='{
  "police_reference": "IMG-CHECK-0001",
  "occurred_at": "'$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%S+00:00)'",
  "risk_level": "medium",
  "summary": "Image check: argument between adults.",
  "police_actions": ["DASH risk assessment completed"],
  "children": [
    {"child_reference": "C1", "given_name": "Imogen", "family_name": "Rehearsal", "date_of_birth": "2017-03-04",
     "education_status": "attends_setting", "setting_name": "Brimington Junior", "home_la_code": "830",
     "present_at_incident": true, "spoken_to": false},
    {"child_reference": "C2", "given_name": "Tobias", "family_name": "Rehearsal", "date_of_birth": "2011-05-10",
     "education_status": "elective_home_education", "home_la_code": "830"}
  ]
}'
status=$(curl -s -o "$WORK/incident.json" -w '%{http_code}' "http://127.0.0.1:$WEB1/api/v1/incidents" \
  -H "Authorization: Bearer $API_KEY" -H "Idempotency-Key: image-check-0001" -H "Content-Type: application/json" \
  -d "$incident")
[ "$status" = 201 ] || { cat "$WORK/incident.json"; fail "POST /api/v1/incidents answered $status, not 201"; }
mapfile -t NOTIFICATIONS < <(python3 -c 'import json, sys; [print(n["id"]) for n in json.load(open(sys.argv[1]))["notifications"]]' "$WORK/incident.json")
[ ${#NOTIFICATIONS[@]} = 2 ] || fail "the incident has ${#NOTIFICATIONS[@]} notifications, not 2"
ok "incident posted to web process 1: 201, ${#NOTIFICATIONS[@]} notifications"
status=$(curl -s -o "$WORK/notification.json" -w '%{http_code}' -H "Authorization: Bearer $API_KEY" \
  "http://127.0.0.1:$WEB2/api/v1/notifications/${NOTIFICATIONS[0]}")
[ "$status" = 200 ] || fail "web process 2 answered $status for the notification, not 200"
ok "web process 2 reads the notification back: 200"

for _ in $(seq 1 60); do
  sent=$(grep -c 'email not sent (logging sender) template=notification_waiting' "$WORK/worker.log" || true)
  [ "$sent" -ge 2 ] && break
  sleep 1
done
[ "${sent:-0}" -ge 2 ] || { tail -n 20 "$WORK/worker.log"; fail "the worker did not send the incident's alerts"; }
in_image -- outbox list --state pending > "$WORK/pending.log" 2>&1
in_image -- outbox list --state sent > "$WORK/sent.log" 2>&1
grep -q '^0 pending alert' "$WORK/pending.log" || { cat "$WORK/pending.log"; fail "alerts still pending after the worker ran"; }
ok "the worker sent $sent alerts through the logging sender; outbox: $(tail -n 1 "$WORK/sent.log" | tr -d .), $(tail -n 1 "$WORK/pending.log" | tr -d .)"
for name in Imogen Tobias Rehearsal; do
  ! grep -q "$name" "$WORK"/web1.log "$WORK"/web2.log "$WORK"/worker.log || fail "a child's name reached the logs"
done
ok "no child's name in the web or worker logs"

if [ "$RUNNER" = chroot ]; then
  echo "  (podman run could not start containers here: the rehearsal ran the image's root filesystem with chroot)"
fi
step "Image check passed: $IMAGE, $((size / 1000 / 1000)) MB"
