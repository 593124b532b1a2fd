#!/usr/bin/env bash
# Local base images from Debian packages, for machines that cannot pull from an image hub.
#   scripts/image/base-images.sh   -> prints two lines: PYTHON_IMAGE=... and ASSETS_IMAGE=...
# The Python image is made with debootstrap (Debian bookworm, minbase) and imported into Podman; the assets image is
# that image plus Debian's nodejs and npm, installed by apt in a podman build (debootstrap cannot configure npm's
# dependencies itself). An image is reused while its recipe (suite, packages, mirror) is unchanged, and downloaded
# packages are kept in $IMAGE_CACHE_DIR/debs, so only the first run on a machine pays for them. Progress: stderr.
set -euo pipefail

SUITE=bookworm
CACHE_DIR=${IMAGE_CACHE_DIR:-/var/cache/encompass-image}
PYTHON_PACKAGES=python3,python3-venv,ca-certificates    # bookworm's python3 is 3.11, as pyproject.toml requires
ASSETS_PACKAGES="nodejs npm"

say() { echo "$@" >&2; }

# The Debian mirror this machine's apt uses (DEBIAN_MIRROR overrides), so debootstrap goes where apt goes.
mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local found
  found=$(awk '
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "'$SUITE'") ok = 1 }
    /^$/ { if (ok && uri) { print uri; exit } ok = 0; uri = "" }
    END { if (ok && uri) print uri }' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
  if [ -z "$found" ] && [ -f /etc/apt/sources.list ]; then
    found=$(awk '$1 == "deb" && $3 == "'$SUITE'" { print $2; exit }' /etc/apt/sources.list)
  fi
  echo "${found:-http://deb.debian.org/debian}"
}

# apt's proxy, if it has one, for debootstrap's downloads too.
proxy=$(apt-config dump 2>/dev/null | awk -F'"' '/^Acquire::http::Proxy /{ print $2; exit }')
if [ -n "$proxy" ] && [ -z "${http_proxy:-}" ]; then export http_proxy=$proxy; fi

MIRROR=$(mirror)
mkdir -p "$CACHE_DIR/debs"

# make_base NAME PACKAGES CMD: reuse localhost/encompass-base/NAME if its recipe matches, else debootstrap it.
make_base() {
  local name=$1 packages=$2 cmd=$3
  local image=localhost/encompass-base/$name
  local recipe
  recipe=$(printf '%s\n' 1 "$SUITE" "$packages" "$MIRROR" | sha256sum | cut -c1-16)
  if [ "$(podman image inspect --format '{{index .Labels "encompass.base.recipe"}}' "$image" 2>/dev/null)" = "$recipe" ]; then
    say "  $image: cached (recipe $recipe)"
    echo "$image"
    return
  fi
  say "  $image: debootstrap $SUITE with $packages from $MIRROR"
  local root
  root=$(mktemp -d "${TMPDIR:-/tmp}/encompass-base-$name.XXXXXX")
  local started=$SECONDS
  if ! debootstrap --variant=minbase --include="$packages" --cache-dir="$CACHE_DIR/debs" \
      "$SUITE" "$root" "$MIRROR" > "$root.log" 2>&1; then
    tail -n 20 "$root.log" "$root/debootstrap/debootstrap.log" >&2 || true
    say "image-check: debootstrap failed (log above, full log in $root.log)"
    exit 1
  fi
  # What an image does not need: package lists, downloaded packages, documentation, translations.
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
         "$root"/usr/share/locale/* "$root"/usr/share/info/* "$root"/var/log/*.log "$root"/tmp/*
  tar --numeric-owner -C "$root" -c . \
    | podman import -q --change "LABEL encompass.base.recipe=$recipe" --change "CMD $cmd" - "$image" >/dev/null
  rm -rf "$root" "$root.log"
  say "  $image: made in $((SECONDS - started)) s"
  echo "$image"
}

python_image=$(make_base python:3.11-$SUITE "$PYTHON_PACKAGES" '["python3"]')
# make_assets FROM: Debian's nodejs and npm on top of the Python base, reused while the recipe is unchanged.
make_assets() {
  local from=$1 image=localhost/encompass-base/node:$SUITE recipe
  recipe=$(printf '%s\n' 1 "$(podman image inspect --format '{{.Id}}' "$from")" "$ASSETS_PACKAGES" | sha256sum | cut -c1-16)
  if [ "$(podman image inspect --format '{{index .Labels "encompass.base.recipe"}}' "$image" 2>/dev/null)" = "$recipe" ]; then
    say "  $image: cached (recipe $recipe)"
    echo "$image"
    return
  fi
  say "  $image: $ASSETS_PACKAGES from Debian on top of $from"
  local started=$SECONDS log context
  log=$(mktemp "${TMPDIR:-/tmp}/encompass-base-node.XXXXXX.log")
  context=$(mktemp -d "${TMPDIR:-/tmp}/encompass-base-node.XXXXXX")
  mkdir -p "$CACHE_DIR/debs/partial"
  if ! printf '%s\n' "FROM $from" \
      "RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $ASSETS_PACKAGES \\
           && rm -rf /var/lib/apt/lists/* /usr/share/doc/* /usr/share/man/*" \
      "LABEL encompass.base.recipe=$recipe" 'CMD ["node"]' \
      | podman build --isolation=chroot --pull=never -v "$CACHE_DIR/debs:/var/cache/apt/archives" -t "$image" -f - \
        "$context" > "$log" 2>&1; then
    tail -n 20 "$log" >&2
    say "image-check: could not make $image (full log in $log)"
    exit 1
  fi
  rm -rf "$log" "$context"
  say "  $image: made in $((SECONDS - started)) s"
  echo "$image"
}
assets_image=$(make_assets "$python_image")
echo "PYTHON_IMAGE=$python_image"
echo "ASSETS_IMAGE=$assets_image"
