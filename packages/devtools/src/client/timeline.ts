/**
 * The timeline: every event of every source (server, page, worker) as it happens, newest
 * first; the last 10,000 are kept and only the visible rows exist in the DOM. Filters by
 * source, cache, type and key; pause (events keep arriving and show when resumed) and clear.
 */
import type { WireEvent } from '@cachework/core/inspect'
import { setText } from './rows.ts'
import type { PanelDom } from './view.ts'
import { el } from './view.ts'

/** One event as the timeline keeps it. */
export interface TimelineEvent extends WireEvent {
  source: string
  sourceLabel: string
  alias: string
  seq: number
  /** Lower-cased key, URL and raw key for the key filter: made the first time it is needed. */
  hay?: string
}

function hayOf(e: TimelineEvent): string {
  e.hay ??= `${e.key ?? ''} ${e.url ?? ''} ${e.rawKey ?? ''}`.toLowerCase()
  return e.hay
}

/** How many events the timeline keeps. */
export const TIMELINE_MAX = 10_000
const ROW = 22

function hhmmss(at: number): string {
  return new Date(at).toISOString().slice(11, 23)
}

/** The timeline view's state and rendering. */
export class Timeline {
  private all: TimelineEvent[] = []
  private pending: TimelineEvent[] = []
  private shown: TimelineEvent[] = []
  private seq = 0
  private paused = false
  private dirty = false
  private scrollFrame = 0
  private readonly types = new Set<string>()
  private readonly sources = new Map<string, string>()
  private readonly cacheNames = new Set<string>()

  constructor(
    private readonly d: PanelDom,
    private readonly onPick: (e: TimelineEvent) => void,
  ) {
    d.tlSource.addEventListener('change', () => this.apply())
    d.tlCache.addEventListener('change', () => this.apply())
    d.tlType.addEventListener('change', () => this.apply())
    d.tlKey.addEventListener('input', () => this.apply())
    // Scroll events render once per animation frame.
    d.tlViewport.addEventListener('scroll', () => {
      if (this.scrollFrame !== 0) return
      this.scrollFrame = requestAnimationFrame(() => {
        this.scrollFrame = 0
        this.renderRows()
      })
    })
    d.tlPause.addEventListener('click', () => this.setPaused(!this.paused))
    d.tlClear.addEventListener('click', () => this.clear())
    d.tlRows.addEventListener('click', (ev) => {
      const row = (ev.target as HTMLElement).closest('.cw-tl-row') as HTMLElement | null
      const e = row ? this.shown[Number(row.dataset.index)] : undefined
      if (e) this.onPick(e)
    })
    this.renderSelects()
  }

  /** Events kept (arrived, paused or not). */
  get size(): number {
    return this.all.length + this.pending.length
  }

  /** Whether new events are held back. */
  get isPaused(): boolean {
    return this.paused
  }

  /** Add events from one source. */
  add(source: string, sourceLabel: string, events: Array<WireEvent & { alias: string }>): void {
    if (events.length === 0) return
    const target = this.paused ? this.pending : this.all
    for (const e of events) {
      target.push({ ...e, source, sourceLabel, seq: ++this.seq })
      if (!this.types.has(e.type)) {
        this.types.add(e.type)
        this.dirty = true
      }
      if (!this.cacheNames.has(e.alias)) {
        this.cacheNames.add(e.alias)
        this.dirty = true
      }
    }
    if (!this.sources.has(source)) {
      this.sources.set(source, sourceLabel)
      this.dirty = true
    }
    if (target.length > TIMELINE_MAX) target.splice(0, target.length - TIMELINE_MAX)
    if (this.dirty) this.renderSelects()
    // Hidden, the view is not re-filtered for every batch: showing it applies the filters (Panel.show).
    if (this.d.views.timeline.hidden) return
    if (!this.paused) this.apply()
    else this.renderCount()
  }

  /** Hold back new events (true) or show them (false). */
  setPaused(p: boolean): void {
    this.paused = p
    this.d.tlPause.setAttribute('aria-pressed', String(p))
    this.d.tlPause.textContent = p ? 'resume' : 'pause'
    if (!p && this.pending.length) {
      this.all.push(...this.pending.splice(0))
      if (this.all.length > TIMELINE_MAX) this.all.splice(0, this.all.length - TIMELINE_MAX)
    }
    this.apply()
  }

  /** Forget every event. */
  clear(): void {
    this.all = []
    this.pending = []
    this.apply()
  }

  private renderSelects(): void {
    this.dirty = false
    const fill = (sel: HTMLSelectElement, all: string, items: Array<[string, string]>): void => {
      const keep = sel.value
      sel.replaceChildren(
        el('option', { value: '' }, all),
        ...items.map(([v, l]) => el('option', { value: v }, l)),
      )
      sel.value = items.some(([v]) => v === keep) ? keep : ''
    }
    fill(this.d.tlSource, 'all sources', [...this.sources])
    fill(
      this.d.tlCache,
      'all caches',
      [...this.cacheNames].sort().map((c) => [c, c]),
    )
    fill(
      this.d.tlType,
      'all events',
      [...this.types].sort().map((t) => [t, t]),
    )
  }

  /** Re-filter and re-render. */
  apply(): void {
    const src = this.d.tlSource.value
    const cache = this.d.tlCache.value
    const type = this.d.tlType.value
    const key = this.d.tlKey.value.toLowerCase()
    const out: TimelineEvent[] = []
    for (let i = this.all.length - 1; i >= 0; i--) {
      const e = this.all[i] as TimelineEvent
      if (src && e.source !== src) continue
      if (cache && e.alias !== cache) continue
      if (type && e.type !== type) continue
      if (key && !hayOf(e).includes(key)) continue
      out.push(e)
    }
    this.shown = out
    this.d.tlSpacer.style.height = `${out.length * ROW}px`
    this.renderCount()
    this.renderRows()
  }

  private renderCount(): void {
    const held = this.pending.length
      ? ` · paused, ${this.pending.length} new`
      : this.paused
        ? ' · paused'
        : ''
    this.d.tlCount.textContent = `${this.shown.length} / ${this.all.length} events${held}`
  }

  /** Render the visible rows only. */
  renderRows(): void {
    const d = this.d
    if (d.views.timeline.hidden) return
    const top = d.tlViewport.scrollTop
    const height = d.tlViewport.clientHeight || 400
    const first = Math.max(0, Math.floor(top / ROW) - 5)
    const last = Math.min(this.shown.length, Math.ceil((top + height) / ROW) + 5)
    const need = Math.max(0, last - first)
    while (d.tlRows.children.length < need) {
      const r = el('div', { class: 'cw-tl-row', role: 'button', tabindex: '-1' })
      for (let i = 0; i < 6; i++) r.append(document.createElement('span'))
      d.tlRows.append(r)
    }
    while (d.tlRows.children.length > need) d.tlRows.lastElementChild?.remove()
    for (let i = 0; i < need; i++) {
      const e = this.shown[first + i] as TimelineEvent
      const r = d.tlRows.children[i] as HTMLElement
      r.style.top = `${(first + i) * ROW}px`
      r.dataset.index = String(first + i)
      r.dataset.source = e.source
      r.dataset.type = e.type
      r.dataset.alias = e.alias
      r.dataset.key = e.key ?? ''
      const extra = [
        e.reason ? `reason: ${e.reason}` : '',
        e.status !== undefined ? `status ${e.status}` : '',
        e.version !== undefined ? `v${e.version}` : '',
        e.message ?? '',
      ]
        .filter(Boolean)
        .join(' · ')
      const texts = [hhmmss(e.at), e.sourceLabel, e.alias, e.type, e.url ?? e.key ?? e.rawKey ?? '', extra]
      const cells = r.children
      for (let c = 0; c < 6; c++) setText(cells[c] as HTMLElement, texts[c] as string)
      ;(cells[3] as HTMLElement).className = `t-${e.type}`
      ;(cells[1] as HTMLElement).className = 'cw-src'
    }
  }
}
