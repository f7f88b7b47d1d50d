/**
 * `npm run bench -- sw`: latency of a service-worker cache hit in real Chromium. The same page
 * on the same origin fetches one URL 200 times in a row through (a) cachework's response cache
 * (RFC 9111 freshness checked on every hit, entries in IndexedDB), (b) Workbox's `CacheFirst`
 * (Cache Storage, no freshness rules), (c) a worker answering from a constant in memory (the
 * cost of the service-worker round trip itself), and (d) no worker at all (a loopback round trip
 * to the origin, for contrast). Each contender runs in a browser process of its own (one
 * `chromium.launch` each, so its own renderer, service-worker thread, IndexedDB and Cache Storage);
 * the rounds are interleaved with the order rotated (support/rounds.ts `interleavedRounds`), each
 * round one run of 200 fetches per contender, and a row is the median round with its min–max.
 * `BENCH_ROUNDS` shortens a check run.
 */
import { type Browser, chromium, type Page } from 'playwright'
import { chromiumLaunchOptions } from '../../scripts/chromium-path.ts'
import { startSwFixture } from '../../tests/fixtures/sw/fixture.ts'
import { type BenchSuite, fmt, ratio, type Row, type Table } from '../harness.ts'
import { loadNow, interleavedRounds, median, roundsRow } from '../support/rounds.ts'

const FETCHES = 200
const ROUNDS = 9
const BODY = 'x'.repeat(2048)

/** Open the fixture page with worker `sw` (or none) and wait until it controls the page. */
async function openPage(browser: Browser, base: string, sw: string): Promise<Page> {
  const page = await browser.newPage()
  await page.goto(`${base}/?sw=${encodeURIComponent(sw)}`)
  const controlled = await page.evaluate(() => window.cwReady)
  if (controlled !== (sw !== 'none')) throw new Error(`worker ${sw} did not take control of the page`)
  return page
}

/** Warm up: the first fetch stores the entry (or fills Cache Storage), then a few hits. */
async function warm(page: Page, path: string, init: RequestInit): Promise<void> {
  await page.evaluate(
    async ([p, i]) => {
      for (let k = 0; k < 20; k++) await (await fetch(p, i)).arrayBuffer()
    },
    [path, init] as const,
  )
}

/** One run: FETCHES sequential fetches from the page, body read each time; returns ms. */
function once(page: Page, path: string, init: RequestInit): Promise<number> {
  return page.evaluate(
    async ([p, i, n]) => {
      const t0 = performance.now()
      for (let k = 0; k < n; k++) await (await fetch(p, i)).arrayBuffer()
      return performance.now() - t0
    },
    [path, init, FETCHES] as const,
  )
}

/** The suite (see the module comment). */
export const suite: BenchSuite = {
  name: 'sw',
  title: 'Service worker: cache-hit latency in Chromium',
  command: 'npm run bench -- sw',
  async run(): Promise<Table[]> {
    const before = loadNow()
    const origin = await startSwFixture()
    const browsers: Browser[] = []
    try {
      origin.routes.set('/api/bench', { headers: { 'cache-control': 'max-age=3600' }, body: BODY })
      origin.routes.set('/api/net', { headers: { 'cache-control': 'no-store' }, body: BODY })
      const contenders: Array<{ name: string; sw: string; path: string; init: RequestInit }> = [
        { name: 'Workbox 7 CacheFirst', sw: '/workbox-sw.js', path: '/api/bench', init: {} },
        { name: 'cachework sw (fresh hit)', sw: '/sw.js', path: '/api/bench', init: {} },
        { name: 'floor: worker answering from memory', sw: '/null-sw.js', path: '/api/bench', init: {} },
        { name: 'network, no worker (loopback)', sw: 'none', path: '/api/net', init: { cache: 'no-store' } },
      ]
      const pages: Page[] = []
      for (const c of contenders) {
        const browser = await chromium.launch(chromiumLaunchOptions())
        browsers.push(browser)
        const page = await openPage(browser, origin.url, c.sw)
        await warm(page, c.path, c.init)
        pages.push(page)
      }
      const hitsAfterWarmup = origin.count('/api/bench').hits
      const samples = await interleavedRounds(
        contenders.map((c, i) => ({
          name: c.name,
          run: async () => (FETCHES * 1000) / (await once(pages[i] as Page, c.path, c.init)),
        })),
        ROUNDS,
      )
      const rows: Row[] = contenders.map((c) => {
        const xs = samples.get(c.name) ?? []
        return roundsRow(c.name, xs, `${fmt(1000 / median(xs))} ms per fetch (median round)`)
      })
      const table: Table = {
        title: `${FETCHES} sequential fetches of a 2 KiB response from the page, median of ${samples.get(contenders[0]?.name ?? '')?.length ?? ROUNDS} interleaved rounds`,
        unit: 'fetches/s',
        rows,
      }
      const r = ratio(table, 'cachework sw (fresh hit)', 'Workbox 7 CacheFirst')
      table.notes = [
        `Target: cachework ≥ 1/1.25 of Workbox's rate (latency ≤ 1.25×): ${r >= 0.8 ? 'met' : 'MISSED'} (${r.toFixed(2)}×; latency ${(1 / r).toFixed(2)}×).`,
        "Every cachework hit reads the variant from IndexedDB by the key its Vary hint gives (one get; the URL's Vary record only when that variant is missing or does not match) and checks RFC 9111 freshness; Workbox CacheFirst answers from Cache Storage with no freshness check.",
        'The floor row is the page → worker → page round trip alone; on a loaded machine it dominates every row.',
        `Origin hits on the cached URL: ${hitsAfterWarmup} while warming (the first Workbox and cachework fetches), ${origin.count('/api/bench').hits - hitsAfterWarmup} during the timed rounds.`,
        `Method: each contender in a Chromium process of its own (one browser launch each: its own renderer, worker, IndexedDB and Cache Storage), warmed with 20 fetches; ${samples.get(contenders[0]?.name ?? '')?.length ?? ROUNDS} rounds, in each one run of ${FETCHES} sequential fetches per contender (the body read each time), the order rotated each round; the others idle meanwhile. Median (min–max) of the rounds. One origin server (this process) for all. Machine load (1/5/15 min) before: ${before}; after: ${loadNow()}.`,
      ]
      return [table]
    } finally {
      for (const b of browsers) await b.close()
      await origin.close()
    }
  },
}
