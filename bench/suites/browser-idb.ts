/**
 * `browser-idb`: the browser backends against the libraries people use instead, in real
 * Chromium: `IndexedDBCache` vs idb-keyval (target ≥ 0.8×), `LocalForageCache` vs raw
 * localForage, at 10,000 keys. A Vite dev server started here serves the source. Each contender
 * runs in a Chromium process of its own (one `chromium.launch` each: its own renderer, its own
 * IndexedDB), fills its own store, then the rounds are interleaved with the order rotated
 * (support/rounds.ts `interleavedRounds`): in each round every contender of a table times
 * sequential awaits (as application code does) for one window while the others idle. A row is
 * the median round with its min–max. `BENCH_ROUNDS` / `IDB_BENCH_ROUND_MS` shorten a check run.
 */
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright'
import { type ViteDevServer, createServer, defaultClientConditions } from 'vite'
import { chromiumLaunchOptions } from '../../scripts/chromium-path.ts'
import { type BenchSuite, type Table, ratio } from '../harness.ts'
import { shuffledOrder } from '../support/order.ts'
import { interleavedRounds, loadNow, roundsRow } from '../support/rounds.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const ENTRY = 'virtual:cachework-bench-browser-idb'

// Everything the page measures, behind one module so Vite resolves and pre-bundles it.
const entrySource = `
export * as idbKeyval from 'idb-keyval'
export { default as localforage } from 'localforage'
export { IndexedDBCache } from '/packages/browser/src/indexeddb.ts'
export { LocalForageCache } from '/packages/browser/src/localforage.ts'
`

async function startServer(): Promise<{ server: ViteDevServer; base: string }> {
  const server = await createServer({
    root,
    configFile: false,
    logLevel: 'error',
    cacheDir: join(tmpdir(), 'cachework-bench-browser-idb'),
    server: { host: '127.0.0.1', port: 0, hmr: false, watch: null },
    resolve: { conditions: ['@cachework/source', ...defaultClientConditions] },
    optimizeDeps: { include: ['idb', 'idb-keyval', 'localforage', 'devalue'], noDiscovery: true },
    plugins: [
      {
        name: 'cachework-bench-page',
        resolveId: (id) => (id === ENTRY ? `\0${ENTRY}` : undefined),
        load: (id) => (id === `\0${ENTRY}` ? entrySource : undefined),
        configureServer(s) {
          s.middlewares.use('/bench', (_req, res) => {
            res.setHeader('content-type', 'text/html')
            res.end('<!doctype html><meta charset="utf-8"><title>browser-idb bench</title>')
          })
        },
      },
    ],
  })
  await server.listen()
  const addr = server.httpServer?.address() as AddressInfo
  return { server, base: `http://127.0.0.1:${addr.port}` }
}

const KEYS = 10_000
const ROUNDS = 7
const ROUND_MS = Number(process.env.IDB_BENCH_ROUND_MS ?? 1000)

/**
 * Runs in the page: builds only the contender `name`, fills its store with `keys` entries and
 * leaves its operation on `globalThis.__benchOp`. Self-contained (serialized by Playwright).
 */
async function setupInPage(args: { entry: string; keys: number; name: string; order: number[] }) {
  type AnyCache = {
    get(k: string): Promise<unknown>
    set(k: string, v: unknown, t?: number | null): Promise<boolean>
    setMany(m: Record<string, unknown>): Promise<unknown>
    incr(k: string): Promise<number>
  }
  type Mod = {
    idbKeyval: {
      get(k: string, s?: unknown): Promise<unknown>
      set(k: string, v: unknown, s?: unknown): Promise<void>
      setMany(e: Array<[string, unknown]>, s?: unknown): Promise<void>
      update(k: string, f: (v: unknown) => unknown, s?: unknown): Promise<void>
      createStore(db: string, store: string): unknown
    }
    localforage: {
      createInstance(o: object): {
        getItem(k: string): Promise<unknown>
        setItem(k: string, v: unknown): Promise<unknown>
      }
    }
    IndexedDBCache: new (init: object) => AnyCache
    LocalForageCache: new (init: object) => AnyCache
  }
  const m = (await import(args.entry)) as Mod
  const N = args.keys
  const order = args.order
  const key = (i: number) => `k${order[i % N]}`
  const value = (i: number) => ({ id: i, name: `item ${i}`, tags: ['a', 'b'], score: i / 7 })
  // Fill in batches of 500 (one transaction each where the library offers a batch).
  const fill = async (put: (entries: Array<[string, unknown]>) => Promise<unknown>) => {
    for (let i = 0; i < N; i += 500) {
      const batch: Array<[string, unknown]> = []
      for (let j = i; j < Math.min(N, i + 500); j++) batch.push([`k${j}`, value(j)])
      await put(batch)
    }
  }
  const cache = (location: string, timeout: number | null, maxEntries = 100_000) =>
    new m.IndexedDBCache({ location, timeout, options: { maxEntries, timeoutMs: 60_000 } })
  const cacheFill = (c: AnyCache) => fill((b) => c.setMany(Object.fromEntries(b)))
  let op: (i: number) => Promise<unknown>
  const name = args.name
  if (name.startsWith('idb-keyval')) {
    const kv = m.idbKeyval.createStore('bench-idb-keyval', 'kv')
    await fill((b) => m.idbKeyval.setMany(b, kv))
    await m.idbKeyval.set('n', 0, kv)
    op =
      name === 'idb-keyval get'
        ? (i) => m.idbKeyval.get(key(i), kv)
        : name === 'idb-keyval set'
          ? (i) => m.idbKeyval.set(key(i), value(i), kv)
          : () => m.idbKeyval.update('n', (v) => (v as number) + 1, kv)
  } else if (name === 'IndexedDBCache set, new keys, culling at maxEntries') {
    const c = cache('bench-culling', null, N)
    await cacheFill(c)
    let fresh = 0
    op = (i) => c.set(`new${fresh++}`, value(i))
  } else if (name === 'IndexedDBCache set, 300 s timeout') {
    const c = cache('bench-ttl', 300)
    await cacheFill(c)
    op = (i) => c.set(key(i), value(i))
  } else if (name.startsWith('IndexedDBCache')) {
    const c = cache('bench-cachework', null)
    await cacheFill(c)
    await c.set('n', 0)
    op =
      name === 'IndexedDBCache get'
        ? (i) => c.get(key(i))
        : name === 'IndexedDBCache set'
          ? (i) => c.set(key(i), value(i))
          : () => c.incr('n')
  } else if (name.startsWith('localforage')) {
    const lf = m.localforage.createInstance({ name: 'bench-lf-raw', storeName: 'kv' })
    await fill((b) => Promise.all(b.map(([k, v]) => lf.setItem(k, v))))
    op = name === 'localforage getItem' ? (i) => lf.getItem(key(i)) : (i) => lf.setItem(key(i), value(i))
  } else {
    const c = new m.LocalForageCache({
      location: 'bench-lf-cachework',
      timeout: null,
      options: { maxEntries: 100_000, timeoutMs: 60_000 },
    })
    await cacheFill(c)
    op = name === 'LocalForageCache get' ? (i) => c.get(key(i)) : (i) => c.set(key(i), value(i))
  }
  const g = globalThis as unknown as { __benchOp: typeof op; __benchI: number }
  g.__benchOp = op
  g.__benchI = 0
  // Warm-up: the JIT, and the store's first pages read.
  for (let j = 0; j < 200; j++) await op(g.__benchI++)
}

/**
 * Runs in the page: one timed window of sequential awaits of `__benchOp` (in batches of 20
 * between clock reads); returns ops/s. Then waits `settleMs`, untimed, so that work the
 * contender left in the background (the write-back of read-side last uses) finishes in its own
 * process before the next contender's window.
 */
async function windowInPage(args: { ms: number; settleMs: number }) {
  const g = globalThis as unknown as { __benchOp: (i: number) => Promise<unknown>; __benchI: number }
  const t0 = performance.now()
  let n = 0
  while (performance.now() - t0 < args.ms) {
    for (let j = 0; j < 20; j++) await g.__benchOp(g.__benchI++)
    n += 20
  }
  const ops = (n * 1000) / (performance.now() - t0)
  await new Promise((r) => setTimeout(r, args.settleMs))
  return ops
}

const TABLES: Array<{ title: string; names: string[] }> = [
  { title: 'get (hit)', names: ['idb-keyval get', 'IndexedDBCache get'] },
  {
    title: 'set (overwrite)',
    names: [
      'idb-keyval set',
      'IndexedDBCache set',
      'IndexedDBCache set, 300 s timeout',
      'IndexedDBCache set, new keys, culling at maxEntries',
    ],
  },
  { title: 'atomic read-modify-write on one key', names: ['idb-keyval update (+1)', 'IndexedDBCache incr'] },
  {
    title: 'localForage (IndexedDB driver): raw vs LocalForageCache, for contrast',
    names: ['localforage getItem', 'LocalForageCache get', 'localforage setItem', 'LocalForageCache set'],
  },
]

/** One table: every contender in its own browser, filled, then interleaved rounds. */
async function measureTable(base: string, title: string, names: string[]): Promise<Table> {
  const browsers: Browser[] = []
  try {
    const pages: Page[] = []
    const order = Array.from(shuffledOrder(KEYS))
    for (const name of names) {
      const browser = await chromium.launch(chromiumLaunchOptions())
      browsers.push(browser)
      const page = await browser.newPage()
      // tsx (esbuild keepNames) wraps named functions in `__name(...)`; the page has no such helper.
      await page.addInitScript('globalThis.__name = (f) => f')
      await page.goto(`${base}/bench`)
      await page.evaluate(setupInPage, { entry: `/@id/__x00__${ENTRY}`, keys: KEYS, name, order })
      pages.push(page)
    }
    const samples = await interleavedRounds(
      names.map((name, i) => ({
        name,
        run: () => (pages[i] as Page).evaluate(windowInPage, { ms: ROUND_MS, settleMs: 300 }),
      })),
      ROUNDS,
    )
    const rounds = samples.get(names[0] as string)?.length ?? ROUNDS
    return {
      title: `${title}, ${KEYS.toLocaleString('en-US')} keys, sequential awaits`,
      rows: names.map((name) => roundsRow(name, samples.get(name) ?? [])),
      notes: [
        `${rounds} interleaved rounds of ${ROUND_MS} ms per contender, order rotated each round, each contender in a Chromium process of its own; median (min–max).`,
      ],
    }
  } finally {
    for (const b of browsers) await b.close()
  }
}

/** The suite: IndexedDBCache vs idb-keyval, LocalForageCache vs localForage, in real Chromium. */
export const suite: BenchSuite = {
  name: 'browser-idb',
  title: 'Browser storage: IndexedDBCache vs idb-keyval, LocalForageCache vs localForage (Chromium)',
  command: 'npm run bench -- browser-idb',
  async run() {
    const before = loadNow()
    const { server, base } = await startServer()
    try {
      const tables: Table[] = []
      for (const t of TABLES) tables.push(await measureTable(base, t.title, t.names))
      const [get, set, incr, lf] = tables as [Table, Table, Table, Table]
      const target = (t: Table, a: string, b: string) => {
        const r = ratio(t, a, b)
        return `target ≥ 0.8× idb-keyval: ${r >= 0.8 ? 'met' : 'MISSED'} (${r.toFixed(2)}×)`
      }
      get.notes?.unshift(
        `${target(get, 'IndexedDBCache get', 'idb-keyval get')}; the cache also checks expiry and records the use for LRU`,
        'Each contender fills its own store first (10,000 keys in batches of 500: setMany where the library has one) and reads in a fixed shuffled order over all keys; after each window it idles 300 ms, untimed, so background work (the write-back of read-side last uses) finishes before the next contender runs.',
      )
      set.notes?.unshift(
        `${target(set, 'IndexedDBCache set', 'idb-keyval set')}; under an insert lease (packages/browser/src/idb-lease.ts) a set is one put in one readwrite transaction, as in idb-keyval, plus the last-use (LRU) index idb-keyval does not keep; the old entry is read (rule 11: is it live?) and the lease renewed only when the lease is used up or about to expire; relaxed durability`,
        'rows without a timeout store no expiry (like idb-keyval); with one, each put also writes the expiry index',
        `the culling row starts full (maxEntries ${KEYS.toLocaleString('en-US')}) and stores a new key every time: a set at capacity reads the old entry, counts the store and removes a third of the entries through the LRU index; the lease then covers half the freed room, so the sets after it are single puts`,
      )
      lf.notes?.unshift(
        'LocalForageCache encodes values with the codec (the localStorage driver cannot structured-clone) and takes a per-key Web Lock around each write, so incr is atomic across tabs',
      )
      incr.notes?.push(`Machine load (1/5/15 min) before the suite: ${before}; after: ${loadNow()}.`)
      return tables
    } finally {
      await server.close()
    }
  },
}
