#!/usr/bin/env bash
# Set up .venv and run the whole test suite: bash scripts/test.sh [pytest options]
set -euo pipefail
source "$(dirname "$0")/venv.sh"
exec "$VENV/bin/python" -m pytest "$@"
