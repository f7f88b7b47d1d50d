import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'
import { chromiumLaunchOptions } from './scripts/chromium-path.ts'

// Read each package's TypeScript source through the custom export condition (`@cachework/source`).
const resolve = { conditions: ['@cachework/source', 'module', 'browser', 'development|production'] }
const ssrResolve = { conditions: ['@cachework/source', 'module', 'node', 'development|production'] }

export default defineConfig({
  test: {
    projects: [
      {
        resolve: ssrResolve,
        ssr: { resolve: { conditions: ssrResolve.conditions, externalConditions: ['@cachework/source'] } },
        test: {
          name: 'node',
          environment: 'node',
          include: ['packages/*/test/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve,
        test: {
          name: 'browser',
          include: ['packages/*/test/**/*.browser.test.ts'],
          testTimeout: 30_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            instances: [{ browser: 'chromium' }],
            provider: playwright({
              launchOptions: chromiumLaunchOptions(),
            }),
          },
        },
      },
    ],
  },
})
