/**
 * The inspector panel: framework-free DOM inside a shadow root (so neither side's styles leak),
 * a virtualised entry list (only the visible rows exist in the DOM, so 10,000 entries stay
 * responsive), per-cache live stats, a detail view, actions and an operation log.
 */
import type { EventBatch, Snapshot, WireCache, WireEntry } from '../protocol.ts'
import { formatExpiresIn, formatSize, matchesShortcut, parseShortcut } from './format.ts'
import { entryId, fillRow, newRowEl, ROW_H, type Row, readStorage, showValue, writeStorage } from './rows.ts'
import type { Source } from './sources.ts'
import { PANEL_CSS } from './styles.ts'
import { buildPanelDom, el, type PanelDom } from './view.ts'

export type { Row } from './rows.ts'

const LOG_MAX = 200

interface SourceState {
  caches: Map<string, WireCache>
  entries: WireEntry[]
  error: string | null
  truncated: boolean
}

/** Options of `Panel`. */
export interface PanelOptions {
  /** Toggle shortcut. Default `Alt+Shift+C`. */
  shortcut?: string
  /** localStorage key remembering open/closed. Default `cachework-devtools:open`. */
  storageKey?: string
}

/** The mounted panel; `mountDevtools` creates one. */
export class Panel {
  readonly root: ShadowRoot
  private readonly dom: PanelDom
  private readonly state = new Map<string, SourceState>()
  private rows: Row[] = []
  private readonly counts = new Map<string, number>()
  private shown: Row[] = []
  private filterText = ''
  private cacheFilter = ''
  private selected: { source: string; cache: string; id: string } | null = null
  private readonly log: Array<{ at: number; text: string; type: string }> = []
  private readonly unsubs: Array<() => void> = []
  private readonly refreshTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private ticker: ReturnType<typeof setInterval> | undefined
  private readonly storageKey: string
  private readonly onKey: (e: KeyboardEvent) => void

  constructor(
    readonly host: HTMLElement,
    private readonly sources: Source[],
    opts: PanelOptions = {},
  ) {
    this.storageKey = opts.storageKey ?? 'cachework-devtools:open'
    this.root = host.attachShadow({ mode: 'open' })
    const style = document.createElement('style')
    style.textContent = PANEL_CSS
    this.dom = buildPanelDom()
    this.root.append(style, this.dom.wrap)
    const d = this.dom
    d.toggle.addEventListener('click', () => this.toggle())
    d.close.addEventListener('click', () => this.close())
    d.refresh.addEventListener('click', () => void this.refresh())
    d.filter.addEventListener('input', () => this.setFilter(d.filter.value))
    d.cacheSelect.addEventListener('change', () => this.setCacheFilter(d.cacheSelect.value))
    d.viewport.addEventListener('scroll', () => this.renderRows())
    d.rowsHost.addEventListener('click', (e) => {
      const rowEl = (e.target as HTMLElement).closest('.cw-row') as HTMLElement | null
      const i = rowEl ? Number(rowEl.dataset.index) : -1
      const row = this.shown[i]
      if (row) void this.select(row)
    })
    const shortcut = parseShortcut(opts.shortcut ?? 'Alt+Shift+C')
    this.onKey = (e) => {
      if (matchesShortcut(e, shortcut)) {
        e.preventDefault()
        this.toggle()
      }
    }
    window.addEventListener('keydown', this.onKey)
    if (readStorage(this.storageKey) === '1') void this.open()
  }

  /** Whether the panel is open. */
  get isOpen(): boolean {
    return !this.dom.panel.hidden
  }

  /**
   * Open the panel (remembered in localStorage), list every source and start live updates.
   * Resolves when the first list is rendered.
   */
  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve()
    this.dom.panel.hidden = false
    this.dom.toggle.hidden = true
    writeStorage(this.storageKey, '1')
    for (const s of this.sources) this.unsubs.push(s.subscribe((b) => this.onBatch(s, b)))
    this.ticker = setInterval(() => this.tick(), 1000)
    return this.refresh()
  }

  /** Close the panel (remembered) and stop live updates. */
  close(): void {
    if (!this.isOpen) return
    this.dom.panel.hidden = true
    this.dom.toggle.hidden = false
    writeStorage(this.storageKey, '0')
    for (const off of this.unsubs.splice(0)) off()
    clearInterval(this.ticker)
  }

  /** Open when closed, close when open. */
  toggle(): void {
    if (this.isOpen) this.close()
    else void this.open()
  }

  /** Re-list one source, or all of them. Resolves when the list is rendered. */
  async refresh(sourceId?: string): Promise<void> {
    const targets = this.sources.filter((s) => sourceId === undefined || s.id === sourceId)
    await Promise.all(
      targets.map(async (s) => {
        try {
          const snap = (await s.run({ op: 'list' })) as Snapshot
          this.state.set(s.id, {
            caches: new Map(snap.caches.map((c) => [c.id, c])),
            entries: snap.entries,
            error: null,
            truncated: snap.truncated === true,
          })
        } catch (e) {
          const old = this.state.get(s.id)
          this.state.set(s.id, {
            caches: old?.caches ?? new Map(),
            entries: old?.entries ?? [],
            error: e instanceof Error ? e.message : String(e),
            truncated: false,
          })
        }
      }),
    )
    this.rebuild()
  }

  /** Keep entries whose alias, key, raw key or preview contains `text` (case-insensitive). */
  setFilter(text: string): void {
    this.filterText = text.toLowerCase()
    if (this.dom.filter.value !== text) this.dom.filter.value = text
    this.applyFilter()
  }

  /** Keep one cache's entries (`source|cacheId`), or all with `''`. */
  setCacheFilter(value: string): void {
    this.cacheFilter = value
    if (this.dom.cacheSelect.value !== value) this.dom.cacheSelect.value = value
    this.applyFilter()
  }

  /** How many entries pass the filters. */
  get visibleCount(): number {
    return this.shown.length
  }

  /** Remove the panel and every listener. */
  destroy(): void {
    this.close()
    window.removeEventListener('keydown', this.onKey)
    for (const t of this.refreshTimers.values()) clearTimeout(t)
    this.host.remove()
  }

  private rebuild(): void {
    const rows: Row[] = []
    this.counts.clear()
    for (const s of this.sources) {
      const st = this.state.get(s.id)
      if (!st) continue
      for (const entry of st.entries) {
        const countKey = `${s.id}|${entry.cache}`
        this.counts.set(countKey, (this.counts.get(countKey) ?? 0) + 1)
        const cache = st.caches.get(entry.cache)
        const hay = `${cache?.alias ?? ''}\u0000${entry.key ?? ''}\u0000${entry.rawKey}\u0000${entry.preview}`
        rows.push({ source: s, cache, entry, hay: hay.toLowerCase() })
      }
    }
    this.rows = rows
    this.renderCacheSelect()
    this.renderStats()
    this.renderStatus()
    this.applyFilter()
    if (this.selected) {
      const sel = this.selected
      const again = rows.find(
        (r) => r.source.id === sel.source && r.entry.cache === sel.cache && entryId(r.entry) === sel.id,
      )
      if (again) void this.select(again)
      else this.dom.detail.hidden = true
    }
  }

  private applyFilter(): void {
    const t = this.filterText
    const c = this.cacheFilter
    this.shown = this.rows.filter(
      (r) => (c === '' || `${r.source.id}|${r.entry.cache}` === c) && (t === '' || r.hay.includes(t)),
    )
    this.dom.spacer.style.height = `${this.shown.length * ROW_H}px`
    this.dom.count.textContent = `${this.shown.length} / ${this.rows.length} entries`
    this.renderRows()
  }

  private renderRows(): void {
    const d = this.dom
    const top = d.viewport.scrollTop
    const height = d.viewport.clientHeight || 400
    const first = Math.max(0, Math.floor(top / ROW_H) - 5)
    const last = Math.min(this.shown.length, Math.ceil((top + height) / ROW_H) + 5)
    const need = last - first
    while (d.rowsHost.children.length < need) d.rowsHost.append(newRowEl())
    while (d.rowsHost.children.length > need) d.rowsHost.lastElementChild?.remove()
    const now = Date.now()
    for (let i = 0; i < need; i++) {
      const row = this.shown[first + i] as Row
      const rowEl = d.rowsHost.children[i] as HTMLElement
      fillRow(rowEl, row, first + i, now, this.selected)
    }
  }

  private renderCacheSelect(): void {
    const sel = this.dom.cacheSelect
    const opts: Array<[string, string]> = [['', 'all caches']]
    for (const s of this.sources) {
      for (const c of this.state.get(s.id)?.caches.values() ?? []) {
        opts.push([`${s.id}|${c.id}`, `${s.label} · ${c.alias} (${c.backend})`])
      }
    }
    sel.replaceChildren(...opts.map(([v, label]) => el('option', { value: v }, label)))
    sel.value = opts.some(([v]) => v === this.cacheFilter) ? this.cacheFilter : ''
  }

  private renderStats(): void {
    const body = this.dom.statsBody
    const trs: HTMLElement[] = []
    for (const s of this.sources) {
      const st = this.state.get(s.id)
      for (const c of st?.caches.values() ?? []) {
        const { hits, misses, sets, evictions } = c.stats
        const rate = hits + misses === 0 ? '–' : `${((hits / (hits + misses)) * 100).toFixed(1)}%`
        const count = this.counts.get(`${s.id}|${c.id}`) ?? 0
        const clear = el('button', { 'data-action': 'clear' }, 'clear')
        clear.addEventListener('click', () => void this.act(s, () => s.run({ op: 'clear', cache: c.id })))
        const tr = el(
          'tr',
          { 'data-source': s.id, 'data-alias': c.alias },
          el('td', { class: 'cw-src' }, s.label),
          el('td', {}, c.alias),
          el('td', {}, c.backend),
          el('td', {}, String(count)),
          el('td', { 'data-stat': 'hits' }, String(hits)),
          el('td', { 'data-stat': 'misses' }, String(misses)),
          el('td', { 'data-stat': 'sets' }, String(sets)),
          el('td', { 'data-stat': 'evictions' }, String(evictions)),
          el('td', { 'data-stat': 'rate' }, rate),
          el('td', {}, clear),
        )
        trs.push(tr)
      }
    }
    body.replaceChildren(...trs)
  }

  private renderStatus(): void {
    const problems: string[] = []
    for (const s of this.sources) {
      const st = this.state.get(s.id)
      if (st?.error) problems.push(`${s.label}: ${st.error}`)
      if (st?.truncated) problems.push(`${s.label}: list truncated`)
    }
    this.dom.status.textContent = problems.join(' · ')
    this.dom.status.title = problems.join('\n')
  }

  private renderLog(): void {
    const items = this.log.slice(-60).reverse()
    this.dom.log.replaceChildren(
      ...items.map((l) =>
        el('div', { class: `t-${l.type}` }, `${new Date(l.at).toISOString().slice(11, 23)} ${l.text}`),
      ),
    )
  }

  private onBatch(source: Source, batch: EventBatch): void {
    const st = this.state.get(source.id)
    if (st) {
      for (const [id, stats] of Object.entries(batch.stats)) {
        const c = st.caches.get(id)
        if (c) c.stats = stats
      }
    }
    let changed = false
    for (const e of batch.events) {
      const alias = st?.caches.get(e.cache)?.alias ?? e.cache
      const v = e.version === undefined ? '' : ` v${e.version}`
      this.log.push({
        at: e.at,
        type: e.type,
        text: `${source.label} ${alias} ${e.type} ${e.key ?? e.rawKey ?? ''}${v}`,
      })
      if (e.type !== 'hit' && e.type !== 'miss' && e.type !== 'warning' && e.type !== 'error') changed = true
    }
    if (this.log.length > LOG_MAX) this.log.splice(0, this.log.length - LOG_MAX)
    if (batch.events.length) this.renderLog()
    this.renderStats()
    if (changed) this.scheduleRefresh(source.id)
  }

  /** Once a second: advance the countdowns, and re-list sources whose entries just expired. */
  private tick(): void {
    const now = Date.now()
    const expired = new Set<string>()
    for (const r of this.rows) {
      // The worker keeps stale responses for revalidation, so its entries outlive `expires`.
      if (r.entry.expiresAt !== null && r.entry.expiresAt <= now && r.source.id !== 'sw')
        expired.add(r.source.id)
    }
    for (const id of expired) this.scheduleRefresh(id)
    this.renderRows()
  }

  private scheduleRefresh(sourceId: string): void {
    if (this.refreshTimers.has(sourceId)) return
    this.refreshTimers.set(
      sourceId,
      setTimeout(() => {
        this.refreshTimers.delete(sourceId)
        if (this.isOpen) void this.refresh(sourceId)
      }, 300),
    )
  }

  private async act(source: Source, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn()
    } catch (e) {
      this.dom.status.textContent = `${source.label}: ${e instanceof Error ? e.message : String(e)}`
    }
    await this.refresh(source.id)
  }

  private async select(row: Row): Promise<void> {
    const { source, entry, cache } = row
    this.selected = { source: source.id, cache: entry.cache, id: entryId(entry) }
    this.renderRows()
    const d = this.dom
    d.detail.hidden = false
    d.detail.dataset.source = source.id
    d.detail.dataset.key = entry.key ?? ''
    d.detail.dataset.version = entry.version === undefined ? '' : String(entry.version)
    d.detailMeta.replaceChildren(
      el('div', {}, `${source.label} · ${cache?.alias ?? entry.cache} (${cache?.backend ?? '?'})`),
      el('div', {}, `key: ${entry.key ?? '–'}   version: ${entry.version ?? '–'}`),
      el('div', {}, `raw key: ${entry.rawKey}`),
      el(
        'div',
        {},
        `size: ${formatSize(entry.size) || '–'}   expires: ${formatExpiresIn(entry.expiresAt, Date.now())}`,
      ),
    )
    const del = el('button', { 'data-action': 'delete' }, 'delete')
    const bump = el('button', { 'data-action': 'bump' }, 'bump version')
    const key = entry.key ?? (source.id === 'sw' ? entry.rawKey : undefined)
    if (key === undefined) {
      del.disabled = true
      del.title = 'this cache uses a custom key function: the caller key is unknown'
    }
    if (entry.key === undefined || source.id === 'sw') bump.disabled = true
    del.addEventListener('click', () => {
      if (key === undefined) return
      this.selected = null
      d.detail.hidden = true
      void this.act(source, () =>
        source.run(versioned({ op: 'delete', cache: entry.cache, key }, entry.version)),
      )
    })
    bump.addEventListener('click', () => {
      if (entry.key === undefined) return
      const k = entry.key
      void this.act(source, () =>
        source.run(versioned({ op: 'bump', cache: entry.cache, key: k }, entry.version)),
      )
    })
    d.detailActions.replaceChildren(del, bump)
    d.detailValue.textContent = entry.preview
    try {
      const { text } = (await source.run({ op: 'value', cache: entry.cache, rawKey: entry.rawKey })) as {
        text: string | null
      }
      if (this.selected?.id !== entryId(entry)) return
      showValue(d, text ?? entry.preview)
    } catch (e) {
      d.detailValue.textContent = `(${e instanceof Error ? e.message : String(e)})`
    }
  }
}

function versioned<T extends object>(op: T, version: number | undefined): T & { version?: number } {
  return version === undefined ? op : { ...op, version }
}
