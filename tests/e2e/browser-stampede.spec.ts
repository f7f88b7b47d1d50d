/**
 * Stampede protection across tabs (docs/contract.md rule 16): `getOrSet(…, { lock: 'distributed' })`
 * on the `indexeddb` and `localforage` backends takes its lease from Web Locks, so three tabs of one origin with 20
 * concurrent callers each run the factory once in total; and when the tab holding the lease goes
 * away mid-compute, the browser frees the lock and exactly one other tab computes. Factory runs
 * are counted in the tabs AND in a separate IndexedDB database (one readwrite transaction per
 * run, so no run is lost), which the test reads at the end. The tabs load the
 * package source from a Vite dev server started here (tab-origin.ts).
 */
import { type BrowserContext, type Page, expect, test } from '@playwright/test'
import { startTabOrigin, type TabOrigin } from './tab-origin.ts'

let origin: TabOrigin
let context: BrowserContext

test.beforeAll(async ({ browser }) => {
  origin = await startTabOrigin({
    name: 'browser-stampede',
    path: '/stampede',
    title: 'cachework stampede',
    deps: ['idb', 'localforage', 'devalue'],
  })
  context = await browser.newContext()
})

test.afterAll(async () => {
  await context?.close()
  await origin?.close()
})

/**
 * A tab of the origin with the browser backends loaded as `window.cw`, and `window.countRun(db)`:
 * one factory run recorded in the IndexedDB database `db` (store `runs`, key `n`).
 */
async function openTab(): Promise<Page> {
  const page = await context.newPage()
  await page.goto(`${origin.base}/stampede`)
  await page.evaluate(async () => {
    const w = window as unknown as Record<string, unknown>
    const idb = '/packages/browser/src/indexeddb.ts'
    const lf = '/packages/browser/src/localforage.ts'
    const [a, b] = await Promise.all([import(idb), import(lf)])
    w.cw = { ...a, ...b }
    const open = (name: string) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const r = indexedDB.open(name, 1)
        r.onupgradeneeded = () => r.result.createObjectStore('runs')
        r.onsuccess = () => resolve(r.result)
        r.onerror = () => reject(r.error)
      })
    w.countRun = async (name: string) => {
      const db = await open(name)
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('runs', 'readwrite')
        const s = tx.objectStore('runs')
        const g = s.get('n')
        g.onsuccess = () => s.put(((g.result as number | undefined) ?? 0) + 1, 'n')
        tx.oncomplete = () => resolve()
        tx.onerror = () => reject(tx.error)
      })
      db.close()
    }
    w.readRuns = async (name: string) => {
      const db = await open(name)
      const n = await new Promise<number>((resolve, reject) => {
        const g = db.transaction('runs').objectStore('runs').get('n')
        g.onsuccess = () => resolve((g.result as number | undefined) ?? 0)
        g.onerror = () => reject(g.error)
      })
      db.close()
      return n
    }
  })
  return page
}

/** The slice of the page's globals the evaluate bodies use (types only: they run in the page). */
interface PageCache {
  has(k: string): Promise<boolean>
  get(k: string): Promise<unknown>
  getOrSet<T>(k: string, f: () => Promise<T>, timeout?: number, opts?: object): Promise<T>
}
type Backend = 'IndexedDBCache' | 'LocalForageCache'
type PageGlobals = {
  cw: Record<Backend, new (init: object) => PageCache>
  countRun(db: string): Promise<void>
  readRuns(db: string): Promise<number>
  started?: boolean
  issued?: number
}

/** The factory runs recorded in the tally database, read from `page`. */
function readRuns(page: Page, tally: string): Promise<number> {
  return page.evaluate((tally) => (window as unknown as PageGlobals).readRuns(tally), tally)
}

for (const backend of ['IndexedDBCache', 'LocalForageCache'] as Backend[]) {
  test(`${backend}: 3 tabs × 20 concurrent getOrSet({ lock: 'distributed' }) on one cold key run the factory once`, async () => {
    const tabs = await Promise.all([openTab(), openTab(), openTab()])
    const db = `stampede-${backend}-${Date.now()}`
    const tally = `${db}-runs`
    // Every tab starts its callers at the same instant, so all 60 miss before anything is stored.
    const startAt = Date.now() + 1500
    const run = (page: Page, tab: number) =>
      page.evaluate(
        async ([cls, db, tally, startAt, tab]) => {
          const g = window as unknown as PageGlobals
          const c = new g.cw[cls]({ location: db, options: { timeoutMs: 30_000 } })
          await c.has('warm-up')
          await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())))
          let ran = 0
          const values = await Promise.all(
            Array.from({ length: 20 }, () =>
              c.getOrSet(
                'report',
                async () => {
                  ran++
                  await g.countRun(tally)
                  await new Promise((r) => setTimeout(r, 200))
                  return { by: tab, at: Date.now() }
                },
                60,
                { lock: 'distributed' },
              ),
            ),
          )
          return { ran, values }
        },
        [backend, db, tally, startAt, tab] as const,
      )
    const results = await Promise.all(tabs.map((t, i) => run(t, i)))
    expect(await readRuns(tabs[0], tally)).toBe(1)
    expect(results.reduce((n, r) => n + r.ran, 0)).toBe(1)
    const all = results.flatMap((r) => r.values)
    expect(all).toHaveLength(60)
    // Every caller in every tab got the one computed value.
    for (const v of all) expect(v).toEqual(all[0])
    await Promise.all(tabs.map((t) => t.close()))
  })

  test(`${backend}: the tab holding the lease closes mid-compute; exactly one other tab computes`, async () => {
    const [holder, ...others] = await Promise.all([openTab(), openTab(), openTab()])
    const db = `stampede-gone-${backend}-${Date.now()}`
    const tally = `${db}-runs`
    // A lease far longer than the test: only the browser freeing the dead tab's Web Lock lets the
    // others through (web-locks.ts tryWebLock).
    const opts = { lock: 'distributed', lockTimeoutMs: 60_000 }
    const hung = holder
      .evaluate(
        async ([cls, db, tally, opts]) => {
          const g = window as unknown as PageGlobals
          const c = new g.cw[cls]({ location: db, options: { timeoutMs: 30_000 } })
          return c.getOrSet(
            'report',
            async () => {
              await g.countRun(tally)
              g.started = true
              return new Promise<string>(() => {})
            },
            60,
            opts,
          )
        },
        [backend, db, tally, opts] as const,
      )
      .catch(() => 'closed')
    await holder.waitForFunction(() => (window as unknown as PageGlobals).started === true)
    const waiting = others.map((page, i) =>
      page.evaluate(
        async ([cls, db, tally, opts, tab]) => {
          const g = window as unknown as PageGlobals
          const c = new g.cw[cls]({ location: db, options: { timeoutMs: 30_000 } })
          let ran = 0
          g.issued = 0
          const values = await Promise.all(
            Array.from({ length: 20 }, () => {
              const p = c.getOrSet(
                'report',
                async () => {
                  ran++
                  await g.countRun(tally)
                  return `computed by tab ${tab}`
                },
                60,
                opts,
              )
              g.issued = (g.issued ?? 0) + 1
              return p
            }),
          )
          return { ran, values }
        },
        [backend, db, tally, opts, i + 1] as const,
      ),
    )
    for (const page of others)
      await page.waitForFunction(() => (window as unknown as PageGlobals).issued === 20)
    // While the holder lives, nobody else has computed: the tally still shows the holder's run only.
    expect(await readRuns(others[0], tally)).toBe(1)
    await holder.close()
    expect(await hung).toBe('closed')
    const results = await Promise.all(waiting)
    expect(results.reduce((n, r) => n + r.ran, 0)).toBe(1)
    expect(await readRuns(others[0], tally)).toBe(2)
    const all = results.flatMap((r) => r.values)
    expect(all).toHaveLength(40)
    for (const v of all) expect(v).toBe(all[0])
    await Promise.all(others.map((t) => t.close()))
  })
}
