#!/usr/bin/env bash
# The demo command (`npm start`): installs the npm dependencies when they are missing, then
# starts the playground (a small news site that uses every part of cachework) on 127.0.0.1.
# Embedded defaults only (local memory, SQLite, files under playground/.data): no server to
# install. Environment: PORT (default 5173), HOST (default 127.0.0.1), CACHEWORK_DATA_DIR
# (default playground/.data), CACHEWORK_MEMCACHED=127.0.0.1:11211[,…] to put the page cache
# on memcached servers, or CACHEWORK_REDIS=redis://127.0.0.1:6379[,…] to put it on Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-modules.sh
export HOST="${HOST:-127.0.0.1}"
export PORT="${PORT:-5173}"
# exec so that the server is this script's process: stopping the script stops the server.
exec node --conditions=@cachework/source --import tsx playground/server/main.ts
