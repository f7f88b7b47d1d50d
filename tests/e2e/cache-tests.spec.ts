/**
 * The public HTTP caching test suite (cache-tests, npm `http-cache-tests`) in Chromium, three
 * browser contexts side by side on one suite origin: the cachework service-worker cache;
 * Chromium's own HTTP cache (no worker), for comparison; and the worker with a backend that
 * stores nothing, which proves that Chromium's cache never answers the worker's network
 * requests (no test that needs a stored response may pass there). The worker's results are held
 * to `tests/fixtures/cache-tests/expected/browser-sw.json`: a test that passed before fails this
 * test when it also fails run again alone, with the diff printed. Counts are recorded in docs/http.md.
 */
import { fileURLToPath } from 'node:url'
import { type Browser, expect, test } from '@playwright/test'
import { RUNNER_HTML } from '../fixtures/cache-tests/page.ts'
import {
  compareWithExpected,
  countResults,
  formatCounts,
  loadTests,
  publishedResults,
  regressionsOf,
  type SuiteResult,
  startSuiteOrigin,
} from '../fixtures/cache-tests/suite.ts'
import { buildBundles } from '../fixtures/sw/build.ts'

declare global {
  interface Window {
    suiteReady: Promise<boolean>
    runSuite(only?: string[]): Promise<Record<string, SuiteResult>>
  }
}

// The suite's built-in pauses (3 s each, up to three in a row per test, 100 tests at a time).
test.setTimeout(240_000)

/** Run the suite (or only `ids`) in a new browser context (its own HTTP cache and workers). */
async function runIn(
  browser: Browser,
  url: string,
  controlled: boolean,
  ids?: string[],
): Promise<Record<string, SuiteResult>> {
  const context = await browser.newContext()
  try {
    const page = await context.newPage()
    await page.goto(url)
    expect(await page.evaluate(() => window.suiteReady)).toBe(controlled)
    return await page.evaluate((only) => window.runSuite(only), ids)
  } finally {
    await context.close()
  }
}

test('cache-tests browser suite: the service-worker cache vs Chromium, and a run with no cache', async ({
  browser,
}) => {
  const bundles = await buildBundles({
    'cache-sw': fileURLToPath(new URL('../fixtures/cache-tests/worker.ts', import.meta.url)),
  })
  const files = new Map([['/runner.html', { type: 'text/html; charset=utf-8', body: RUNNER_HTML }]])
  for (const [path, code] of bundles) files.set(path, { type: 'text/javascript', body: code })
  const origin = await startSuiteOrigin(files)
  try {
    const tests = await loadTests('browser')
    const page = `${origin.url}/runner.html`
    const swPage = `${page}?sw=${encodeURIComponent('/cache-sw.js')}`
    const [first, chromium, none] = await Promise.all([
      runIn(browser, swPage, true),
      runIn(browser, page, false),
      runIn(browser, `${page}?sw=${encodeURIComponent('/cache-sw.js?store=none')}`, true),
    ])
    // Tests that passed before and failed now run once more, alone (a few judge freshness to the
    // second after sleeping, on a machine shared with other work).
    const again = regressionsOf('browser-sw', tests, first)
    const sw = again.length ? { ...first, ...(await runIn(browser, swPage, true, again)) } : first
    const lines = [
      `service worker:     ${formatCounts(countResults(tests, sw))}`,
      `Chromium:           ${formatCounts(countResults(tests, chromium))}`,
      `no cache:           ${formatCounts(countResults(tests, none))}`,
    ]
    for (const name of ['chrome', 'firefox', 'safari']) {
      lines.push(
        `${`${name} (published):`.padEnd(20)}${formatCounts(countResults(tests, publishedResults(name)))}`,
      )
    }
    console.log(`cache-tests (browser)\n${lines.join('\n')}`)

    // Chromium's own cache is not ours: its diff is shown, never a failure.
    compareWithExpected('browser-none', tests, none)
    const chromiumDiff = compareWithExpected('browser-chromium', tests, chromium)
    if (chromiumDiff.report) console.log(chromiumDiff.report)

    // Without a store, a test that needs a stored response can only pass if Chromium's HTTP
    // cache answered the worker's `cache: 'no-store'` fetches.
    const servedWithoutStore = tests.filter((t) => t.needsStore && none[t.id] === true).map((t) => t.id)
    expect(servedWithoutStore, 'tests needing a stored response passed with no cache').toEqual([])
    expect(Object.keys(none).length).toBe(tests.length)

    const diff = compareWithExpected('browser-sw', tests, sw)
    if (diff.report) console.log(diff.report)
    expect(diff.regressions, diff.report).toEqual([])
  } finally {
    await origin.close()
  }
})
