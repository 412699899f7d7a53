#!/usr/bin/env bash
# Every test: lint and types, the Python suite, then Backstage's own code against the service.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash "$ROOT/scripts/bootstrap.sh" dev

echo "== ruff and mypy"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy

echo "== deploy/validate (the CRD schemas tests/render checks Argo CD and External Secrets objects with)"
if [ ! -d deploy/validate/node_modules ] \
  || [ deploy/validate/package-lock.json -nt deploy/validate/node_modules/.package-lock.json ]; then
  (cd deploy/validate && npm ci --no-audit --no-fund)
fi

echo "== pytest"
.venv/bin/pytest

echo "== Backstage (backstage-plugins/)"
# better-sqlite3 compiles against Node's headers; Debian's nodejs ships them in /usr.
if [ -z "${npm_config_nodedir:-}" ] && [ "$(command -v node)" = /usr/bin/node ] \
  && [ -d /usr/include/node ]; then
  export npm_config_nodedir=/usr
fi
cd "$ROOT/backstage-plugins"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent typecheck
CATALOG_PYTHON="$ROOT/.venv/bin/python" npm test

echo "== The repository's Backstage app in Chromium (builds the plugins and the app when needed)"
cd "$ROOT"
bash "$ROOT/scripts/backstage-browser-test.sh"

echo "== The three packages as a platform team installs them: npm pack, a fresh app, a real backend (slowest: a cold npm install)"
cd "$ROOT/backstage-plugins"
CATALOG_PYTHON="$ROOT/.venv/bin/python" npm run --silent test:tarballs
