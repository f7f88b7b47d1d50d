/**
 * The charts: one sample per cache per second (hits, misses, sets, deletes, evictions and
 * the entry count, as deltas of the counters), 5 minutes kept, drawn as small SVG charts:
 * hit rate as a line, operations per second as bars. For page caches, what the response cache
 * decided (hits, misses, stored) and why it did not store responses, from `page:*` events.
 */
import type { CacheStats } from '@cachework/core'
import type { WireEvent } from '@cachework/core/inspect'
import { svg } from './view.ts'

/** One second of one cache. */
export interface Sample {
  at: number
  hits: number
  misses: number
  ops: number
  evictions: number
  entries: number
}

/** 5 minutes of one-second samples. */
export const SAMPLES = 300

/** Per-cache series, fed once a second with the current counters. */
export class ChartStore {
  private readonly series = new Map<string, Sample[]>()
  private readonly last = new Map<string, CacheStats>()
  /** Page-cache decisions per `source|alias`: counts by type and by not-stored reason. */
  readonly pages = new Map<
    string,
    { hit: number; miss: number; store: number; reasons: Map<string, number> }
  >()

  /** Record one second for `id` (`source|cacheId`). */
  sample(id: string, stats: CacheStats, entries: number, at: number): void {
    const prev = this.last.get(id)
    this.last.set(id, { ...stats })
    const d = (k: keyof CacheStats): number => (prev ? Math.max(0, stats[k] - prev[k]) : 0)
    const s: Sample = {
      at,
      hits: d('hits'),
      misses: d('misses'),
      ops: d('hits') + d('misses') + d('sets') + d('deletes'),
      evictions: d('evictions'),
      entries,
    }
    let list = this.series.get(id)
    if (!list) this.series.set(id, (list = []))
    list.push(s)
    if (list.length > SAMPLES) list.splice(0, list.length - SAMPLES)
  }

  /** The samples of one cache, oldest first. */
  of(id: string): readonly Sample[] {
    return this.series.get(id) ?? []
  }

  /** Count a page-cache decision (`page:hit`, `page:miss`, `page:store`, `page:not-stored`). */
  page(key: string, e: WireEvent): void {
    let p = this.pages.get(key)
    if (!p) this.pages.set(key, (p = { hit: 0, miss: 0, store: 0, reasons: new Map() }))
    if (e.type === 'page:hit') p.hit++
    else if (e.type === 'page:miss') p.miss++
    else if (e.type === 'page:store') p.store++
    else if (e.type === 'page:not-stored')
      p.reasons.set(e.reason ?? 'unknown', (p.reasons.get(e.reason ?? 'unknown') ?? 0) + 1)
  }
}

/** The chart of one cache: ops/s bars and the hit-rate line over the kept samples. */
export function renderChart(samples: readonly Sample[]): SVGSVGElement {
  const W = 300
  const H = 56
  const n = SAMPLES
  const maxOps = Math.max(1, ...samples.map((s) => s.ops))
  const bw = W / n
  const off = n - samples.length
  const bars: SVGElement[] = []
  const pts: string[] = []
  let points = 0
  samples.forEach((s, i) => {
    const x = (off + i) * bw
    if (s.ops > 0) {
      const h = Math.max(1, (s.ops / maxOps) * (H - 4))
      bars.push(
        svg('rect', {
          x: x.toFixed(1),
          y: (H - h).toFixed(1),
          width: Math.max(1, bw).toFixed(1),
          height: h.toFixed(1),
          fill: 'var(--set)',
          opacity: '.45',
        }),
      )
      points++
    }
    const lookups = s.hits + s.misses
    if (lookups > 0)
      pts.push(`${(x + bw / 2).toFixed(1)},${(H - 2 - (s.hits / lookups) * (H - 4)).toFixed(1)}`)
  })
  const line = pts.length
    ? [svg('polyline', { points: pts.join(' '), fill: 'none', stroke: 'var(--hit)', 'stroke-width': '1.5' })]
    : []
  const title = svg('title')
  title.textContent = `operations per second (bars, max ${maxOps}/s) and hit rate (line) over the last 5 minutes`
  return svg(
    'svg',
    {
      viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': title.textContent,
      'data-points': String(points),
      'data-rate-points': String(pts.length),
    },
    title,
    svg('line', { x1: '0', x2: String(W), y1: String(H - 0.5), y2: String(H - 0.5), stroke: 'var(--line)' }),
    ...bars,
    ...line,
  )
}
