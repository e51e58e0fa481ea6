#!/usr/bin/env bash
# Set up .venv and run the whole test suite: bash scripts/test.sh [pytest options]
set -euo pipefail
source "$(dirname "$0")/venv.sh"
# Under CI, install Debian's chromium for tests/test_browser.py when it is missing;
# where it cannot be installed, those tests skip and say why.
if [ "${CI:-}" = "true" ] && ! command -v chromium >/dev/null 2>&1; then
    { apt-get update -qq && apt-get install -y -qq chromium; } >/dev/null 2>&1 \
        || echo "chromium could not be installed: the browser tests will be skipped" >&2
fi
exec "$VENV/bin/python" -m pytest "$@"
