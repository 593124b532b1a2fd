#!/usr/bin/env bash
# Sets up and runs the service with demo data on the embedded default (SQLite, web and worker in one process).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_SYSTEM_PACKAGES=0 scripts/setup.sh
.venv/bin/encompass demo load
exec .venv/bin/encompass serve "$@"
