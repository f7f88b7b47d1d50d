import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from '@playwright/test'
import { chromiumLaunchOptions } from './scripts/chromium-path.ts'

// The playground as `npm start` runs it, on its own port with a fresh data directory per run.
// Workers re-read this file; they inherit the directory through the environment.
// CACHEWORK_E2E_PORT lets two checkouts run their end-to-end tests at once without colliding.
const PLAYGROUND_PORT = Number(process.env.CACHEWORK_E2E_PORT || 5174)
process.env.CACHEWORK_E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'cachework-playground-'))
// Start the playground only when the run may include its specs: `npx playwright test
// tests/e2e/sw-cache.spec.ts` (specs that start their own servers) then neither waits for it nor
// collides on its port with another run.
const named = process.argv.slice(2).filter((a) => /\.spec\.ts$|^tests\/e2e\//.test(a))
const needsPlayground = named.length === 0 || named.some((a) => a.includes('playground'))

// End-to-end tests in Debian's Chromium (never a downloaded browser: /usr/bin/chromium from apt).
export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  timeout: 60_000,
  workers: 1,
  reporter: 'list',
  use: {
    browserName: 'chromium',
    baseURL: 'http://127.0.0.1:5173',
    launchOptions: chromiumLaunchOptions(),
  },
  projects: [
    {
      name: 'playground',
      testMatch: /playground.*\.spec\.ts/,
      use: { baseURL: `http://127.0.0.1:${PLAYGROUND_PORT}` },
      // The dev server transforms modules on first request; on a loaded machine that takes a while.
      expect: { timeout: 15_000 },
    },
    { name: 'e2e', testIgnore: /playground.*\.spec\.ts/ },
  ],
  webServer: needsPlayground
    ? [
        {
          command: 'bash scripts/start.sh',
          url: `http://127.0.0.1:${PLAYGROUND_PORT}/healthz`,
          reuseExistingServer: false,
          timeout: 180_000,
          stdout: 'ignore',
          stderr: 'pipe',
          env: {
            PORT: String(PLAYGROUND_PORT),
            HOST: '127.0.0.1',
            CACHEWORK_DATA_DIR: process.env.CACHEWORK_E2E_DATA_DIR,
            CACHEWORK_MEMCACHED: '',
          },
        },
      ]
    : [],
})
