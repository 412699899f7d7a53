#!/usr/bin/env bash
# A base image made from Debian's own packages (debootstrap), for building the service's image where
# no registry serves python:3.12-slim. Cached: the root filesystem's tarball is kept under
#   ${CATALOG_IMAGE_CACHE:-~/.cache/catalog-service/image-base}
# and imported into podman only when podman does not have it. Prints the image's name.
#   bash scripts/image-base.sh
set -euo pipefail
SUITE=bookworm
PACKAGES=python3,python3-venv,git,ca-certificates
CACHE="${CATALOG_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/catalog-service/image-base}"
KEY="$(printf '%s %s' "$SUITE" "$PACKAGES" | sha256sum | cut -c1-12)"
IMAGE="localhost/catalog-service-base:$SUITE-$KEY"
TARBALL="$CACHE/debian-python-$SUITE-$KEY.tar"

if podman image exists "$IMAGE"; then
  echo "$IMAGE"
  exit 0
fi
mkdir -p "$CACHE"
if [ ! -s "$TARBALL" ]; then
  mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  rootfs="$(mktemp -d "$CACHE/rootfs.XXXXXX")"
  trap 'rm -rf "$rootfs"' EXIT
  echo "image-base: debootstrap $SUITE ($PACKAGES), about a minute" >&2
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$rootfs" \
    "${mirror:-http://deb.debian.org/debian}" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  # What the image does not need: package lists and caches, documentation.
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/usr/share/doc/* \
    "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
  tar -C "$rootfs" -cf "$TARBALL.partial" .
  mv "$TARBALL.partial" "$TARBALL"
fi
podman import --quiet "$TARBALL" "$IMAGE" >/dev/null
echo "$IMAGE"
