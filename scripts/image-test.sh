#!/usr/bin/env bash
# The container image tested as a user would run it (CI calls this last, after scripts/test.sh):
# build it with podman from a Debian base made by debootstrap (cached: scripts/image-base.sh), run
# it read-only on a mounted GitOps repository (the demo's, made a git repository), and check it:
# non-root, /readyz 200, /api/v1/entities equal to `catalog-service export` of the same repository,
# JSON log lines, SIGTERM exits 0 within the grace. Prints the image's size and build time.
#   bash scripts/image-test.sh
# IMAGE_TEST_BASE=IMAGE skips debootstrap (e.g. python:3.12-slim where a registry is reachable).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
started=$SECONDS
IMAGE=localhost/catalog-service:image-test
NAME="catalog-image-test-$$"
PORT=8080  # the image's port (its HEALTHCHECK asks it); the container shares the host's network
GRACE=5
TOKEN="image-test-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
WORK="$(mktemp -d)"
fail() { echo "image-test: FAILED: $*" >&2; exit 1; }

# What podman needs in this kind of sandbox (shared/notes/containers-and-kubernetes.md): runc with
# cgroupfs, no default ulimits, the host's network, and the host's CA bundle for the build's pip.
printf '[containers]\ndefault_ulimits = []\n' >"$WORK/containers.conf"
export CONTAINERS_CONF="$WORK/containers.conf"
PODMAN=(podman --runtime runc --cgroup-manager cgroupfs)
cleanup() {
  "${PODMAN[@]}" rm --force --time 0 "$NAME" >/dev/null 2>&1 || true
  "${PODMAN[@]}" volume rm --force "$NAME-state" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for tool in podman runc git; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install podman runc debootstrap)"
done
if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
  fail "port $PORT is taken on this machine: the container listens there (host network)"
fi

echo "== base image"
BASE="${IMAGE_TEST_BASE:-$(bash scripts/image-base.sh)}"
echo "$BASE"

echo "== podman build"
build_started=$SECONDS
"${PODMAN[@]}" build --format docker --network host \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
  --build-arg BASE="$BASE" -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log" >&2; fail "podman build"; }
build_seconds=$((SECONDS - build_started))
size="$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$IMAGE")"

echo "== what the image holds"
[ "$("${PODMAN[@]}" run --rm --network host --no-healthcheck "$IMAGE" id -u)" = 10001 ] || fail "not uid 10001"
"${PODMAN[@]}" image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q healthz \
  || fail "no HEALTHCHECK on /healthz"
"${PODMAN[@]}" run --rm --network host --no-healthcheck "$IMAGE" sh -c '
  for tool in gcc cc g++ make uv; do command -v "$tool" && exit 1; done
  for module in pytest pip mypy ruff hypothesis playwright; do
    /opt/venv/bin/python -c "import $module" 2>/dev/null && { echo "$module"; exit 1; }
  done
  ! ls -d /root/.cache/pip "$HOME/.cache/pip" /src 2>/dev/null' \
  || fail "a compiler, a test tool, a pip cache or the build's sources are in the image"

echo "== a GitOps repository (examples/gitops), mounted read-only"
cp -r examples/gitops "$WORK/gitops"
git -C "$WORK/gitops" init --quiet --initial-branch main
git -C "$WORK/gitops" add --all
git -C "$WORK/gitops" -c user.name=CI -c user.email=ci@example.com commit --quiet -m "GitOps"
cp -a "$WORK/gitops" "$WORK/host-gitops"  # the same commit, for the export below
chown -R 10001:10001 "$WORK/gitops"  # git refuses a repository another user owns
sed -e 's|^  url: \.$|  url: /gitops|' -e 's|pollSeconds: 5 .*|pollSeconds: 60|' \
  -e '/^auth:/,/^  tokens:/d' examples/demo-config.yaml >"$WORK/config.yaml"
printf 'shutdown: {graceSeconds: %s}\n' "$GRACE" >>"$WORK/config.yaml"
chmod 644 "$WORK/config.yaml"

echo "== podman run (read-only root filesystem, as the chart runs it)"
# The state volume starts as the image's /var/lib/catalog-service (owned by 10001), as an emptyDir
# with the chart's fsGroup; the health check runs below, not on a systemd timer (none here).
"${PODMAN[@]}" run -d --name "$NAME" --network host --read-only --health-interval disable \
  --tmpfs /tmp -v "$NAME-state:/var/lib/catalog-service" \
  -v "$WORK/gitops:/gitops:ro" -v "$WORK/config.yaml:/etc/catalog-service/config.yaml:ro" \
  -e CATALOG_AUTH__TOKENS="[\"$TOKEN\"]" "$IMAGE" >/dev/null 2>"$WORK/run.log" \
  || { cat "$WORK/run.log" >&2; fail "podman run"; }
ready=""
for _ in $(seq 1 120); do
  if ready="$(python3 -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:$PORT/readyz', timeout=2).status)" 2>/dev/null)" \
    && [ "$ready" = 200 ]; then
    break
  fi
  [ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$NAME")" = true ] \
    || { "${PODMAN[@]}" logs "$NAME" >&2; fail "the container stopped"; }
  sleep 0.5
done
[ "$ready" = 200 ] || { "${PODMAN[@]}" logs "$NAME" >&2; fail "/readyz never answered 200"; }
echo "/readyz 200"
[ "$("${PODMAN[@]}" exec "$NAME" id -u)" = 10001 ] || fail "the service does not run as 10001"
"${PODMAN[@]}" healthcheck run "$NAME" >/dev/null 2>&1 || fail "the HEALTHCHECK fails"

python3 -c "import urllib.request as u; print(u.urlopen('http://127.0.0.1:$PORT/api/v1/entities').read().decode())" \
  >"$WORK/served.json"
# What the same repository gives without the image: the package's own export.
if [ -x .venv/bin/catalog-service ]; then
  sed -e "s|url: /gitops|url: $WORK/host-gitops|" "$WORK/config.yaml" >"$WORK/host-config.yaml"
  CATALOG_DATABASE__URL="sqlite:///$WORK/host.db" XDG_CACHE_HOME="$WORK/host-cache" \
    .venv/bin/catalog-service export --config "$WORK/host-config.yaml" --format json \
    >"$WORK/exported.json" 2>"$WORK/export.log" || { cat "$WORK/export.log" >&2; fail "export"; }
else
  fail "no .venv: run scripts/bootstrap.sh first (the entities are compared with its export)"
fi
python3 - "$WORK/served.json" "$WORK/exported.json" <<'PY' || fail "/api/v1/entities differs from export"
import json, sys
def names(path):
    items = json.load(open(path))["items"]
    return sorted((e["kind"], e["metadata"]["name"]) for e in items)
served, exported = names(sys.argv[1]), names(sys.argv[2])
assert served == exported and served, (len(served), len(exported))
print(f"/api/v1/entities: {len(served)} entities, as export gives")
PY
# A write request with the token: it must not reach the logs.
python3 -c "
import urllib.request as u
r = u.Request('http://127.0.0.1:$PORT/api/v1/refresh', method='POST', headers={'Authorization': 'Bearer $TOKEN', 'X-Request-Id': 'image-test-1'})
print('refresh', u.urlopen(r).status)"

echo "== SIGTERM"
stop_started=$SECONDS
"${PODMAN[@]}" kill --signal TERM "$NAME" >/dev/null
status="$(timeout $((GRACE + 15)) "${PODMAN[@]}" wait "$NAME")" || fail "still running after SIGTERM"
stop_seconds=$((SECONDS - stop_started))
[ "$status" = 0 ] || { "${PODMAN[@]}" logs "$NAME" >&2; fail "exit status $status after SIGTERM"; }
echo "exited 0 after ${stop_seconds} s (grace ${GRACE} s)"

"${PODMAN[@]}" logs "$NAME" >"$WORK/service.log" 2>&1
python3 - "$WORK/service.log" "$TOKEN" <<'PY' || fail "the logs are not JSON lines, or hold the token"
import json, sys
text = open(sys.argv[1]).read()
assert sys.argv[2] not in text, "the token is in the logs"
records = [json.loads(line) for line in text.splitlines()]
assert any(r["logger"] == "uvicorn.error" for r in records)
assert any(r.get("requestId") == "image-test-1" and r.get("status") == 200 for r in records)
print(f"{len(records)} log lines, each a JSON object; no token")
PY

echo "== figures"
echo "image: $IMAGE from $BASE, $((size / 1000000)) MB"
echo "build: ${build_seconds} s"
echo "image-test: $((SECONDS - started)) s in all"
