/**
 * The caches view: one card per cache of every source (counters, hit rate, operations per
 * second, its chart, tiers), and one per page cache (hits, misses, and why responses were not
 * stored). Rebuilt when the view is shown and once a second while it is.
 */
import type { CacheStats, TieredStats } from '@cachework/core'
import type { WireCache } from '@cachework/core/inspect'
import { type ChartStore, renderChart } from './charts.ts'
import type { SourceState } from './list.ts'
import type { Source } from './sources.ts'
import { el } from './view.ts'

/** What the cards are drawn from. */
export interface CardsContext {
  sources: readonly Source[]
  state: ReadonlyMap<string, SourceState>
  charts: ChartStore
  /** Entries per `source|cacheId` in the last lists. */
  counts: ReadonlyMap<string, number>
  /** Run an action against a source, then re-list it. */
  act(source: Source, fn: () => Promise<unknown>): Promise<void>
}

type PageCounts = { hit: number; miss: number; store: number; reasons: Map<string, number> }

/** The cards of the caches view: counters, chart, and page-cache decisions. */
export function renderCards(ctx: CardsContext): HTMLElement[] {
  const cards: HTMLElement[] = []
  for (const s of ctx.sources) {
    const st = ctx.state.get(s.id)
    for (const c of st?.caches.values() ?? []) {
      cards.push(cacheCard(ctx, s, c))
      const page = ctx.charts.pages.get(`${s.id}|${c.alias}`)
      if (page) cards.push(pageCard(s, c, page))
    }
  }
  return cards
}

function stat(name: string, label: string, value: string): HTMLElement[] {
  return [el('dt', {}, label), el('dd', { 'data-stat': name }, value)]
}

function cacheCard(ctx: CardsContext, s: Source, c: WireCache): HTMLElement {
  const id = `${s.id}|${c.id}`
  const samples = ctx.charts.of(id)
  const { hits, misses, sets, evictions } = c.stats
  const rate = hits + misses === 0 ? '–' : `${((hits / (hits + misses)) * 100).toFixed(1)}%`
  const recent = samples.slice(-10)
  const opsPerSec = recent.length ? recent.reduce((n, x) => n + x.ops, 0) / recent.length : 0
  const count = ctx.counts.get(id) ?? 0
  const clear = el(
    'button',
    { 'data-action': 'clear', 'aria-label': `clear ${c.alias} (${s.label})` },
    'clear',
  )
  clear.addEventListener('click', () => void ctx.act(s, () => s.run({ op: 'clear', cache: c.id })))
  const unused = hits + misses + sets === 0 && count === 0
  return el(
    'article',
    {
      class: 'cw-card',
      role: 'listitem',
      'data-source': s.id,
      'data-alias': c.alias,
      'aria-label': `${c.alias} (${s.label})`,
    },
    el(
      'h3',
      {},
      el('span', { class: 'name' }, c.alias),
      el('span', { class: 'muted' }, `${c.backend} · ${s.label}`),
      clear,
    ),
    el(
      'dl',
      {},
      ...stat('entries', 'entries', String(count)),
      ...stat('rate', 'hit rate', rate),
      ...stat('ops', 'ops/s', opsPerSec.toFixed(1)),
      ...stat('evictions', 'evictions', String(evictions)),
      ...stat('hits', 'hits', String(hits)),
      ...stat('misses', 'misses', String(misses)),
      ...stat('sets', 'sets', String(sets)),
      ...stat('deletes', 'deletes', String(c.stats.deletes)),
    ),
    ...tierStats(c.stats),
    renderChart(samples),
    unused
      ? el('div', { class: 'unused' }, 'configured, not used yet')
      : el('div', { class: 'legend' }, 'bars: operations per second · line: hit rate · last 5 minutes'),
  )
}

function pageCard(s: Source, c: WireCache, p: PageCounts): HTMLElement {
  const notStored = [...p.reasons.values()].reduce((a, b) => a + b, 0)
  const max = Math.max(1, ...p.reasons.values())
  const reasons = [...p.reasons].sort((a, b) => b[1] - a[1])
  const bars = el('div', { class: 'reasons', 'aria-label': 'why responses were not stored' })
  for (const [reason, n] of reasons) {
    const bar = el('i')
    bar.style.width = `${Math.round((n / max) * 100)}%`
    bars.append(el('span', { 'data-reason': reason }, reason), el('span', {}, bar), el('span', {}, String(n)))
  }
  return el(
    'article',
    {
      class: 'cw-card',
      role: 'listitem',
      'data-page-cache': `${s.id}|${c.alias}`,
      'aria-label': `page cache ${c.alias} (${s.label})`,
    },
    el(
      'h3',
      {},
      el('span', { class: 'name' }, `page cache · ${c.alias}`),
      el('span', { class: 'muted' }, s.label),
    ),
    el(
      'dl',
      {},
      ...stat('page-hits', 'hits', String(p.hit)),
      ...stat('page-misses', 'misses', String(p.miss)),
      ...stat('page-stored', 'stored', String(p.store)),
      ...stat('page-not-stored', 'not stored', String(notStored)),
    ),
    reasons.length ? bars : el('div', { class: 'legend' }, 'every response so far was storable'),
  )
}

/**
 * A tiered cache's card (docs/contract.md rule 18): one line per tier (its alias, backend and
 * counters) and the bus counters, from `stats().tiers` / `stats().bus`. Nothing for other caches.
 */
function tierStats(stats: CacheStats): HTMLElement[] {
  const t = stats as Partial<TieredStats>
  if (!Array.isArray(t.tiers)) return []
  const rows: HTMLElement[] = []
  for (const tier of t.tiers) {
    rows.push(
      el('dt', {}, `${tier.tier.toUpperCase()} ${tier.alias} (${tier.backend})`),
      el(
        'dd',
        { 'data-stat': `tier-${tier.tier}` },
        pairs(['hits', tier.hits], ['misses', tier.misses], ['sets', tier.sets], ['deletes', tier.deletes]),
      ),
    )
  }
  if (t.bus) {
    rows.push(
      el('dt', {}, 'bus'),
      el('dd', { 'data-stat': 'bus' }, pairs(['received', t.bus.received], ['L1 flushes', t.bus.flushes])),
    )
  }
  return [el('dl', { class: 'tiers', 'aria-label': 'tiers' }, ...rows)]
}

/** `name value` pairs joined by ` · `, each kept on one line (a no-break space inside a pair). */
function pairs(...items: [string, number][]): string {
  return items.map(([name, n]) => `${name}\u00a0${n}`).join(' · ')
}
