/**
 * The service-worker response cache in real Chromium: every case is checked at the origin (its
 * per-path hit counter, read from `/__count`) and at the page (the worker's status header,
 * `Age`, the body, `response.fromServiceWorker()`).
 */
import { type Page, expect, test } from '@playwright/test'
import { startSwFixture } from '../fixtures/sw/fixture.ts'
import type { Count, Origin, RouteSpec } from '../fixtures/sw/origin.ts'

let origin: Origin

test.beforeAll(async () => {
  origin = await startSwFixture()
})
test.afterAll(async () => {
  await origin?.close()
})

let seq = 0
/** A fresh API path on the origin answering with `spec`. */
function route(spec: RouteSpec, prefix = '/api/'): string {
  const path = `${prefix}r${Date.now().toString(36)}${(seq++).toString(36)}`
  origin.routes.set(path, spec)
  return path
}

async function count(path: string): Promise<Count> {
  const r = await fetch(`${origin.url}/__count?path=${encodeURIComponent(path)}`)
  return (await r.json()) as Count
}

/** Open the fixture page and wait until the worker controls it. */
async function open(page: Page): Promise<void> {
  await page.goto(`${origin.url}/`)
  expect(await page.evaluate(() => window.cwReady)).toBe(true)
}

interface Got {
  status: number
  body: string
  headers: Record<string, string>
}

/** `fetch` from the page (so through the worker). */
function get(
  page: Page,
  path: string,
  init: { headers?: Record<string, string>; method?: string } = {},
): Promise<Got> {
  return page.evaluate(
    async ([p, i]) => {
      const r = await fetch(p, i)
      return { status: r.status, body: await r.text(), headers: Object.fromEntries(r.headers) }
    },
    [path, init] as const,
  )
}

test('a fresh response is served by the worker without reaching the origin, with Age', async ({ page }) => {
  await open(page)
  const path = route({ headers: { 'cache-control': 'max-age=600' } })
  const first = await get(page, path)
  expect(first.body).toBe(`body of ${path} #1`)
  expect(first.headers['x-cachework-sw']).toBe('miss')
  const second = await get(page, path)
  expect(second.body).toBe(`body of ${path} #1`)
  expect(second.headers['x-cachework-sw']).toBe('hit')
  expect(Number(second.headers.age)).toBeGreaterThanOrEqual(0)
  expect((await count(path)).hits).toBe(1)

  // A navigation: the Playwright response says it came from the worker, the origin saw it once.
  const pagePath = route(
    { headers: { 'cache-control': 'max-age=600', 'content-type': 'text/html' } },
    '/pages/',
  )
  const nav1 = await page.goto(`${origin.url}${pagePath}`)
  expect(nav1?.fromServiceWorker()).toBe(true)
  const nav2 = await page.goto(`${origin.url}${pagePath}`)
  expect(nav2?.fromServiceWorker()).toBe(true)
  expect(await nav2?.headerValue('x-cachework-sw')).toBe('hit')
  expect((await count(pagePath)).hits).toBe(1)
})

test('no-store always reaches the origin and is never stored', async ({ page }) => {
  await open(page)
  const path = route({ headers: { 'cache-control': 'no-store, max-age=600' } })
  for (let i = 1; i <= 3; i++) expect((await get(page, path)).body).toBe(`body of ${path} #${i}`)
  expect((await count(path)).hits).toBe(3)
  // A request no-store bypasses a stored response too.
  const stored = route({ headers: { 'cache-control': 'max-age=600' } })
  await get(page, stored)
  await get(page, stored, { headers: { 'cache-control': 'no-store' } })
  expect((await count(stored)).hits).toBe(2)
  expect((await page.evaluate(() => window.cw?.list()))?.some((e) => e.url.endsWith(path))).toBe(false)
})

test('a stale entry is revalidated with If-None-Match; the 304 freshens it and the body is served', async ({
  page,
}) => {
  await open(page)
  const spec: RouteSpec = { headers: { 'cache-control': 'max-age=0' }, etag: '"v1"' }
  const path = route(spec)
  expect((await get(page, path)).body).toBe(`body of ${path} #1`)
  const again = await get(page, path)
  expect(again.status).toBe(200)
  expect(again.body).toBe(`body of ${path} #1`)
  expect(again.headers['x-cachework-sw']).toBe('revalidated')
  let c = await count(path)
  expect(c.hits).toBe(2)
  expect(c.notModified).toBe(1)
  expect(c.lastConditional).toBe('"v1"')

  // The 304's Cache-Control replaces the stored one (RFC 9111 §4.3.4): now fresh for 10 minutes.
  spec.headers = { 'cache-control': 'max-age=600' }
  expect((await get(page, path)).headers['x-cachework-sw']).toBe('revalidated')
  expect((await get(page, path)).headers['x-cachework-sw']).toBe('hit')
  c = await count(path)
  expect(c.hits).toBe(3)
  expect(c.notModified).toBe(2)
})

test('no-cache and Last-Modified revalidate with If-Modified-Since', async ({ page }) => {
  await open(page)
  const lastModified = new Date(Date.now() - 3_600_000).toUTCString()
  const path = route({ headers: { 'cache-control': 'no-cache' }, lastModified })
  await get(page, path)
  const again = await get(page, path)
  expect(again.body).toBe(`body of ${path} #1`)
  const c = await count(path)
  expect(c.hits).toBe(2)
  expect(c.notModified).toBe(1)
  expect(c.lastConditional).toBe(lastModified)
})

test('Vary: Accept-Language keeps two languages apart', async ({ page }) => {
  await open(page)
  const path = route({
    headers: { 'cache-control': 'max-age=600', vary: 'Accept-Language' },
    body: (req, n) => `${req.headers['accept-language']} #${n}`,
  })
  const en = { headers: { 'accept-language': 'en' } }
  const fr = { headers: { 'accept-language': 'fr' } }
  expect((await get(page, path, en)).body).toBe('en #1')
  expect((await get(page, path, fr)).body).toBe('fr #2')
  expect((await get(page, path, en)).body).toBe('en #1')
  const frAgain = await get(page, path, fr)
  expect(frAgain.body).toBe('fr #2')
  expect(frAgain.headers['x-cachework-sw']).toBe('hit')
  expect((await count(path)).hits).toBe(2)
  const variants = (await page.evaluate(() => window.cw?.list()))?.filter((e) => e.url.endsWith(path))
  expect(variants?.map((v) => v.variant).sort()).toEqual(['accept-language=en', 'accept-language=fr'])
})

test('stale-while-revalidate answers with the stale body and refreshes in the background', async ({
  page,
}) => {
  await open(page)
  const path = route({ headers: { 'cache-control': 'max-age=0, stale-while-revalidate=600' } })
  expect((await get(page, path)).body).toBe(`body of ${path} #1`)
  const stale = await get(page, path)
  expect(stale.body).toBe(`body of ${path} #1`)
  expect(stale.headers['x-cachework-sw']).toBe('stale')
  await expect.poll(async () => (await count(path)).hits).toBe(2)
  // The background refresh stored #2, which the next request gets (stale again, refreshed again).
  await expect.poll(async () => (await get(page, path)).body).toBe(`body of ${path} #2`)
})

test('stale-if-error serves the stale entry when the origin answers 500 or is down', async ({ page }) => {
  await open(page)
  const spec: RouteSpec = { headers: { 'cache-control': 'max-age=0, stale-if-error=600' } }
  const path = route(spec)
  await get(page, path)
  spec.status = 500
  const on500 = await get(page, path)
  expect(on500.status).toBe(200)
  expect(on500.body).toBe(`body of ${path} #1`)
  expect(on500.headers['x-cachework-sw']).toBe('stale-if-error')
  spec.fail = true
  const down = await get(page, path)
  expect(down.body).toBe(`body of ${path} #1`)
  expect(down.headers['x-cachework-sw']).toBe('stale-if-error')
  // Chromium retries a GET once when a kept-alive connection is dropped, so the origin may count 4.
  expect((await count(path)).hits).toBeGreaterThanOrEqual(3)

  // must-revalidate forbids it: the 500 goes through.
  const strictSpec: RouteSpec = {
    headers: { 'cache-control': 'max-age=0, must-revalidate, stale-if-error=600' },
  }
  const strict = route(strictSpec)
  await get(page, strict)
  strictSpec.status = 500
  expect((await get(page, strict)).status).toBe(500)
})

test('with the network cut, cached pages still load', async ({ page, context }) => {
  await open(page)
  const html = '<!doctype html><title>offline page</title><p id="p">cached page</p>'
  const pagePath = route(
    { headers: { 'cache-control': 'max-age=600', 'content-type': 'text/html' }, body: html },
    '/pages/',
  )
  const staleSpec: RouteSpec = {
    headers: { 'cache-control': 'max-age=0', 'content-type': 'text/html' },
    body: '<!doctype html><p id="p">stale page</p>',
  }
  const stalePath = route(staleSpec, '/pages/')
  await page.goto(`${origin.url}${pagePath}`)
  await page.goto(`${origin.url}${stalePath}`)
  await context.setOffline(true)
  try {
    // The origin is unreachable for the stale page too (Playwright's offline mode does not cover
    // a worker's own fetches, so the origin drops the connection as well).
    staleSpec.fail = true
    const nav = await page.goto(`${origin.url}${pagePath}`)
    expect(nav?.fromServiceWorker()).toBe(true)
    await expect(page.locator('#p')).toHaveText('cached page')
    await page.goto(`${origin.url}${stalePath}`)
    await expect(page.locator('#p')).toHaveText('stale page')
  } finally {
    await context.setOffline(false)
  }
  expect((await count(pagePath)).hits).toBe(1)
})

test('entries survive a worker restart (state lives in IndexedDB)', async ({ page }) => {
  await open(page)
  const path = route({ headers: { 'cache-control': 'max-age=600' } })
  await get(page, path)
  const bootBefore = (await get(page, '/__boot')).body
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('ServiceWorker.enable')
  await cdp.send('ServiceWorker.stopAllWorkers')
  // The next fetch starts a new worker instance (a new boot id) that finds the entry on disk.
  await expect.poll(async () => (await get(page, '/__boot')).body).not.toBe(bootBefore)
  const after = await get(page, path)
  expect(after.body).toBe(`body of ${path} #1`)
  expect(after.headers['x-cachework-sw']).toBe('hit')
  expect((await count(path)).hits).toBe(1)
})

test('an unsafe method passes through and invalidates the URL (RFC 9111 §4.4)', async ({ page }) => {
  await open(page)
  const path = route({ headers: { 'cache-control': 'max-age=600' } })
  await get(page, path)
  await get(page, path)
  expect((await count(path)).hits).toBe(1)
  const posted = await get(page, path, { method: 'POST' })
  expect(posted.headers['x-cachework-sw']).toBeUndefined()
  expect((await get(page, path)).headers['x-cachework-sw']).toBe('miss')
  expect((await get(page, path)).headers['x-cachework-sw']).toBe('hit')
  const c = await count(path)
  expect(c.byMethod.POST).toBe(1)
  expect(c.byMethod.GET).toBe(2)
})

test('a hard reload (uncontrolled page) is claimed again by registerResponseCache', async ({ page }) => {
  await open(page)
  const cdp = await page.context().newCDPSession(page)
  const loaded = page.waitForEvent('load')
  await cdp.send('Page.reload', { ignoreCache: true })
  await loaded
  expect(await page.evaluate(() => window.cwReady)).toBe(true)
  const path = route({ headers: { 'cache-control': 'max-age=600' } })
  await get(page, path)
  expect((await get(page, path)).headers['x-cachework-sw']).toBe('hit')
})

test('the message protocol lists, deletes and clears entries', async ({ page }) => {
  await open(page)
  const a = route({ headers: { 'cache-control': 'max-age=600', 'content-type': 'text/plain' }, body: 'abc' })
  const b = route({ headers: { 'cache-control': 'max-age=600' } })
  await get(page, a)
  await get(page, b)
  const list = (await page.evaluate(() => window.cw?.list())) ?? []
  const ea = list.find((e) => e.url === `${origin.url}${a}`)
  expect(ea).toMatchObject({ status: 200, size: 3, variant: '' })
  expect(ea?.expires).toBeGreaterThan(ea?.storedAt ?? 0)
  const value = await page.evaluate((k) => window.cw?.value(k), ea?.key ?? '')
  expect(value).toMatchObject({ status: 200, text: 'abc', size: 3 })
  expect(value?.headers).toContainEqual(['content-type', 'text/plain'])
  const stats = await page.evaluate(() => window.cw?.stats())
  expect(stats?.miss).toBeGreaterThanOrEqual(2)
  expect(await page.evaluate((k) => window.cw?.delete(k), ea?.key ?? '')).toBe(1)
  await get(page, a)
  expect((await count(a)).hits).toBe(2)
  expect(await page.evaluate(() => window.cw?.clear())).toBeGreaterThanOrEqual(4)
  expect(await page.evaluate(() => window.cw?.list())).toEqual([])
  await get(page, b)
  expect((await count(b)).hits).toBe(2)
})
