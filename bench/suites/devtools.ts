/**
 * `npm run bench -- devtools`: the inspector panel with 10,000 entries in real Chromium. The
 * devtools fixture runs Vite with the plugin; each round loads a fresh page and times, inside
 * the page, (a) opening the panel until the list of 10,000 page entries is rendered (one
 * frame included), (b) the same for 10,000 entries of the Vite process over Vite's WebSocket,
 * (c) applying a text filter, (d) clearing it, and (e) rendering after a jump-scroll.
 */
import { cpus, loadavg } from 'node:os'
import { chromium, type Browser, type Page } from 'playwright'
import { chromiumLaunchOptions } from '../../scripts/chromium-path.ts'
import { startDevtoolsFixture } from '../../tests/fixtures/devtools/start.ts'
import { type BenchSuite, fmt, type Row, type Table } from '../harness.ts'

const N = 10_000
const ROUNDS = 5

interface Timings {
  open: number
  filter: number
  matches: number
  unfilter: number
  scroll: number
  rows: number
  /** Long tasks (> 50 ms) seen while scrolling the list through 30 frames, and the longest. */
  longTasks: number
  longestTask: number
  /** 10,000 events into the timeline, then its first render; then a key filter over them. */
  timelineAdd: number
  timelineShow: number
  timelineFilter: number
  timelineMatches: number
}

// Plain JavaScript run in the page (a string, so tsx's helpers never leak into it).
const IN_PAGE = `(async () => {
  const h = globalThis.__cacheworkDevtools
  const root = h.panel.root
  const viewport = root.querySelector('#cw-view-entries .cw-viewport')
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)))
  const t0 = performance.now()
  await h.open()
  void viewport.scrollHeight
  await frame()
  const open = performance.now() - t0
  const rows = h.panel.visibleCount
  // Let the first list's follow-up work (live-update subscriptions, GC) settle before timing.
  await frame()
  await new Promise((r) => setTimeout(r, 300))
  const t1 = performance.now()
  h.panel.setFilter('number 42')
  void viewport.scrollHeight
  const filter = performance.now() - t1
  const matches = h.panel.visibleCount
  const t2 = performance.now()
  h.panel.setFilter('')
  void viewport.scrollHeight
  const unfilter = performance.now() - t2
  const t3 = performance.now()
  viewport.scrollTop = viewport.scrollHeight / 2
  // Scroll events render once per animation frame: the frame is part of the measure.
  await frame()
  const scroll = performance.now() - t3
  // Scrolling: 30 frames of wheel-sized steps, long tasks counted by the browser itself.
  const longs = []
  const obs = new PerformanceObserver((l) => { for (const e of l.getEntries()) longs.push(e.duration) })
  obs.observe({ type: 'longtask', buffered: false })
  for (let i = 0; i < 30; i++) {
    viewport.scrollTop += 400
    await frame()
  }
  await new Promise((r) => setTimeout(r, 100))
  obs.disconnect()
  // The timeline: 10,000 events from one source, rendered, then filtered by key.
  const events = []
  const now = Date.now()
  for (let i = 0; i < 10000; i++) {
    events.push({ cache: 'c1', alias: 'bench', type: ['hit', 'miss', 'set'][i % 3], key: 'bench-' + i, at: now + i })
  }
  const t4 = performance.now()
  h.panel.timeline.add('page', 'page', events)
  const timelineAdd = performance.now() - t4
  const t5 = performance.now()
  h.panel.show('timeline')
  void root.querySelector('#cw-view-timeline .cw-viewport').scrollHeight
  await frame()
  const timelineShow = performance.now() - t5
  const key = root.querySelector('input[aria-label="event key"]')
  const t6 = performance.now()
  key.value = 'bench-42'
  key.dispatchEvent(new Event('input'))
  void root.querySelector('#cw-view-timeline .cw-viewport').scrollHeight
  const timelineFilter = performance.now() - t6
  const timelineMatches = root.querySelector('#cw-view-timeline').querySelectorAll('.cw-tl-row').length
  return { open, filter, matches, unfilter, scroll, rows, longTasks: longs.length, longestTask: longs.length ? Math.max(...longs) : 0,
    timelineAdd, timelineShow, timelineFilter, timelineMatches }
})()`

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function round(browser: Browser, url: string): Promise<Timings> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  const page: Page = await context.newPage()
  try {
    await page.goto(url)
    await page.waitForFunction(
      'window.cwBenchReady === true && globalThis.__cacheworkDevtools !== undefined',
      undefined,
      {
        timeout: 120_000,
      },
    )
    return (await page.evaluate(IN_PAGE)) as Timings
  } finally {
    await context.close()
  }
}

export const suite: BenchSuite = {
  name: 'devtools',
  title: 'Devtools panel with 10,000 entries (Chromium)',
  async run(): Promise<Table[]> {
    const fx = await startDevtoolsFixture()
    const browser = await chromium.launch(chromiumLaunchOptions())
    try {
      const pageRuns: Timings[] = []
      for (let i = 0; i < ROUNDS; i++) pageRuns.push(await round(browser, `${fx.url}/bench.html?seed=${N}`))
      for (let i = 0; i < N; i++)
        await fx.viteCache.set(`vite-bench-${i}`, { i, name: `entry number ${i}` }, 600)
      const viteRuns: Timings[] = []
      for (let i = 0; i < ROUNDS; i++) viteRuns.push(await round(browser, `${fx.url}/bench.html?seed=0`))

      const pick = (runs: Timings[], k: keyof Timings): number => median(runs.map((r) => r[k]))
      const open = pick(pageRuns, 'open')
      const filter = pick(pageRuns, 'filter')
      const rows: Row[] = [
        {
          name: 'open → 10,000 page entries rendered',
          opsPerSec: open,
          note: `${pick(pageRuns, 'rows')} rows listed`,
        },
        {
          name: 'open → 10,000 Vite-process entries (WebSocket)',
          opsPerSec: pick(viteRuns, 'open'),
          note: `${pick(viteRuns, 'rows')} rows listed`,
        },
        {
          name: 'apply filter "number 42"',
          opsPerSec: filter,
          note: `${pick(pageRuns, 'matches')} matches; ${fmt(1000 / filter)} filters/s`,
        },
        {
          name: 'clear filter',
          opsPerSec: pick(pageRuns, 'unfilter'),
          note: `${fmt(1000 / pick(pageRuns, 'unfilter'))} /s`,
        },
        {
          name: 'jump-scroll to the middle, rows re-rendered (one frame included)',
          opsPerSec: pick(pageRuns, 'scroll'),
          note: `${fmt(1000 / pick(pageRuns, 'scroll'))} renders/s`,
        },
        {
          name: 'scroll 30 frames: longest long task (> 50 ms)',
          opsPerSec: pick(pageRuns, 'longestTask'),
          note: `long tasks per run (median): ${pick(pageRuns, 'longTasks')}; 0 ms = none`,
        },
        {
          name: 'timeline: add 10,000 events',
          opsPerSec: pick(pageRuns, 'timelineAdd'),
          note: 'kept: the last 10,000',
        },
        {
          name: 'timeline: first render of 10,000 events',
          opsPerSec: pick(pageRuns, 'timelineShow'),
          note: 'includes one animation frame',
        },
        {
          name: 'timeline: filter 10,000 events by key "bench-42"',
          opsPerSec: pick(pageRuns, 'timelineFilter'),
          note: `${pick(pageRuns, 'timelineMatches')} rows shown`,
        },
      ]
      return [
        {
          title: `Panel timings, median of ${ROUNDS} fresh page loads (milliseconds: lower is better)`,
          unit: 'ms',
          rows,
          notes: [
            'Measured inside the page with performance.now(); "open" includes listing, the first render and one animation frame.',
            `The list is virtualised: about 30 row elements exist whatever the entry count. Targets (issue 17): first render ≤ 300 ms (measured ${fmt(open)} ms, listing included), filtering ≤ 50 ms (${fmt(filter)} ms), no long task over 50 ms while scrolling (longest ${fmt(pick(pageRuns, 'longestTask'))} ms).`,
            'Long tasks come from the browser (PerformanceObserver "longtask"), over 30 frames of 400 px scroll steps.',
            'The ratio column compares each timing with the first row (ms / ms).',
            `Machine load average during the run: ${loadavg()
              .map((x) => x.toFixed(1))
              .join(' / ')} (1/5/15 min) on ${cpus().length} cores; absolute times scale with it.`,
            "Listing cost is mostly the backend's entries() (locmem copies and encodes each value to report its size).",
          ],
        },
      ]
    } finally {
      await browser.close()
      await fx.close()
    }
  },
}
