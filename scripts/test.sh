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
summary=.cache/test-summary
rm -rf "$summary" && mkdir -p "$summary"
echo "== vitest (node + chromium)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$summary/vitest.json"
echo "== playwright (chromium)"
PLAYWRIGHT_JSON_OUTPUT_NAME="$summary/playwright.json" npx playwright test --reporter=list,json
node scripts/test-summary.mjs "$summary"
