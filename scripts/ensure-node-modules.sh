#!/usr/bin/env bash
# Install npm dependencies when node_modules is missing or older than the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
# http-cache-tests depends on npm@6, whose bin links (node_modules/.bin/npm and npx) would shadow
# the system's npm 11 inside every npm script (PATH puts node_modules/.bin first): npm 6 cannot
# read this lock file and wrecks node_modules. Drop those two links, before and after installing.
drop_npm6_bins() { rm -f node_modules/.bin/npm node_modules/.bin/npx; }
drop_npm6_bins
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm dependencies (npm install; better-sqlite3 compiles from source, ~90 s)…"
  # npm install, not npm ci: npm 11.19 leaves other platforms' optional binaries (biome's) out of
  # the lock file, and npm ci then refuses the lock it wrote. With a lock file present, npm install
  # installs the locked versions.
  npm install --no-audit --no-fund
  drop_npm6_bins
fi
