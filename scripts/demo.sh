#!/usr/bin/env bash
# The service on the demo GitOps repository that ships with the project (examples/gitops).
#   bash scripts/demo.sh [--port 8080] [--reset]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/bootstrap.sh"
exec "$ROOT/.venv/bin/catalog-service" demo "$@"
