#!/usr/bin/env bash
# The repository's Backstage app in Debian's Chromium (backstage-plugins/test/browser): starts it
# with scripts/backstage.sh (which installs and builds what is missing), loads payments-api's
# entity page and /idp. SCREENSHOTS=1 also writes docs/images/backstage-card.png and -page.png.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[ -x .venv/bin/python ] || bash scripts/bootstrap.sh dev
exec .venv/bin/pytest backstage-plugins/test/browser -q -p no:cacheprovider "$@"
