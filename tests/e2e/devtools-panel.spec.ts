/**
 * The devtools panel in real Chromium against the self-contained fixture (tests/fixtures/devtools):
 * entries from the Vite process, a separate Node server, the page (locmem + indexeddb) and the
 * service worker in one panel; delete and bump checked through the cache API of each store.
 */
import { expect as baseExpect, type Page, test } from '@playwright/test'
import { type DevtoolsFixture, startDevtoolsFixture } from '../fixtures/devtools/start.ts'

let fx: DevtoolsFixture

// Generous waits: the suite shares 2 cores with many other processes.
const expect = baseExpect.configure({ timeout: 20_000 })
const pageLog = new WeakMap<Page, string[]>()

test.beforeEach(({ page }) => {
  const log: string[] = []
  pageLog.set(page, log)
  page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`))
  page.on('pageerror', (e) => log.push(`pageerror: ${e.message}`))
})

// A cold Vite start (dependency optimisation, first transforms) is slow on a loaded 2-core machine.
test.setTimeout(120_000)

test.beforeAll(async () => {
  fx = await startDevtoolsFixture()
})
test.afterAll(async () => {
  await fx?.close()
})

const PANEL = 'cachework-devtools .cw-panel'

function row(page: Page, source: string, key: string) {
  return page.locator(`cachework-devtools .cw-row[data-source="${source}"][data-key="${key}"]`)
}

/** Open the fixture, wait for its caches and worker, open the panel with the shortcut. */
async function openPanel(page: Page): Promise<void> {
  await page.goto(`${fx.url}/`)
  try {
    await page.waitForFunction(() => window.cwFixture?.ready === true, undefined, { timeout: 90_000 })
  } catch (e) {
    throw new Error(`the fixture page never got ready; its console:\n${pageLog.get(page)?.join('\n')}`, {
      cause: e,
    })
  }
  await page.keyboard.press('Alt+Shift+C')
  await expect(page.locator(PANEL)).toBeVisible()
}

async function filter(page: Page, text: string): Promise<void> {
  await page.locator('cachework-devtools input[aria-label="filter"]').fill(text)
}

async function select(page: Page, source: string, key: string): Promise<void> {
  await filter(page, key)
  await row(page, source, key).click()
  await expect(page.locator('cachework-devtools .cw-detail')).toHaveAttribute('data-key', key)
}

test('lists the Vite process, the Node server, the page and the service worker in one panel', async ({
  page,
}, testInfo) => {
  await openPanel(page)
  await expect(row(page, 'vite', 'vite-a')).toBeVisible({ timeout: 45_000 })
  await expect(row(page, 'server', 'server-a')).toBeVisible()
  await expect(row(page, 'page', 'page-a')).toBeVisible()
  await expect(row(page, 'page', 'idb-a')).toBeVisible()
  await expect(page.locator('cachework-devtools .cw-row[data-source="sw"]').first()).toBeVisible({
    timeout: 20_000,
  })
  // Per-entry columns: backend, version, preview, a countdown.
  const a = row(page, 'page', 'idb-a')
  await expect(a).toContainText('indexeddb')
  await expect(a).toContainText('Map(1)')
  await expect(a.locator('[data-col="expires"]')).toHaveText(/^\d+m \d\ds$/)
  // Per-cache stats: the page's locmem saw one hit and one miss.
  const stats = page.locator('cachework-devtools tr[data-source="page"][data-alias="default"]')
  await expect(stats.locator('[data-stat="hits"]')).toHaveText('1')
  await expect(stats.locator('[data-stat="misses"]')).toHaveText('1')
  await expect(stats.locator('[data-stat="rate"]')).toHaveText('50.0%')

  // Detail view: the full value, pretty-printed, truncated with "show more".
  await select(page, 'page', 'page-big')
  const value = page.locator('cachework-devtools .cw-detail pre')
  await expect(page.locator('cachework-devtools [data-action="more"]')).toBeVisible()
  const short = (await value.textContent())?.length ?? 0
  await page.locator('cachework-devtools [data-action="more"]').click()
  expect((await value.textContent())?.length ?? 0).toBeGreaterThan(short)

  await filter(page, '')
  // Kept as an artifact: test-results/<this test>/devtools-panel.png, and attached to the report.
  const path = testInfo.outputPath('devtools-panel.png')
  await page.screenshot({ path })
  await testInfo.attach('devtools-panel', { path, contentType: 'image/png' })
})

test('deletes entries from each store, checked through the cache API', async ({ page }) => {
  await openPanel(page)
  // Page locmem.
  await select(page, 'page', 'page-del')
  await page.locator('cachework-devtools [data-action="delete"]').click()
  await expect(row(page, 'page', 'page-del')).toHaveCount(0)
  expect(await page.evaluate(() => window.cwFixture?.loc.has('page-del'))).toBe(false)
  // Page indexeddb.
  await select(page, 'page', 'idb-del')
  await page.locator('cachework-devtools [data-action="delete"]').click()
  await expect(row(page, 'page', 'idb-del')).toHaveCount(0)
  expect(await page.evaluate(() => window.cwFixture?.idb.has('idb-del'))).toBe(false)
  // The Vite process.
  await select(page, 'vite', 'vite-del')
  await page.locator('cachework-devtools [data-action="delete"]').click()
  await expect(row(page, 'vite', 'vite-del')).toHaveCount(0)
  expect(await fx.viteCache.has('vite-del')).toBe(false)
  // The separate Node server, through the proxy.
  await select(page, 'server', 'server-del')
  await page.locator('cachework-devtools [data-action="delete"]').click()
  await expect(row(page, 'server', 'server-del')).toHaveCount(0)
  expect(await fx.serverCache.has('server-del')).toBe(false)
  // The service worker's response cache.
  await filter(page, '/api/data')
  const sw = page.locator('cachework-devtools .cw-row[data-source="sw"]').first()
  await expect(sw).toBeVisible({ timeout: 45_000 })
  await sw.click()
  await page.locator('cachework-devtools [data-action="delete"]').click()
  await expect(page.locator('cachework-devtools .cw-row[data-source="sw"]')).toHaveCount(0)
})

test('bumping a version changes the version shown and moves the value', async ({ page }) => {
  await openPanel(page)
  await select(page, 'page', 'bump-me')
  await expect(row(page, 'page', 'bump-me')).toHaveAttribute('data-version', '1')
  await page.locator('cachework-devtools [data-action="bump"]').click()
  await expect(row(page, 'page', 'bump-me')).toHaveAttribute('data-version', '2')
  const moved = await page.evaluate(async () => {
    const idb = window.cwFixture?.idb
    return [await idb?.get('bump-me', undefined, { version: 2 }), await idb?.has('bump-me')]
  })
  expect(moved).toEqual([{ v: 'bumped' }, false])
})

test('live: a set in the Vite process appears, and the log records it', async ({ page }) => {
  await openPanel(page)
  await expect(row(page, 'vite', 'vite-a')).toBeVisible({ timeout: 45_000 })
  await fx.viteCache.set('live-key', 'arrived', 60)
  await filter(page, 'live-key')
  await expect(row(page, 'vite', 'live-key')).toBeVisible({ timeout: 45_000 })
  await expect(page.locator('cachework-devtools .cw-log')).toContainText('set live-key')
  // Clear a whole cache from the stats table.
  await page.locator('cachework-devtools tr[data-source="server"] [data-action="clear"]').click()
  await expect(page.locator('cachework-devtools .cw-row[data-source="server"]')).toHaveCount(0)
  expect(await fx.serverCache.has('server-a')).toBe(false)
})

test('the open state is remembered; the shortcut and the close button toggle it', async ({ page }) => {
  await openPanel(page)
  await page.reload()
  await expect(page.locator(PANEL)).toBeVisible()
  await page.locator('cachework-devtools [data-action="close"]').click()
  await expect(page.locator(PANEL)).toBeHidden()
  await page.reload()
  await expect(page.locator('cachework-devtools .cw-toggle')).toBeVisible()
  await expect(page.locator(PANEL)).toBeHidden()
  await page.locator('cachework-devtools .cw-toggle').click()
  await expect(page.locator(PANEL)).toBeVisible()
})

test('the server side refuses a wrong token, on the proxy and on the WebSocket', async ({ page }) => {
  await page.goto(`${fx.url}/`)
  const proxy = await page.evaluate(async () => {
    const r = await fetch('/__cachework/server/list', { headers: { 'x-cachework-token': 'wrong' } })
    return r.status
  })
  expect(proxy).toBe(403)
  // Speak Vite's HMR protocol directly with a wrong cachework token.
  const answer = await page.evaluate(async () => {
    const client = await (await fetch('/@vite/client')).text()
    const wsToken = /const wsToken = "([^"]*)"/.exec(client)?.[1] ?? ''
    const ws = new WebSocket(`ws://${location.host}/?token=${wsToken}`, 'vite-hmr')
    await new Promise((r) => ws.addEventListener('open', r))
    const reply = new Promise<unknown>((resolve) =>
      ws.addEventListener('message', (e) => {
        const msg = JSON.parse(String(e.data)) as { type: string; event?: string; data?: unknown }
        if (msg.event === 'cachework:response') resolve(msg.data)
      }),
    )
    ws.send(
      JSON.stringify({
        type: 'custom',
        event: 'cachework:request',
        data: { id: 7, token: 'wrong', op: { op: 'list' } },
      }),
    )
    const data = await reply
    ws.close()
    return data
  })
  expect(answer).toEqual({ id: 7, error: expect.stringMatching(/forbidden/) })
})

test('10,000 entries: the list is virtualised and the filter narrows it', async ({ page }) => {
  await page.goto(`${fx.url}/bench.html?seed=10000`)
  await page.waitForFunction(() => window.cwBenchReady === true, undefined, { timeout: 90_000 })
  await page.keyboard.press('Alt+Shift+C')
  const count = page.locator('cachework-devtools .cw-count')
  await expect(count).toHaveText(/^(\d+) \/ \1 entries$/, { timeout: 60_000 })
  const total = Number((await count.textContent())?.split(' ')[0])
  expect(total).toBeGreaterThanOrEqual(10_000)
  // Only the rows in view (plus a small overscan) exist in the DOM.
  expect(await page.locator('cachework-devtools .cw-row').count()).toBeLessThan(100)
  await filter(page, 'number 42')
  await expect(count).toHaveText(`111 / ${total} entries`)
  await expect(row(page, 'page', 'bench-42')).toBeAttached()
})
