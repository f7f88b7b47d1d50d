/**
 * Two tabs of one origin, each with `tiered(locmem, indexeddb)` and the BroadcastChannel bus
 * (docs/contract.md rule 18): tab A's set, delete, tag invalidation and tag expiry reach tab B,
 * whose L1 copy would otherwise be served for an hour (its cap); a third tab without a bus
 * shows that it would. Counted, not timed: B's reads are polled a bounded number of times, and
 * the bus messages B received and its L1 hits are read from `stats()`. Also: a tagged
 * `getOrSet` on IndexedDB keeps the cross-tab single flight an untagged one has.
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test'
import { startTabOrigin, type TabOrigin } from './tab-origin.ts'

let origin: TabOrigin
let context: BrowserContext

test.beforeAll(async ({ browser }) => {
  origin = await startTabOrigin({
    name: 'tiered-tabs',
    path: '/tiered-tabs',
    title: 'cachework tiered tabs',
    deps: ['idb', 'devalue'],
  })
  context = await browser.newContext()
})

test.afterAll(async () => {
  await context?.close()
  await origin?.close()
})

/** The slice of a tiered cache the pages use (types only: evaluate bodies run in the page). */
interface PageTiered {
  set(k: string, v: unknown, t?: number, o?: object): Promise<boolean>
  get(k: string): Promise<unknown>
  delete(k: string): Promise<boolean>
  invalidateTags(tags: string[]): Promise<void>
  expireTags(tags: string[]): Promise<void>
  stats(): { tiers: Array<{ hits: number }>; bus: { received: number } }
}
type PageWindow = { tiered: PageTiered }

/** A tab whose `window.tiered` is tiered(locmem with a 1 h cap, indexeddb `db`), on `channel` or no bus. */
async function openTab(db: string, channel: string | undefined): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${origin.base}/tiered-tabs`)
  await page.evaluate(
    async ([db, channel]) => {
      const core = await import('/packages/core/src/index.ts' as string)
      const { IndexedDBCache } = await import('/packages/browser/src/indexeddb.ts' as string)
      ;(window as unknown as PageWindow).tiered = new core.TieredCache({
        options: {
          tiers: [
            new core.LocMemCache({ location: `l1-${Math.random()}`, timeout: 3600 }),
            new IndexedDBCache({ location: db, options: { timeoutMs: 30_000 } }),
          ],
          bus: channel === undefined ? false : new core.BroadcastChannelBus(channel),
        },
      })
    },
    [db, channel] as const,
  )
  return page
}

const get = (p: Page, k: string) => p.evaluate((k) => (window as unknown as PageWindow).tiered.get(k), k)
const stats = (p: Page) => p.evaluate(() => (window as unknown as PageWindow).tiered.stats())

/** Read `k` in `page` until it gives `want`: how many reads that took (at most 200, 10 ms apart). */
async function readsUntil(page: Page, k: string, want: unknown): Promise<number> {
  return page.evaluate(
    async ([k, want]) => {
      const t = (window as unknown as PageWindow).tiered
      for (let n = 1; n <= 200; n++) {
        if ((await t.get(k)) === want) return n
        await new Promise((r) => setTimeout(r, 10))
      }
      return Number.POSITIVE_INFINITY
    },
    [k, want] as const,
  )
}

test('tiered(locmem, indexeddb): tab A’s writes reach tab B’s L1 over BroadcastChannel before it would expire', async () => {
  const db = `tiered-tabs-${Date.now()}`
  const channel = `cachework:tiered:${db}`
  const [a, b, lone] = await Promise.all([openTab(db, channel), openTab(db, channel), openTab(db, undefined)])
  const A = <T>(f: (t: PageTiered) => Promise<T>) =>
    a.evaluate(`(${f.toString()})(window.tiered)`) as Promise<T>

  await A((t) => t.set('k', 'v1'))
  await A((t) => t.set('tagged', 'tv1', undefined, { tags: ['article'] }))
  await A((t) => t.set('soft', 'sv1', undefined, { tags: ['list'] }))
  // B and the bus-less tab copy each entry into their L1 (1 h cap); a second read is an L1 hit.
  for (const p of [b, lone]) {
    expect(await get(p, 'k')).toBe('v1')
    expect(await get(p, 'tagged')).toBe('tv1')
    expect(await get(p, 'soft')).toBe('sv1')
    expect(await get(p, 'k')).toBe('v1')
    expect((await stats(p)).tiers[0]?.hits).toBeGreaterThanOrEqual(1)
  }
  const receivedBefore = (await stats(b)).bus.received

  // A set: B sees the new value.
  await A((t) => t.set('k', 'v2'))
  expect(await readsUntil(b, 'k', 'v2')).toBeLessThanOrEqual(200)
  // A delete: B misses.
  await A((t) => t.delete('k'))
  expect(await readsUntil(b, 'k', undefined)).toBeLessThanOrEqual(200)
  // A tag invalidation (its counter's key travels on the bus): B misses.
  await A((t) => t.invalidateTags(['article']))
  expect(await readsUntil(b, 'tagged', undefined)).toBeLessThanOrEqual(200)
  // A tag expiry: the entry is stale, so B's get misses too.
  await A((t) => t.expireTags(['list']))
  expect(await readsUntil(b, 'soft', undefined)).toBeLessThanOrEqual(200)
  expect((await stats(b)).bus.received - receivedBefore).toBeGreaterThanOrEqual(4)

  // The tab without a bus still serves its L1 copies: what B would have done without the bus.
  expect(await get(lone, 'k')).toBe('v1')
  expect(await get(lone, 'tagged')).toBe('tv1')
  expect(await get(lone, 'soft')).toBe('sv1')
  await Promise.all([a.close(), b.close(), lone.close()])
})

test('IndexedDBCache: a tagged getOrSet runs its factory once across two tabs, and its tags still work', async () => {
  const db = `tagged-flight-${Date.now()}`
  const [one, two] = await Promise.all([openTab(db, undefined), openTab(db, undefined)])
  // Both tabs start at the same instant, so both miss before either has stored anything.
  const startAt = Date.now() + 1000
  const run = (page: Page, tab: string) =>
    page.evaluate(
      async ([db, startAt, tab]) => {
        const { IndexedDBCache } = await import('/packages/browser/src/indexeddb.ts' as string)
        const c = new IndexedDBCache({ location: db, options: { timeoutMs: 30_000 } })
        await c.has('warm-up')
        await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())))
        let ran = 0
        const value = await c.getOrSet(
          'report',
          async () => {
            ran++
            await new Promise((r) => setTimeout(r, 500))
            return `computed by ${tab}`
          },
          undefined,
          { tags: ['reports'] },
        )
        return { ran, value }
      },
      [db, startAt, tab] as const,
    )
  const [a, b] = await Promise.all([run(one, 'one'), run(two, 'two')])
  expect(a.ran + b.ran).toBe(1)
  expect(a.value).toBe(b.value)
  const afterInvalidation = await two.evaluate(async (db) => {
    const { IndexedDBCache } = await import('/packages/browser/src/indexeddb.ts' as string)
    const c = new IndexedDBCache({ location: db })
    await c.invalidateTags(['reports'])
    return c.get('report', 'gone')
  }, db)
  expect(afterInvalidation).toBe('gone')
  await Promise.all([one.close(), two.close()])
})
