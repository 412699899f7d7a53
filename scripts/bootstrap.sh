#!/usr/bin/env bash
# Run by the other scripts: a virtual environment in .venv, installed exactly from uv.lock (every
# package of the tree pinned with its sha256).
#   bash scripts/bootstrap.sh [dev]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
UV_VERSION=0.13.8
extras="${1:-}"
if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PYTHON" -m venv "$ROOT/.venv"
fi
# uv in a small environment of its own, so that syncing .venv never removes it.
UV="$ROOT/.venv/.uv/bin/uv"
if [ ! -x "$UV" ] || [ "$("$UV" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  "$PYTHON" -m venv "$ROOT/.venv/.uv"
  "$ROOT/.venv/.uv/bin/pip" install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi
export UV_PROJECT_ENVIRONMENT="$ROOT/.venv" UV_PYTHON_DOWNLOADS=never
cd "$ROOT"
# --locked: a uv.lock that no longer matches pyproject.toml stops here (run `uv lock`).
if [ "$extras" = dev ]; then
  "$UV" sync --quiet --locked --extra dev
else
  "$UV" sync --quiet --locked --inexact  # keeps the test tools if they are there
fi
