#!/usr/bin/env bash
# Install npm dependencies when node_modules is missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies (npm install; better-sqlite3 compiles from source, ~90 s)…"
  # npm install, not npm ci: npm 11.19 leaves other platforms' optional binaries (biome's) out of
  # the lock file, and npm ci then refuses the lock it wrote. With a lock file present, npm install
  # installs the locked versions.
  npm install --no-audit --no-fund
fi
