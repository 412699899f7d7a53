#!/usr/bin/env bash
# The demo catalog service and the repository's Backstage app on it, in one command:
#   bash scripts/backstage.sh            # then open the URL it prints; Ctrl-C stops both
# Variables: BACKSTAGE_PORT (default 7007), CATALOG_PORT (default 8080), DEMO_DIR (the demo's
# GitOps repository and database, default .demo-backstage/).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PLUGINS="$ROOT/backstage-plugins"
BACKSTAGE_PORT="${BACKSTAGE_PORT:-7007}"
CATALOG_PORT="${CATALOG_PORT:-8080}"
DEMO_DIR="${DEMO_DIR:-$ROOT/.demo-backstage}"
# The demo's tokens: never reuse them outside the demo.
SERVICE_TOKEN=demo-token-0123456789
EVENTS_TOKEN=demo-events-token-0123456789

[ -x "$ROOT/.venv/bin/python" ] || bash "$ROOT/scripts/bootstrap.sh" dev
if [ -z "${npm_config_nodedir:-}" ] && [ "$(command -v node)" = /usr/bin/node ] && [ -d /usr/include/node ]; then
  export npm_config_nodedir=/usr  # better-sqlite3 compiles against Node's headers
fi
cd "$PLUGINS"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== npm ci (first run: a few minutes)"
  npm ci --no-audit --no-fund
fi
# Build what changed since the last build: the three plugins, then the app's bundle.
# changed_since FILE DIR...: a file under DIR newer than FILE, or FILE missing.
changed_since() {
  local reference="$1"
  shift
  [ ! -f "$reference" ] || [ -n "$(find "$@" -type f -newer "$reference" -print -quit)" ]
}
if changed_since plugins/idp/dist/index.esm.js plugins/*/src \
  || changed_since plugins/catalog-backend-module-idp/dist/index.cjs.js plugins/*/src \
  || changed_since plugins/scaffolder-backend-module-idp/dist/index.cjs.js plugins/*/src; then
  echo "== building the plugins"
  npm run --silent build
fi
if changed_since packages/app/dist/index.html packages/app/src plugins/idp/dist app-config.yaml; then
  echo "== building the app (a few minutes on two cores)"
  (cd packages/app && NODE_OPTIONS=--max-old-space-size=4096 npx backstage-cli package build)
fi

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

echo "== the catalog service on the demo repository (http://127.0.0.1:$CATALOG_PORT)"
mkdir -p "$DEMO_DIR"
CATALOG_BACKSTAGE__EVENTSURL="http://127.0.0.1:$BACKSTAGE_PORT/api/events/http/idp.catalog" \
CATALOG_BACKSTAGE__TOKEN="$EVENTS_TOKEN" \
  "$ROOT/.venv/bin/python" -m catalog_service demo --host 127.0.0.1 --port "$CATALOG_PORT" \
  --workdir "$DEMO_DIR" &
pids+=($!)

echo "== Backstage (http://localhost:$BACKSTAGE_PORT)"
(
  cd packages/backend
  export BACKSTAGE_PORT IDP_SERVICE_URL="http://127.0.0.1:$CATALOG_PORT" \
    IDP_SERVICE_TOKEN="$SERVICE_TOKEN" IDP_EVENTS_TOKEN="$EVENTS_TOKEN"
  # development: the guest provider refuses sign-ins otherwise (this app is for one machine).
  NODE_ENV=development exec node --import tsx src/index.ts --config ../../app-config.yaml
) &
pids+=($!)

for _ in $(seq 1 240); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$BACKSTAGE_PORT/healthcheck" 2>/dev/null \
    || curl -fsS -o /dev/null "http://127.0.0.1:$BACKSTAGE_PORT/" 2>/dev/null; then
    echo
    echo "Backstage is up: http://localhost:$BACKSTAGE_PORT  (sign in as guest)"
    echo "  payments-api: http://localhost:$BACKSTAGE_PORT/catalog/default/component/payments-api"
    echo "  the idp page: http://localhost:$BACKSTAGE_PORT/idp"
    echo "Ctrl-C stops Backstage and the catalog service."
    break
  fi
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "a process exited before Backstage was up" >&2; exit 1; }
  done
  sleep 0.5
done
wait -n "${pids[@]}"
