#!/usr/bin/env bash
# The test command (`npm test`): installs what the tests need, then lint, typecheck, unit and
# integration tests (vitest: Node and real Chromium), then end-to-end tests (Playwright).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-system.sh
bash scripts/ensure-node-modules.sh
echo "== lint (biome)"
npx biome check .
echo "== typecheck (tsc -b)"
npx tsc -b
echo "== vitest (node + chromium)"
npx vitest run
echo "== playwright (chromium)"
npx playwright test --pass-with-no-tests
