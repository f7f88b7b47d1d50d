#!/usr/bin/env bash
# `npm ci` when node_modules is missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies (npm ci; better-sqlite3 compiles from source, ~90 s)…"
  npm ci --no-audit --no-fund
fi
