/**
 * Two tabs of one origin sharing the browser backends (docs/contract.md §5, rules 7, 9 and 15): `incr`
 * from both loses nothing, `getOrSet` runs its factory once across tabs (Web Locks), and a real
 * `QuotaExceededError` becomes a refused write. The tabs load the package source
 * from a Vite dev server started here (tab-origin.ts).
 */
import { type Browser, type BrowserContext, type Page, expect, test } from '@playwright/test'
import { startTabOrigin, type TabOrigin } from './tab-origin.ts'

let origin: TabOrigin
/** Two tabs of one origin, shared by the tests (each test uses its own database). */
let shared: { context: BrowserContext; one: Page; two: Page }

test.beforeAll(async ({ browser }) => {
  origin = await startTabOrigin({
    name: 'browser-tabs',
    path: '/tabs',
    title: 'cachework tabs',
    deps: ['idb', 'localforage', 'devalue'],
  })
  const context = await browser.newContext()
  const [one, two] = await Promise.all([openTab(context), openTab(context)])
  shared = { context, one, two }
})

test.afterAll(async () => {
  await shared?.context.close()
  await origin?.close()
})

/** Open a page of the origin with the browser backends loaded as `window.cw`. */
async function openTab(opener: Browser | BrowserContext | { newPage(): Promise<Page> }): Promise<Page> {
  const page = await opener.newPage()
  await page.goto(`${origin.base}/tabs`)
  await page.evaluate(async () => {
    const idb = '/packages/browser/src/indexeddb.ts'
    const lf = '/packages/browser/src/localforage.ts'
    const [a, b] = await Promise.all([import(idb), import(lf)])
    ;(window as unknown as { cw: unknown }).cw = { ...a, ...b }
  })
  return page
}

type Backend = 'IndexedDBCache' | 'LocalForageCache'

/** The slice of the `Cache` interface the pages use (types only: evaluate bodies run in the page). */
interface PageCache {
  set(k: string, v: unknown): Promise<boolean>
  get(k: string): Promise<unknown>
  has(k: string): Promise<boolean>
  incr(k: string): Promise<number>
  getOrSet<T>(k: string, f: () => Promise<T>): Promise<T>
  on(type: string, f: (e: unknown) => void): () => void
}
type PageBackends = { cw: Record<Backend, new (init: object) => PageCache> }

for (const [backend, n] of [
  ['IndexedDBCache', 1000],
  ['LocalForageCache', 500],
] as Array<[Backend, number]>) {
  test(`${backend}: two tabs doing ${n} incr each on one key lose nothing`, async () => {
    const { one, two } = shared
    const db = `tabs-incr-${backend}-${Date.now()}`
    await one.evaluate(
      async ([cls, db]) => {
        const { cw } = window as unknown as PageBackends
        await new cw[cls]({ location: db }).set('hits', 0)
      },
      [backend, db] as const,
    )
    const run = (page: Page) =>
      page.evaluate(
        async ([cls, db, n]) => {
          const { cw } = window as unknown as PageBackends
          const c = new cw[cls]({ location: db, options: { timeoutMs: 30_000 } })
          await Promise.all(Array.from({ length: n }, () => c.incr('hits')))
        },
        [backend, db, n] as const,
      )
    await Promise.all([run(one), run(two)])
    const total = await two.evaluate(
      async ([cls, db]) => {
        const { cw } = window as unknown as PageBackends
        return new cw[cls]({ location: db }).get('hits')
      },
      [backend, db] as const,
    )
    expect(total).toBe(2 * n)
  })
}

test('IndexedDBCache: getOrSet runs the factory once across two tabs', async () => {
  const { one, two } = shared
  const db = `tabs-gos-${Date.now()}`
  // Both tabs start at the same instant, so both miss before either has stored anything.
  const startAt = Date.now() + 1000
  const run = (page: Page, tab: string) =>
    page.evaluate(
      async ([db, startAt, tab]) => {
        const { cw } = window as unknown as PageBackends
        const c = new cw.IndexedDBCache({ location: db, options: { timeoutMs: 30_000 } })
        await c.has('warm-up')
        await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())))
        let ran = 0
        const value = await c.getOrSet('report', async () => {
          ran++
          await new Promise((r) => setTimeout(r, 500))
          return `computed by ${tab}`
        })
        return { ran, value }
      },
      [db, startAt, tab] as const,
    )
  const [a, b] = await Promise.all([run(one, 'one'), run(two, 'two')])
  expect(a.ran + b.ran).toBe(1)
  expect(a.value).toBe(b.value)
})

test('IndexedDBCache: a real QuotaExceededError is an error event and a refused write', async ({
  browser,
}) => {
  // A fresh context whose quota is lowered through DevTools before IndexedDB is first used
  // (Chromium applies the override when the origin's storage opens).
  const context = await browser.newContext()
  const page = await context.newPage()
  await page.goto(`${origin.base}/tabs`)
  const cdp = await context.newCDPSession(page)
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: origin.base, quotaSize: 512 * 1024 })
  const tab = await openTab({ newPage: async () => page })
  const out = await tab.evaluate(async () => {
    const { cw } = window as unknown as PageBackends
    const c = new cw.IndexedDBCache({ location: 'quota', options: { timeoutMs: 10_000 } })
    const quiet = new cw.IndexedDBCache({
      location: 'quota',
      options: { timeoutMs: 10_000, ignoreErrors: true },
    })
    let errors = 0
    c.on('error', () => errors++)
    let unhandled = 0
    window.addEventListener('unhandledrejection', () => unhandled++)
    await c.set('small', 1)
    const big = new Uint8Array(4 * 1024 * 1024).fill(7)
    const e = (await c.set('big', big).catch((x: unknown) => x)) as Error & { code?: string; cause?: Error }
    const quietResult = await quiet.set('big', big)
    await new Promise((r) => setTimeout(r, 200))
    return {
      name: e?.name,
      code: e?.code,
      message: e?.message,
      cause: e?.cause?.name,
      quietResult,
      errors,
      unhandled,
      hasBig: await c.has('big'),
      small: await c.get('small'),
    }
  })
  expect(out.name).toBe('CacheUnavailableError')
  expect(out.code).toBe('ERR_CACHE_UNAVAILABLE')
  expect(out.cause).toBe('QuotaExceededError')
  expect(out.message).toMatch(/quota is full/)
  expect(out.quietResult).toBe(false)
  expect(out.errors).toBe(1)
  expect(out.unhandled).toBe(0)
  expect(out.hasBig).toBe(false)
  expect(out.small).toBe(1)
  await context.close()
})
