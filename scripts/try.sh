#!/usr/bin/env bash
# Set up .venv and assess a bundled example runner: bash scripts/try.sh [PROFILE] [zegama assess options]
set -euo pipefail
source "$(dirname "$0")/venv.sh"
PROFILE="${1:-examples/profiles/skimo.yaml}"
shift || true
exec "$VENV/bin/zegama" assess "$PROFILE" "$@"
