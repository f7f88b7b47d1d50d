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
  await filter(page, '/api/data')
  await expect(page.locator('cachework-devtools .cw-row[data-source="sw"]').first()).toBeVisible({
    timeout: 20_000,
  })
  await filter(page, '-a')
  await expect(row(page, 'server', 'server-a')).toBeVisible()
  await expect(row(page, 'page', 'page-a')).toBeVisible()
  await expect(row(page, 'page', 'idb-a')).toBeVisible()
  // Per-entry columns: backend, version, preview, a countdown.
  const a = row(page, 'page', 'idb-a')
  await expect(a).toContainText('indexeddb')
  await expect(a).toContainText('Map(1)')
  await expect(a.locator('[data-col="expires"]')).toHaveText(/^\d+m \d\ds$/)
  // Per-cache stats: the page's locmem saw one hit and one miss.
  await page.locator('cachework-devtools [role="tab"][data-view="caches"]').click()
  const stats = page.locator('cachework-devtools .cw-card[data-source="page"][data-alias="default"]')
  await expect(stats.locator('[data-stat="hits"]')).toHaveText('1')
  await expect(stats.locator('[data-stat="misses"]')).toHaveText('1')
  await expect(stats.locator('[data-stat="rate"]')).toHaveText('50.0%')

  // Detail view: the full value as text, truncated with "show more".
  await page.locator('cachework-devtools [role="tab"][data-view="entries"]').click()
  await select(page, 'page', 'page-big')
  await page.locator('cachework-devtools [data-action="show-text"]').click()
  const value = page.locator('cachework-devtools .cw-detail pre[data-view="text"]')
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

test("a tiered cache's card shows each tier and the bus, as its stats() reports them", async ({
  page,
}, testInfo) => {
  await openPanel(page)
  await page.locator('cachework-devtools [role="tab"][data-view="caches"]').click()
  const card = page.locator('cachework-devtools .cw-card[data-source="page"][data-alias="tiers"]')
  const line = (t: { hits: number; misses: number; sets: number; deletes: number }) =>
    `hits\u00a0${t.hits} · misses\u00a0${t.misses} · sets\u00a0${t.sets} · deletes\u00a0${t.deletes}`
  const stats = () =>
    page.evaluate(() => {
      const s = window.cwFixture?.tiers.stats() as unknown as {
        tiers: {
          tier: string
          alias: string
          backend: string
          hits: number
          misses: number
          sets: number
          deletes: number
        }[]
        bus: { received: number; flushes: number }
      }
      return { tiers: s.tiers, bus: s.bus }
    })
  const s = await stats()
  // The fixture's set, hit and miss went through both tiers (L1 answered the hit).
  baseExpect(s.tiers.map((t) => [t.tier, t.backend, t.hits, t.misses, t.sets])).toEqual([
    ['l1', 'locmem', 1, 1, 1],
    ['l2', 'indexeddb', 0, 1, 1],
  ])
  await expect(card.locator('[data-stat="tier-l1"]')).toHaveText(line(s.tiers[0] as never))
  await expect(card.locator('[data-stat="tier-l2"]')).toHaveText(line(s.tiers[1] as never))
  await expect(card.locator('dl.tiers dt').first()).toContainText('locmem')
  await expect(card.locator('[data-stat="bus"]')).toHaveText(
    `received\u00a0${s.bus.received} · L1 flushes\u00a0${s.bus.flushes}`,
  )
  // Live: another L1 hit moves the card.
  await page.evaluate(() => window.cwFixture?.tiers.get('tier-a'))
  const after = await stats()
  baseExpect(after.tiers[0]?.hits).toBe(2)
  await expect(card.locator('[data-stat="tier-l1"]')).toHaveText(line(after.tiers[0] as never))
  await card.scrollIntoViewIfNeeded()
  await shot(page, testInfo, 'tiered-card')
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

test('live: a set in the Vite process appears, and the timeline records it', async ({ page }) => {
  await openPanel(page)
  await filter(page, 'vite-a')
  await expect(row(page, 'vite', 'vite-a')).toBeVisible({ timeout: 45_000 })
  await fx.viteCache.set('live-key', 'arrived', 60)
  await filter(page, 'live-key')
  await expect(row(page, 'vite', 'live-key')).toBeVisible({ timeout: 45_000 })
  await page.locator('cachework-devtools [role="tab"][data-view="timeline"]').click()
  await expect(
    page.locator('cachework-devtools .cw-tl-row[data-source="vite"][data-type="set"][data-key="live-key"]'),
  ).toBeVisible()
  // Clear a whole cache from its card.
  await page.locator('cachework-devtools [role="tab"][data-view="caches"]').click()
  await page.locator('cachework-devtools .cw-card[data-source="server"] [data-action="clear"]').click()
  await page.locator('cachework-devtools [role="tab"][data-view="entries"]').click()
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
  const count = page.locator('cachework-devtools #cw-view-entries .cw-count')
  await expect(count).toHaveText(/^(\d+) \/ \1 entries$/, { timeout: 60_000 })
  const total = Number((await count.textContent())?.split(' ')[0])
  expect(total).toBeGreaterThanOrEqual(10_000)
  // Only the rows in view (plus a small overscan) exist in the DOM.
  expect(await page.locator('cachework-devtools .cw-row').count()).toBeLessThan(100)
  await filter(page, 'number 42')
  await expect(count).toHaveText(`111 / ${total} entries`)
  await expect(row(page, 'page', 'bench-42')).toBeAttached()
})

// ---- The dock, the views and the actions (issue 17) ----

const tab = (page: Page, view: string) => page.locator(`cachework-devtools [role="tab"][data-view="${view}"]`)

/**
 * Every layout fault the panel must not have, found in the live DOM: sections (bar, tools,
 * lists, entry view, cards) overlapping each other or leaving the panel or the window; a row
 * or one of its cells cut off horizontally; a list scrolling sideways; a button out of reach.
 */
async function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.querySelector('cachework-devtools')?.shadowRoot
    if (!root) return ['no panel']
    const out: string[] = []
    const shown = (e: Element): boolean => {
      const r = e.getBoundingClientRect()
      return r.width > 0 && r.height > 0
    }
    const name = (e: Element): string => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')}`
    const panel = root.querySelector('.cw-panel') as HTMLElement
    const pb = panel.getBoundingClientRect()
    const inside = (a: DOMRect, b: DOMRect, slack = 1): boolean =>
      a.left >= b.left - slack &&
      a.right <= b.right + slack &&
      a.top >= b.top - slack &&
      a.bottom <= b.bottom + slack
    if (pb.right > innerWidth + 1 || pb.bottom > innerHeight + 1 || pb.left < -1 || pb.top < -1)
      out.push(`panel ${JSON.stringify(pb)} leaves the window`)
    const view = root.querySelector('.cw-view:not([hidden])') as HTMLElement
    const sections = [
      root.querySelector('.cw-bar'),
      ...view.querySelectorAll(':scope > .cw-tools, .cw-list, .cw-detail, .cw-tl, .cw-cards'),
    ].filter((e): e is Element => e !== null && shown(e))
    for (const s of sections) {
      if (!inside(s.getBoundingClientRect(), pb)) out.push(`${name(s)} leaves the panel`)
    }
    for (let i = 0; i < sections.length; i++) {
      for (let j = i + 1; j < sections.length; j++) {
        const a = (sections[i] as Element).getBoundingClientRect()
        const b = (sections[j] as Element).getBoundingClientRect()
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left)
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top)
        if (w > 1 && h > 1)
          out.push(`${name(sections[i] as Element)} overlaps ${name(sections[j] as Element)}`)
      }
    }
    for (const vp of view.querySelectorAll('.cw-viewport')) {
      if (!shown(vp)) continue
      const vb = vp.getBoundingClientRect()
      if (vp.scrollWidth > vp.clientWidth + 1) out.push(`${name(vp)} scrolls sideways`)
      for (const r of vp.querySelectorAll('.cw-row, .cw-tl-row')) {
        const rb = r.getBoundingClientRect()
        if (rb.bottom < vb.top || rb.top > vb.bottom) continue
        if (rb.left < vb.left - 1 || rb.right > vb.right + 1) out.push(`a row is clipped: ${r.textContent}`)
        for (const c of r.children) {
          if (!shown(c)) continue
          const cb = c.getBoundingClientRect()
          if (cb.left < rb.left - 1 || cb.right > rb.right + 1)
            out.push(`a cell is clipped: ${c.textContent}`)
        }
      }
    }
    for (const b of [
      ...root.querySelectorAll('.cw-bar button, .cw-tools button, .cw-tools select, .cw-tools input'),
    ]) {
      if (!shown(b)) continue
      const bb = b.getBoundingClientRect()
      if (bb.right > pb.right + 1 || bb.left < pb.left - 1)
        out.push(`${name(b)} ${b.textContent} is out of reach`)
    }
    for (const card of view.querySelectorAll('.cw-card')) {
      const parent = (card.parentElement as Element).getBoundingClientRect()
      const cb = card.getBoundingClientRect()
      if (cb.left < parent.left - 1 || cb.right > parent.right + 1)
        out.push(`card ${card.getAttribute('aria-label')} is clipped`)
      for (const b of card.querySelectorAll('button, dd, svg')) {
        const bb = b.getBoundingClientRect()
        if (bb.left < cb.left - 1 || bb.right > cb.right + 1)
          out.push(`${name(b)} of ${card.getAttribute('aria-label')} is clipped`)
      }
    }
    return out
  })
}

async function shot(page: Page, testInfo: import('@playwright/test').TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`)
  await page.screenshot({ path })
  await testInfo.attach(name, { path, contentType: 'image/png' })
}

test('at 1280×720, 1920×1080 and 390×844 no section overlaps another and nothing is clipped, in every view', async ({
  page,
}, testInfo) => {
  await openPanel(page)
  await filter(page, 'vite-a')
  await expect(row(page, 'vite', 'vite-a')).toBeVisible({ timeout: 45_000 })
  await page.evaluate(() => fetch('/pages/layout').then((r) => r.text()))
  for (const [width, height] of [
    [1280, 720],
    [1920, 1080],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width, height })
    await tab(page, 'entries').click()
    await filter(page, '')
    await expect(page.locator('cachework-devtools .cw-row.cw-group').first()).toBeVisible()
    expect(await layoutProblems(page), `entries at ${width}×${height}`).toEqual([])
    await filter(page, 'page-a')
    await row(page, 'page', 'page-a').click()
    await expect(page.locator('cachework-devtools .cw-detail')).toBeVisible()
    await filter(page, '')
    expect(await layoutProblems(page), `entry view at ${width}×${height}`).toEqual([])
    await shot(page, testInfo, `entries-${width}x${height}`)
    await tab(page, 'timeline').click()
    await page.evaluate(() => window.cwFixture?.loc.get('page-a'))
    await expect(page.locator('cachework-devtools .cw-tl-row').first()).toBeVisible()
    expect(await layoutProblems(page), `timeline at ${width}×${height}`).toEqual([])
    await shot(page, testInfo, `timeline-${width}x${height}`)
    await tab(page, 'caches').click()
    await expect(page.locator('cachework-devtools .cw-card').first()).toBeVisible()
    expect(await layoutProblems(page), `caches at ${width}×${height}`).toEqual([])
    await shot(page, testInfo, `caches-${width}x${height}`)
  }
})

test('the dock resizes by dragging its edge and by keyboard, docks right, and remembers both', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 })
  await openPanel(page)
  const panel = page.locator(PANEL)
  const edge = page.locator('cachework-devtools .cw-resize')
  const before = (await panel.boundingBox())?.height as number
  const e = (await edge.boundingBox()) as { x: number; y: number; width: number; height: number }
  await page.mouse.move(e.x + 200, e.y + e.height / 2)
  await page.mouse.down()
  await page.mouse.move(e.x + 200, e.y + e.height / 2 - 60, { steps: 4 })
  await page.mouse.move(e.x + 200, e.y + e.height / 2 - 120, { steps: 4 })
  await page.mouse.up()
  const after = (await panel.boundingBox())?.height as number
  expect(Math.abs(after - (before + 120))).toBeLessThanOrEqual(3)
  await edge.focus()
  await page.keyboard.press('ArrowDown')
  await expect.poll(async () => (await panel.boundingBox())?.height).toBe(after - 20)
  await page.reload()
  await expect(panel).toBeVisible()
  expect((await panel.boundingBox())?.height).toBe(after - 20)
  await page.locator('cachework-devtools [data-action="side"]').click()
  await expect(panel).toHaveAttribute('data-side', 'right')
  const right = (await panel.boundingBox()) as { x: number; width: number; height: number }
  expect(right.height).toBe(720)
  expect(right.x + right.width).toBeCloseTo(1280, 0)
  await page.reload()
  await expect(panel).toHaveAttribute('data-side', 'right')
  expect((await panel.boundingBox())?.width).toBe(right.width)
  expect(await layoutProblems(page)).toEqual([])
})

test('the theme follows the emulated colour scheme; tabs are reachable by keyboard and named', async ({
  page,
}) => {
  await openPanel(page)
  const bg = () => page.locator(PANEL).evaluate((el) => getComputedStyle(el).backgroundColor)
  await page.emulateMedia({ colorScheme: 'dark' })
  await expect.poll(bg).toBe('rgb(13, 17, 23)')
  await page.emulateMedia({ colorScheme: 'light' })
  await expect.poll(bg).toBe('rgb(255, 255, 255)')
  await expect(page.getByRole('region', { name: 'cachework devtools' })).toBeVisible()
  await page.getByRole('tab', { name: 'Entries' }).focus()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByRole('tab', { name: 'Timeline' })).toHaveAttribute('aria-selected', 'true')
  await expect(page.getByRole('tab', { name: 'Timeline' })).toBeFocused()
  await page.keyboard.press('ArrowRight')
  await expect(page.getByRole('tabpanel', { name: 'Caches & charts' })).toBeVisible()
  await expect(page.getByRole('separator', { name: /resize/ })).toBeAttached()
})

test('the timeline receives events from the Vite process, the server, the page and the worker; pause, clear, click → entry', async ({
  page,
}) => {
  await openPanel(page)
  await filter(page, 'vite-a')
  await expect(row(page, 'vite', 'vite-a')).toBeVisible({ timeout: 45_000 })
  await tab(page, 'timeline').click()
  await page.locator('cachework-devtools input[aria-label="event key"]').fill('tl-')
  await fx.viteCache.set('tl-vite', 1, 60)
  await fx.serverCache.set('tl-server', 2, 60)
  await page.evaluate(() => window.cwFixture?.loc.set('tl-page', 3, 60))
  await page.evaluate(() => fetch(`/api/tl-${Date.now()}`).then((r) => r.text()))
  const tl = (sel: string) => page.locator(`cachework-devtools .cw-tl-row${sel}`)
  await expect(tl('[data-source="vite"][data-type="set"][data-key="tl-vite"]')).toBeVisible()
  await expect(tl('[data-source="server"][data-type="set"][data-key="tl-server"]')).toBeVisible()
  await expect(tl('[data-source="page"][data-type="set"][data-key="tl-page"]')).toBeVisible()
  await expect(tl('[data-source="sw"][data-type="set"]').first()).toContainText('/api/tl-')
  // Filter by source and type.
  await page.locator('cachework-devtools select[aria-label="event source"]').selectOption('server')
  await expect(tl('')).toHaveCount(1)
  await page.locator('cachework-devtools select[aria-label="event source"]').selectOption('')
  // Pause holds new events back; resume shows them.
  await page.locator('cachework-devtools [data-action="pause"]').click()
  await fx.viteCache.set('tl-paused', 4, 60)
  await expect(page.locator('cachework-devtools #cw-view-timeline .cw-count')).toContainText('1 new')
  await expect(tl('[data-key="tl-paused"]')).toHaveCount(0)
  await page.locator('cachework-devtools [data-action="pause"]').click()
  await expect(tl('[data-key="tl-paused"]')).toBeVisible()
  // Clicking an event opens its entry.
  await tl('[data-key="tl-vite"]').click()
  await expect(tab(page, 'entries')).toHaveAttribute('aria-selected', 'true')
  await expect(page.locator('cachework-devtools .cw-detail')).toHaveAttribute('data-key', 'tl-vite')
  await tab(page, 'timeline').click()
  await page.locator('cachework-devtools [data-action="clear-timeline"]').click()
  await expect(tl('')).toHaveCount(0)
})

test('the service worker streams its events live: one per answer and per write, and nothing polls it', async ({
  page,
}) => {
  // Count what the page asks the worker (the panel used to poll `cachework:list` once a second).
  await page.addInitScript(() => {
    const counts: Record<string, number> = {}
    ;(window as unknown as { cwSwAsked: Record<string, number> }).cwSwAsked = counts
    const post = ServiceWorker.prototype.postMessage as (this: ServiceWorker, ...args: unknown[]) => void
    ServiceWorker.prototype.postMessage = function (this: ServiceWorker, ...args: unknown[]) {
      const type = (args[0] as { type?: string } | null)?.type ?? '?'
      counts[type] = (counts[type] ?? 0) + 1
      post.apply(this, args)
    } as typeof ServiceWorker.prototype.postMessage
  })
  await openPanel(page)
  await tab(page, 'timeline').click()
  const stamp = `live-${Date.now()}`
  await page.locator('cachework-devtools input[aria-label="event key"]').fill(`/api/${stamp}-`)
  await page.evaluate(async (s) => {
    for (const u of [1, 2, 3, 1]) await (await fetch(`/api/${s}-${u}`)).text()
  }, stamp)
  const sw = (type: string) =>
    page.locator(`cachework-devtools .cw-tl-row[data-source="sw"][data-type="${type}"]`)
  // Three misses that stored, then one hit: each event once, with its URL.
  await expect(sw('miss')).toHaveCount(3)
  await expect(sw('set')).toHaveCount(3)
  await expect(sw('hit')).toHaveCount(1)
  await expect(sw('hit')).toContainText(`/api/${stamp}-1`)
  // The new responses are listed (the panel re-lists after a `set`), and then nothing polls the worker.
  await tab(page, 'entries').click()
  await filter(page, `/api/${stamp}-`)
  await expect(page.locator('cachework-devtools .cw-row[data-source="sw"]')).toHaveCount(3)
  const asked = () =>
    page.evaluate(
      () => (window as unknown as { cwSwAsked: Record<string, number> }).cwSwAsked['cachework:list'] ?? 0,
    )
  // A `set` event that reaches the panel after a list already showed its entry re-lists once
  // more (one re-list per change, 300 ms after it); on a loaded machine that can land after the
  // rows appear. So first wait until no list was asked for 1.5 s, which a poll once a second (the
  // old panel) never allows, then require that nothing asks for 3 s more.
  let last = -1
  await expect
    .poll(
      async () => {
        const n = await asked()
        const settled = n === last
        last = n
        return settled
      },
      { intervals: [1500], timeout: 15_000 },
    )
    .toBe(true)
  const before = last
  expect(before).toBeGreaterThan(0)
  await page.waitForTimeout(3000)
  expect(await asked()).toBe(before)
})

test('charts gain points after traffic; the page cache reports hits, misses, stores and why it did not store', async ({
  page,
}) => {
  await openPanel(page)
  await tab(page, 'caches').click()
  const card = page.locator('cachework-devtools .cw-card[data-source="page"][data-alias="default"]')
  const points = () => card.locator('svg').getAttribute('data-points').then(Number)
  const start = await points()
  for (let i = 0; i < 3; i++) {
    await page.evaluate(async () => {
      for (let j = 0; j < 20; j++) await window.cwFixture?.loc.get('page-a')
    })
    await page.waitForTimeout(1100)
  }
  await expect.poll(points).toBeGreaterThan(start)
  await expect(card.locator('[data-stat="hits"]')).not.toHaveText('1')
  // Page cache in the Vite process: a miss that stores, a hit, and a private response.
  await page.evaluate(async () => {
    // `reload`: past the browser's own HTTP cache, so the second request reaches the page cache.
    for (const u of ['/pages/chart', '/pages/chart', '/pages/private'])
      await (await fetch(u, { cache: 'reload' })).text()
  })
  const pc = page.locator('cachework-devtools .cw-card[data-page-cache="vite|vite"]')
  await expect(pc.locator('[data-stat="page-stored"]')).not.toHaveText('0')
  await expect(pc.locator('[data-stat="page-hits"]')).not.toHaveText('0')
  await expect(pc.locator('[data-reason="private"]')).toBeVisible()
})

test('an HTTP entry shows its status, freshness, headers and body preview (page cache and service worker)', async ({
  page,
}, testInfo) => {
  await openPanel(page)
  await page.evaluate(async () => {
    for (const u of ['/pages/article', '/pages/article']) await (await fetch(u, { cache: 'reload' })).text()
  })
  await filter(page, '/pages/article')
  const pageRow = page.locator('cachework-devtools .cw-row[data-source="vite"][data-url$="/pages/article"]')
  await expect(pageRow).toContainText('GET http://127.0.0.1:')
  await pageRow.click()
  const detail = page.locator('cachework-devtools .cw-detail')
  await expect(detail.locator('[data-part="status"]')).toContainText('HTTP 200')
  await expect(detail.locator('[data-part="freshness"]')).toContainText('fresh')
  await expect(detail.locator('[data-part="headers"]')).toContainText('text/html; charset=utf-8')
  await expect(detail.locator('[data-part="headers"]')).toContainText('max-age=600')
  await expect(detail.locator('[data-preview="html"]')).toContainText('<h1>cached page /pages/article</h1>')
  await shot(page, testInfo, 'http-entry')
  // The worker's stored JSON: headers and a JSON tree.
  await filter(page, '/api/data')
  await page.locator('cachework-devtools .cw-row[data-source="sw"]').first().click()
  await expect(detail.locator('[data-part="headers"]')).toContainText('application/json')
  await expect(detail.locator('[data-preview="json"]')).toContainText('from')
})

test('edit and touch change what get returns; copy key; the typed tree; the entry view closes when filtered out', async ({
  page,
  context,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'])
  // An earlier test clears the server's cache.
  await fx.serverCache.set('server-a', { from: 'node server' }, 600)
  await openPanel(page)
  await select(page, 'page', 'page-a')
  const detail = page.locator('cachework-devtools .cw-detail')
  await expect(detail.locator('.cw-tree')).toContainText('hello')
  await detail.locator('[data-action="copy"]').click()
  await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toBe('page-a')
  await detail.locator('[data-action="edit"]').click()
  await detail.locator('textarea').fill('{"hello":"edited","n":2}')
  await detail.locator('[data-action="save"]').click()
  await expect
    .poll(() => page.evaluate(() => window.cwFixture?.loc.get('page-a')))
    .toEqual({ hello: 'edited', n: 2 })
  const lifetime = detail.locator('input[aria-label="new lifetime in seconds"]')
  await lifetime.fill('7200')
  // A live update of the entry rebuilds the entry view: the lifetime being typed stays.
  const shown = await detail.getAttribute('data-shown')
  await page.evaluate(() => window.cwFixture?.loc.set('page-a', { hello: 'edited', n: 2 }, 900))
  await expect.poll(() => detail.getAttribute('data-shown')).toMatch(/^(?!$)/)
  await expect.poll(() => detail.getAttribute('data-shown')).not.toBe(shown)
  await expect(lifetime).toHaveValue('7200')
  await detail.locator('[data-action="touch"]').click()
  await expect
    .poll(() =>
      page.evaluate(async () => {
        for await (const e of window.cwFixture?.loc.entries() ?? [])
          if (e.key === 'page-a') return Math.round(((e.expiresAt ?? 0) - Date.now()) / 1000)
        return -1
      }),
    )
    .toBeGreaterThan(7000)
  // Server-side, behind the proxy and its token.
  await select(page, 'server', 'server-a')
  await detail.locator('[data-action="edit"]').click()
  await detail.locator('textarea').fill('{"from":"edited on the server"}')
  await detail.locator('[data-action="save"]').click()
  await expect.poll(() => fx.serverCache.get('server-a')).toEqual({ from: 'edited on the server' })
  await detail.locator('[data-action="touch"]').click()
  await expect(row(page, 'server', 'server-a').locator('[data-col="expires"]')).toHaveText(/^[45]m \d\ds$/)
  // A value JSON would change (a bigint inside) is shown typed, and not editable.
  await select(page, 'vite', 'vite-a')
  await expect(detail.locator('.cw-tree')).toContainText('3n')
  await expect(detail.locator('[data-action="edit"]')).toBeDisabled()
  // The entry view closes when a filter hides its row.
  await filter(page, 'no-such-entry')
  await expect(detail).toBeHidden()
})

test('entries show their stampede state (fresh with a soft expiry, stale, refreshing, leased and who holds it), live, at every viewport', async ({
  page,
}, testInfo) => {
  const c = fx.viteCache
  const opts = { staleWhileRevalidate: 600 }
  await c.getOrSet('st-fresh', () => 'fresh value', 600, opts)
  await c.set('st-stale', 'stale value', 600)
  await c.expire('st-stale')
  await c.set('st-refreshing', 'old value', 600)
  await c.expire('st-refreshing')
  let refreshDone = (_v: string): void => {}
  const refreshed = new Promise<string>((r) => {
    refreshDone = r
  })
  // Stale under staleWhileRevalidate: the old value at once, while one refresh runs in the background.
  expect(await c.getOrSet('st-refreshing', () => refreshed, 600, opts)).toBe('old value')
  // A cold key under a distributed lock: the computing caller holds a lease item.
  let leaseDone = (_v: string): void => {}
  let started = (): void => {}
  const running = new Promise<void>((r) => {
    started = r
  })
  const computing = c.getOrSet(
    'st-leased',
    () => {
      started()
      return new Promise<string>((r) => {
        leaseDone = r
      })
    },
    600,
    { lock: 'distributed', lockTimeoutMs: 60_000 },
  )
  try {
    await running
    // What the cache itself reports for these keys (EntryInfo.state, leaseHolder).
    const truth = new Map<string, { state?: string; holder?: string }>()
    for await (const e of c.entries({ prefix: 'st-' }))
      truth.set(`${e.key}${e.state === 'leased' ? ' (lease)' : ''}`, {
        state: e.state,
        holder: e.leaseHolder,
      })
    expect([...truth.entries()].map(([k, v]) => `${k}=${v.state}`).sort()).toEqual([
      'st-fresh=fresh',
      'st-leased (lease)=leased',
      'st-refreshing=refreshing',
      'st-stale=stale',
    ])
    await openPanel(page)
    await page.locator('cachework-devtools [data-action="refresh"]').click()
    await filter(page, 'st-')
    const stateOf = (key: string, state: string) =>
      page.locator(`cachework-devtools .cw-row[data-source="vite"][data-key="${key}"][data-state="${state}"]`)
    const ttl = (key: string, state: string) => stateOf(key, state).locator('[data-col="expires"]')
    // The fresh entry counts down its fresh life (10 min), not its physical one (20 min).
    await expect(ttl('st-fresh', 'fresh')).toHaveText(/^(9m|10m) \d\ds$/)
    await expect(ttl('st-fresh', 'fresh')).toHaveAttribute('title', /then served stale/)
    await expect(ttl('st-stale', 'stale')).toHaveText(/^stale \d+m \d\ds$/)
    await expect(ttl('st-refreshing', 'refreshing')).toHaveText('refreshing')
    await expect(ttl('st-leased', 'leased')).toHaveText(/^leased \d+s$/)
    await expect(page.locator('cachework-devtools .cw-row[data-source="vite"][data-key^="st-"]')).toHaveCount(
      4,
    )
    // The lease row: who holds it, and no entry actions on it.
    const holder = truth.get('st-leased (lease)')?.holder as string
    expect(holder).toMatch(/^pid\d+-/)
    await expect(stateOf('st-leased', 'leased')).toContainText(`lease held by ${holder}`)
    await stateOf('st-leased', 'leased').click()
    const detail = page.locator('cachework-devtools .cw-detail')
    await expect(detail.locator('[data-part="state"]')).toHaveAttribute('data-holder', holder)
    await expect(detail.locator('[data-part="state"]')).toContainText('leased')
    await expect(detail.locator('[data-action="delete"]')).toBeDisabled()
    for (const [width, height] of [
      [1280, 720],
      [1920, 1080],
      [390, 844],
    ] as const) {
      await page.setViewportSize({ width, height })
      await expect(detail).toBeVisible()
      expect(await layoutProblems(page), `stampede states at ${width}×${height}`).toEqual([])
      await shot(page, testInfo, `states-${width}x${height}`)
    }
    await page.setViewportSize({ width: 1280, height: 720 })
    // Live: the refresh finishes (a set event) and the row turns fresh; the lease goes with its computation.
    refreshDone('new value')
    await expect(stateOf('st-refreshing', 'fresh')).toBeVisible()
    leaseDone('computed')
    expect(await computing).toBe('computed')
    await expect(stateOf('st-leased', 'fresh')).toBeVisible()
    await expect(stateOf('st-leased', 'leased')).toHaveCount(0)
    // A stale read under staleWhileRevalidate: `stale` and `refresh` reach the timeline, the row turns fresh.
    expect(await c.getOrSet('st-stale', async () => 'renewed', 600, opts)).toBe('stale value')
    await expect(stateOf('st-stale', 'fresh')).toBeVisible()
    await tab(page, 'timeline').click()
    const tl = (type: string) =>
      page.locator(
        `cachework-devtools .cw-tl-row[data-source="vite"][data-type="${type}"][data-key="st-stale"]`,
      )
    await expect(tl('stale')).toBeAttached()
    await expect(tl('refresh')).toBeAttached()
  } finally {
    refreshDone('new value')
    leaseDone('computed')
    await computing.catch(() => undefined)
  }
})

test('the same panel renders inside TanStack Devtools', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 900 })
  await page.goto(`${fx.url}/shells.html`)
  await page.waitForFunction(() => window.cwShells?.ready === true, undefined, { timeout: 90_000 })
  // TanStack Devtools: the real shell, with cachework as its plugin.
  const inTanStack = page.locator(
    '[id^="plugin-container"] cachework-devtools[data-shell="tanstack"] .cw-panel[data-embedded]',
  )
  await expect(inTanStack).toBeVisible()
  await inTanStack.locator('input[aria-label="filter"]').fill('vite-a')
  await expect(inTanStack.locator('.cw-row[data-source="vite"][data-key="vite-a"]')).toBeVisible({
    timeout: 45_000,
  })
  await inTanStack.locator('input[aria-label="filter"]').fill('server-a')
  await expect(inTanStack.locator('.cw-row[data-source="server"][data-key="server-a"]')).toBeVisible()
  const path = testInfo.outputPath('tanstack.png')
  await page.screenshot({ path })
  await testInfo.attach('tanstack', { path, contentType: 'image/png' })
})

test("the cachework dock renders inside the real Vite DevTools shell (@vitejs/devtools), listing the caches' entries", async ({
  page,
}, testInfo) => {
  // Its own Vite server: the shell injects its dock into every page it serves.
  const shell = await startDevtoolsFixture({ viteDevtools: true })
  try {
    await shell.viteCache.set('in-vite-shell', { shown: 'in the Vite DevTools dock' }, 600)
    await page.setViewportSize({ width: 1280, height: 800 })
    await page.goto(`${shell.url}/shells.html?tanstack=0`)
    // The shell's own dock (devframes' <devframes-dock-embedded>), with the entry our plugin registered.
    const button = page.locator('devframes-dock-embedded button[aria-label="cachework"]')
    await expect(button).toBeAttached({ timeout: 90_000 })
    // The collapsed dock expands under the pointer.
    await page.locator('devframes-dock-embedded #devframes-dock-container').hover()
    await button.click()
    const panel = page.locator(
      'devframes-dock-embedded [data-iframe-pane="cachework"] cachework-devtools[data-shell="vite-devtools"] .cw-panel[data-embedded]',
    )
    await expect(panel).toBeVisible()
    // It fills the shell's pane (no dock size of its own).
    const pane = page.locator('devframes-dock-embedded [data-iframe-pane="cachework"]')
    const heights = async () => [(await panel.boundingBox())?.height, (await pane.boundingBox())?.height]
    await expect
      .poll(async () => {
        const [a, b] = await heights()
        return a !== undefined && b !== undefined && b > 100 && Math.abs(a - b) <= 2
      })
      .toBe(true)
    // Exactly the Vite process's entries, as its cache lists them, plus the separate server's.
    const keys: string[] = []
    for await (const e of shell.viteCache.entries()) keys.push(e.key ?? e.rawKey)
    expect(keys).toContain('in-vite-shell')
    await panel.locator('input[aria-label="filter"]').fill('')
    const viteRows = panel.locator('.cw-row[data-source="vite"]')
    await expect(viteRows).toHaveCount(keys.length, { timeout: 45_000 })
    expect((await viteRows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-key')))).sort()).toEqual(
      keys.sort(),
    )
    await expect(panel.locator('.cw-row[data-source="server"][data-key="server-a"]')).toBeVisible()
    await panel.locator('input[aria-label="filter"]').fill('in-vite-shell')
    await panel.locator('.cw-row[data-source="vite"][data-key="in-vite-shell"]').click()
    await expect(panel.locator('.cw-detail .cw-tree')).toContainText('in the Vite DevTools dock')
    await panel.locator('input[aria-label="filter"]').fill('')
    const path = testInfo.outputPath('vite-devtools-shell.png')
    await page.screenshot({ path })
    await testInfo.attach('vite-devtools-shell', { path, contentType: 'image/png' })
  } finally {
    await shell.close()
  }
})
