/**
 * The inspector panel: framework-free DOM inside a shadow root (so neither side's styles leak),
 * docked at the bottom or right and resizable (dock.ts), with three views: entries (a
 * virtualised list grouped by key prefix and version, and an entry view with a typed value
 * explorer, HTTP responses and actions), a live timeline of every source's events, and per
 * cache charts. It can also mount inside another shell's container (`embedded`).
 */
import type { CacheStats, TieredStats } from '@cachework/core'
import type { EventBatch, Snapshot, WireCache, WireEntry, WireEvent } from '../protocol.ts'
import { ChartStore, renderChart } from './charts.ts'
import { applyDock, type DockState, DOCK_KEY, loadDock, wireDock } from './dock.ts'
import { matchesShortcut, parseShortcut } from './format.ts'
import { renderDetail } from './detail.ts'
import { entryLabel, keyPrefix, urlDigestOf } from './labels.ts'
import {
  entryId,
  fillGroup,
  fillRow,
  type Item,
  newRowEl,
  ROW_H,
  type Row,
  readStorage,
  writeStorage,
} from './rows.ts'
import type { Source } from './sources.ts'
import { PANEL_CSS } from './styles.ts'
import { Timeline, type TimelineEvent } from './timeline.ts'
import { buildPanelDom, el, type PanelDom, VIEWS, type ViewName } from './view.ts'

export type { Row } from './rows.ts'

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
  /** Fill the host element instead of docking over the page (TanStack Devtools, Vite DevTools). */
  embedded?: boolean
}

// Events after which the list is re-read ('refresh': an entry turned `refreshing`, rule 16).
const CHANGES = new Set(['set', 'delete', 'expire', 'evict', 'clear', 'page:store', 'refresh'])

/** The mounted panel; `mountDevtools` creates one. */
export class Panel {
  readonly root: ShadowRoot
  private readonly dom: PanelDom
  private readonly state = new Map<string, SourceState>()
  private rows: Row[] = []
  private items: Item[] = []
  private readonly counts = new Map<string, number>()
  private readonly firstSeen = new Map<string, Map<string, number>>()
  private readonly sourceRows = new Map<string, Row[]>()
  private resizeObs: ResizeObserver | undefined
  private filterFrame = 0
  private readonly sourceCounts = new Map<string, Map<string, number>>()
  private readonly collapsed = new Set<string>()
  private grouped = true
  private filterText = ''
  private cacheFilter = ''
  private selected: { source: string; cache: string; id: string } | null = null
  private readonly unsubs: Array<() => void> = []
  private readonly refreshTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private ticker: ReturnType<typeof setInterval> | undefined
  private readonly storageKey: string
  private readonly onKey: (e: KeyboardEvent) => void
  private readonly dock: DockState
  private readonly offDock: () => void
  private view: ViewName = 'entries'
  private readonly embedded: boolean
  /** The live timeline (all sources). */
  readonly timeline: Timeline
  /** The per-cache series behind the charts. */
  readonly charts = new ChartStore()

  constructor(
    readonly host: HTMLElement,
    private readonly sources: Source[],
    opts: PanelOptions = {},
  ) {
    this.storageKey = opts.storageKey ?? 'cachework-devtools:open'
    this.embedded = opts.embedded === true
    this.root = host.attachShadow({ mode: 'open' })
    const style = document.createElement('style')
    style.textContent = PANEL_CSS
    const shortcutText = opts.shortcut ?? 'Alt+Shift+C'
    this.dom = buildPanelDom(shortcutText)
    this.root.append(style, this.dom.wrap)
    const d = this.dom
    if (this.embedded) {
      d.panel.dataset.embedded = ''
      d.wrap.classList.add('cw-embedded')
      d.toggle.remove()
      d.close.hidden = true
      d.side.hidden = true
      host.style.display = 'block'
      host.style.height = '100%'
    }
    this.dock = loadDock()
    // Embedded, the shell's container sizes the panel (the CSS fills it): no dock size applies.
    if (!this.embedded) applyDock(d.panel, d.resize, this.dock)
    this.renderSide()
    this.offDock = wireDock(
      d.panel,
      d.resize,
      () => this.dock,
      (s) => Object.assign(this.dock, s),
    )
    this.timeline = new Timeline(d, (e) => void this.pick(e))
    d.toggle.addEventListener('click', () => this.toggle())
    d.close.addEventListener('click', () => this.close())
    d.refresh.addEventListener('click', () => void this.refresh())
    d.side.addEventListener('click', () => this.setSide(this.dock.side === 'bottom' ? 'right' : 'bottom'))
    // Typing filters once per frame, whatever the key rate.
    d.filter.addEventListener('input', () => {
      if (this.filterFrame !== 0) return
      this.filterFrame = requestAnimationFrame(() => {
        this.filterFrame = 0
        this.setFilter(d.filter.value)
      })
    })
    d.cacheSelect.addEventListener('change', () => this.setCacheFilter(d.cacheSelect.value))
    d.group.addEventListener('click', () => {
      this.grouped = !this.grouped
      d.group.setAttribute('aria-pressed', String(this.grouped))
      this.applyFilter()
    })
    d.viewport.addEventListener('scroll', () => this.scheduleRows())
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObs = new ResizeObserver((entries) => {
        const h = entries[entries.length - 1]?.contentRect.height ?? 0
        if (h === this.vpHeight) return
        this.vpHeight = h
        this.renderRows()
      })
      this.resizeObs.observe(d.viewport)
    }
    d.rowsHost.addEventListener('click', (e) => {
      const rowEl = (e.target as HTMLElement).closest('.cw-row') as HTMLElement | null
      const item = rowEl ? this.items[Number(rowEl.dataset.index)] : undefined
      if (!item) return
      if (item.kind === 'group') {
        if (this.collapsed.has(item.id)) this.collapsed.delete(item.id)
        else this.collapsed.add(item.id)
        this.applyFilter()
      } else void this.select(item.row)
    })
    d.viewport.addEventListener('keydown', (e) => this.listKey(e))
    for (const v of VIEWS) d.tabs[v].addEventListener('click', () => this.show(v))
    d.tabs.entries.parentElement?.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft' && e.key !== 'Home' && e.key !== 'End') return
      e.preventDefault()
      const i = VIEWS.indexOf(this.view)
      const next =
        e.key === 'Home'
          ? 0
          : e.key === 'End'
            ? VIEWS.length - 1
            : (i + (e.key === 'ArrowRight' ? 1 : VIEWS.length - 1)) % VIEWS.length
      this.show(VIEWS[next] as ViewName)
      d.tabs[VIEWS[next] as ViewName].focus()
    })
    const shortcut = parseShortcut(shortcutText)
    this.onKey = (e) => {
      if (!this.embedded && matchesShortcut(e, shortcut)) {
        e.preventDefault()
        this.toggle()
      }
    }
    window.addEventListener('keydown', this.onKey)
    if (this.embedded || readStorage(this.storageKey) === '1') void this.open()
  }

  /** Whether the panel is open. */
  get isOpen(): boolean {
    return !this.dom.panel.hidden
  }

  /** The current dock (side and size). */
  get dockState(): Readonly<DockState> {
    return this.dock
  }

  /**
   * Open the panel (remembered in localStorage), list every source and start live updates.
   * Resolves when the first list is rendered.
   */
  open(): Promise<void> {
    if (this.isOpen) return Promise.resolve()
    this.dom.panel.hidden = false
    this.dom.toggle.hidden = true
    if (!this.embedded) writeStorage(this.storageKey, '1')
    for (const s of this.sources) this.unsubs.push(s.subscribe((b) => this.onBatch(s, b)))
    this.ticker = setInterval(() => this.tick(), 1000)
    return this.refresh()
  }

  /** Close the panel (remembered) and stop live updates. */
  close(): void {
    if (!this.isOpen || this.embedded) return
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

  /** Show one view (`entries`, `timeline`, `caches`). */
  show(view: ViewName): void {
    this.view = view
    for (const v of VIEWS) {
      const on = v === view
      this.dom.tabs[v].setAttribute('aria-selected', String(on))
      this.dom.tabs[v].tabIndex = on ? 0 : -1
      this.dom.views[v].hidden = !on
    }
    if (view === 'timeline') this.timeline.apply()
    if (view === 'caches') this.renderCards()
    if (view === 'entries') this.renderRows()
  }

  /** Dock at the bottom or the right (remembered). */
  setSide(side: DockState['side']): void {
    this.dock.side = side
    this.dock.size =
      side === 'right'
        ? Math.round(Math.min(640, window.innerWidth * 0.45))
        : Math.round(Math.min(520, window.innerHeight * 0.45))
    if (!this.embedded) applyDock(this.dom.panel, this.dom.resize, this.dock)
    writeStorage(DOCK_KEY, JSON.stringify(this.dock))
    this.renderSide()
    this.renderRows()
  }

  private renderSide(): void {
    const right = this.dock.side === 'right'
    this.dom.side.textContent = right ? '⤓ bottom' : '⇥ right'
    this.dom.side.setAttribute('aria-label', right ? 'dock to the bottom' : 'dock to the right')
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
          this.buildSource(s)
        } catch (e) {
          const old = this.state.get(s.id)
          this.state.set(s.id, {
            caches: old?.caches ?? new Map(),
            entries: old?.entries ?? [],
            error: e instanceof Error ? e.message : String(e),
            truncated: false,
          })
        }
        // Paint what has arrived (one rebuild per frame); the slowest source need not hold up the rest.
        if (targets.length > 1) this.scheduleRebuild()
      }),
    )
    this.rebuild()
  }

  private rebuildFrame = 0

  private scheduleRebuild(): void {
    if (this.rebuildFrame !== 0) return
    this.rebuildFrame = requestAnimationFrame(() => {
      this.rebuildFrame = 0
      this.rebuild()
    })
  }

  /** Keep entries whose alias, key, label, raw key or preview contains `text` (case-insensitive). */
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
    return this.items.reduce((n, i) => n + (i.kind === 'row' ? 1 : 0), 0)
  }

  /** Remove the panel and every listener. */
  destroy(): void {
    if (this.embedded) {
      for (const off of this.unsubs.splice(0)) off()
      clearInterval(this.ticker)
    } else this.close()
    this.offDock()
    window.removeEventListener('keydown', this.onKey)
    this.resizeObs?.disconnect()
    for (const t of this.refreshTimers.values()) clearTimeout(t)
    this.host.remove()
  }

  /**
   * One source's rows, sorted by group then label, built when that source was (re-)listed
   * only: re-listing the worker after a `set` leaves 10,000 page rows alone.
   */
  private buildSource(s: Source): void {
    const st = this.state.get(s.id)
    if (!st) return
    const now = Date.now()
    const urls = new Map<string, string>()
    for (const e of st.entries) {
      const dg = e.http?.url ? urlDigestOf(e.key ?? e.rawKey) : undefined
      if (dg && e.http?.url) urls.set(dg, e.http.url)
    }
    const counts = new Map<string, number>()
    // When each entry was first seen (the start of its TTL bar); rebuilt, so gone entries drop out.
    const oldSeen = this.firstSeen.get(s.id)
    const seen = new Map<string, number>()
    const rows: Row[] = []
    const sortKeys: string[] = []
    for (const entry of st.entries) {
      const countKey = `${s.id}|${entry.cache}`
      counts.set(countKey, (counts.get(countKey) ?? 0) + 1)
      const cache = st.caches.get(entry.cache)
      const label = entry.state === 'leased' ? `${entryLabel(entry, urls)} (lease)` : entryLabel(entry, urls)
      const key = entry.key ?? entry.rawKey
      const group = `${s.id}|${entry.cache}|${keyPrefix(key)}|${entry.version ?? ''}`
      const seenKey = `${entry.cache}|${entry.rawKey}|${entry.expiresAt}`
      const first = oldSeen?.get(seenKey) ?? now
      seen.set(seenKey, first)
      const hay = `${cache?.alias ?? ''}\u0000${key}\u0000${label}\u0000${entry.rawKey}\u0000${entry.preview}`
      rows.push({ source: s, cache, entry, hay: hay.toLowerCase(), label, group, seen: first })
      sortKeys.push(`${group}\u0001${label}`)
    }
    // Groups, then labels: sort indices by one precomputed string each (no per-compare work).
    const order = rows.map((_, i) => i)
    order.sort((a, b) => {
      const x = sortKeys[a] as string
      const y = sortKeys[b] as string
      return x < y ? -1 : x > y ? 1 : 0
    })
    this.firstSeen.set(s.id, seen)
    this.sourceCounts.set(s.id, counts)
    this.sourceRows.set(
      s.id,
      order.map((i) => rows[i] as Row),
    )
  }

  private rebuild(): void {
    if (this.rebuildFrame !== 0) {
      cancelAnimationFrame(this.rebuildFrame)
      this.rebuildFrame = 0
    }
    // Sources in their order (vite, server, page, worker), each already sorted.
    const rows: Row[] = []
    this.counts.clear()
    for (const s of this.sources) {
      const part = this.sourceRows.get(s.id)
      if (part) for (const r of part) rows.push(r)
      for (const [k, n] of this.sourceCounts.get(s.id) ?? []) this.counts.set(k, n)
    }
    this.rows = rows
    this.renderCacheSelect()
    this.renderStatus()
    this.applyFilter()
    if (this.view === 'caches') this.renderCards()
    if (this.selected) {
      const sel = this.selected
      const again = rows.find(
        (r) => r.source.id === sel.source && r.entry.cache === sel.cache && entryId(r.entry) === sel.id,
      )
      if (again) void this.select(again, true)
      else this.hideDetail()
    }
  }

  private applyFilter(): void {
    const t = this.filterText
    const c = this.cacheFilter
    const items: Item[] = []
    let group: Extract<Item, { kind: 'group' }> | undefined
    let total = 0
    for (const r of this.rows) {
      if (c !== '' && `${r.source.id}|${r.entry.cache}` !== c) continue
      if (t !== '' && !r.hay.includes(t)) continue
      total++
      if (this.grouped) {
        if (group?.id !== r.group) {
          const [, , prefix, version] = r.group.split('|')
          group = {
            kind: 'group',
            id: r.group,
            label: `${r.source.label} · ${r.cache?.alias ?? r.entry.cache} · ${prefix}${version ? ` · v${version}` : ''}`,
            count: 0,
            collapsed: this.collapsed.has(r.group),
          }
          items.push(group)
        }
        group.count++
        if (group.collapsed) continue
      }
      items.push({ kind: 'row', row: r })
    }
    this.items = items
    this.dom.spacer.style.height = `${items.length * ROW_H}px`
    this.dom.count.textContent = `${total} / ${this.rows.length} entries`
    // The entry view closes when the filter hides its row.
    if (this.selected && !items.some((i) => i.kind === 'row' && this.isSelected(i.row))) this.hideDetail()
    this.renderRows()
  }

  private isSelected(r: Row): boolean {
    const s = this.selected
    return s !== null && s.source === r.source.id && s.cache === r.entry.cache && s.id === entryId(r.entry)
  }

  /**
   * Render the rows in view (plus a small overscan). Each index keeps its element (slot
   * `index % pool`), so a scroll fills only the rows that came into view; `force` refills every
   * row (countdowns, selection, a new list). No layout is read: the viewport's height comes from
   * a ResizeObserver, and scroll events render once per animation frame.
   */
  private renderRows(force = true): void {
    const d = this.dom
    if (d.views.entries.hidden) return
    const top = d.viewport.scrollTop
    if (this.vpHeight === 0) this.vpHeight = d.viewport.clientHeight
    const height = this.vpHeight || 400
    const first = Math.max(0, Math.floor(top / ROW_H) - 5)
    const last = Math.min(this.items.length, Math.ceil((top + height) / ROW_H) + 5)
    const need = Math.max(0, last - first)
    const pool = Math.ceil(height / ROW_H) + 12
    const host = d.rowsHost
    if (host.children.length !== Math.min(pool, this.items.length)) {
      const want = Math.min(pool, this.items.length)
      if (host.children.length < want) {
        const frag = document.createDocumentFragment()
        for (let i = host.children.length; i < want; i++) frag.append(newRowEl())
        host.append(frag)
      }
      while (host.children.length > want) host.lastElementChild?.remove()
      force = true
    }
    const now = Date.now()
    const slots = host.children
    const used = new Uint8Array(slots.length)
    for (let i = first; i < first + need; i++) {
      const slot = i % slots.length
      used[slot] = 1
      const rowEl = slots[slot] as HTMLElement
      if (rowEl.hidden) rowEl.hidden = false
      if (!force && rowEl.dataset.index === String(i)) continue
      const item = this.items[i] as Item
      if (item.kind === 'group') fillGroup(rowEl, item, i)
      else fillRow(rowEl, item.row, i, now, this.selected)
    }
    // Slots with no row in view this time: hidden and emptied (no stale key or source on them).
    for (let i = 0; i < slots.length; i++) {
      const rowEl = slots[i] as HTMLElement
      if (used[i] || rowEl.hidden) continue
      rowEl.hidden = true
      for (const k of Object.keys(rowEl.dataset)) delete rowEl.dataset[k]
    }
  }

  private vpHeight = 0
  private rowsFrame = 0

  private scheduleRows(): void {
    if (this.rowsFrame !== 0) return
    this.rowsFrame = requestAnimationFrame(() => {
      this.rowsFrame = 0
      this.renderRows(false)
    })
  }

  private listKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      this.hideDetail()
      return
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Enter') return
    e.preventDefault()
    const rowsOnly = this.items.map((it, i) => [it, i] as const).filter(([it]) => it.kind === 'row')
    if (rowsOnly.length === 0) return
    let at = rowsOnly.findIndex(([it]) => it.kind === 'row' && this.isSelected(it.row))
    if (e.key === 'ArrowDown') at = Math.min(rowsOnly.length - 1, at + 1)
    else if (e.key === 'ArrowUp') at = Math.max(0, at - 1)
    else at = Math.max(0, at)
    const [item, index] = rowsOnly[at] as readonly [Item, number]
    if (item.kind !== 'row') return
    const vp = this.dom.viewport
    if (index * ROW_H < vp.scrollTop) vp.scrollTop = index * ROW_H
    else if ((index + 1) * ROW_H > vp.scrollTop + vp.clientHeight)
      vp.scrollTop = (index + 1) * ROW_H - vp.clientHeight
    void this.select(item.row)
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

  private renderStatus(): void {
    const problems: string[] = []
    for (const s of this.sources) {
      const st = this.state.get(s.id)
      if (st?.error) problems.push(`${s.label}: ${st.error}`)
      if (st?.truncated) problems.push(`${s.label}: list truncated`)
    }
    const text = problems.join(' · ')
    this.dom.status.textContent = text
    this.dom.status.title = problems.join('\n')
    this.dom.status.classList.toggle('long', text.length > 90)
  }

  /** The cards of the caches view: counters, chart, and page-cache decisions. */
  private renderCards(): void {
    const cards: HTMLElement[] = []
    for (const s of this.sources) {
      const st = this.state.get(s.id)
      for (const c of st?.caches.values() ?? []) {
        const id = `${s.id}|${c.id}`
        const samples = this.charts.of(id)
        const { hits, misses, sets, evictions } = c.stats
        const rate = hits + misses === 0 ? '–' : `${((hits / (hits + misses)) * 100).toFixed(1)}%`
        const recent = samples.slice(-10)
        const opsPerSec = recent.length ? recent.reduce((n, x) => n + x.ops, 0) / recent.length : 0
        const count = this.counts.get(id) ?? 0
        const clear = el(
          'button',
          { 'data-action': 'clear', 'aria-label': `clear ${c.alias} (${s.label})` },
          'clear',
        )
        clear.addEventListener('click', () => void this.act(s, () => s.run({ op: 'clear', cache: c.id })))
        const stat = (name: string, label: string, value: string): HTMLElement[] => [
          el('dt', {}, label),
          el('dd', { 'data-stat': name }, value),
        ]
        const unused = hits + misses + sets === 0 && count === 0
        cards.push(
          el(
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
              : el(
                  'div',
                  { class: 'legend' },
                  'bars: operations per second · line: hit rate · last 5 minutes',
                ),
          ),
        )
        const page = this.charts.pages.get(`${s.id}|${c.alias}`)
        if (page) cards.push(this.pageCard(s, c, page))
      }
    }
    this.dom.cards.replaceChildren(...cards)
  }

  private pageCard(
    s: Source,
    c: WireCache,
    p: { hit: number; miss: number; store: number; reasons: Map<string, number> },
  ): HTMLElement {
    const notStored = [...p.reasons.values()].reduce((a, b) => a + b, 0)
    const max = Math.max(1, ...p.reasons.values())
    const reasons = [...p.reasons].sort((a, b) => b[1] - a[1])
    const bars = el('div', { class: 'reasons', 'aria-label': 'why responses were not stored' })
    for (const [reason, n] of reasons) {
      const bar = el('i')
      bar.style.width = `${Math.round((n / max) * 100)}%`
      bars.append(
        el('span', { 'data-reason': reason }, reason),
        el('span', {}, bar),
        el('span', {}, String(n)),
      )
    }
    const stat = (name: string, label: string, value: number): HTMLElement[] => [
      el('dt', {}, label),
      el('dd', { 'data-stat': name }, String(value)),
    ]
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
        ...stat('page-hits', 'hits', p.hit),
        ...stat('page-misses', 'misses', p.miss),
        ...stat('page-stored', 'stored', p.store),
        ...stat('page-not-stored', 'not stored', notStored),
      ),
      reasons.length ? bars : el('div', { class: 'legend' }, 'every response so far was storable'),
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
    const events: Array<WireEvent & { alias: string }> = []
    for (const e of batch.events) {
      const alias = st?.caches.get(e.cache)?.alias ?? (e.cache || 'page cache')
      events.push({ ...e, alias })
      if (e.type.startsWith('page:')) this.charts.page(`${source.id}|${alias}`, e)
      if (CHANGES.has(e.type)) changed = true
    }
    this.timeline.add(source.id, source.label, events)
    if (changed) this.scheduleRefresh(source.id)
  }

  /** Once a second: sample the charts, advance the countdowns, re-list sources whose entries expired. */
  private tick(): void {
    const now = Date.now()
    for (const s of this.sources) {
      for (const c of this.state.get(s.id)?.caches.values() ?? []) {
        const id = `${s.id}|${c.id}`
        this.charts.sample(id, c.stats as CacheStats, this.counts.get(id) ?? 0, now)
      }
    }
    const expired = new Set<string>()
    for (const r of this.rows) {
      // The worker keeps stale responses for revalidation, so its entries outlive `expires`.
      if (r.entry.expiresAt !== null && r.entry.expiresAt <= now && r.source.id !== 'sw')
        expired.add(r.source.id)
      // A fresh entry whose soft expiry passed is stale now (rule 16): re-list to show it.
      if (r.entry.state === 'fresh' && r.entry.softExpiresAt !== undefined && r.entry.softExpiresAt <= now)
        expired.add(r.source.id)
    }
    for (const id of expired) this.scheduleRefresh(id)
    if (this.view === 'caches') this.renderCards()
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

  /** A timeline event was clicked: show its entry (by key, or by URL for page-cache events). */
  private async pick(e: TimelineEvent): Promise<void> {
    const match = (r: Row): boolean =>
      r.source.id === e.source &&
      (e.cache === '' || r.entry.cache === e.cache || r.source.id === 'sw') &&
      (e.key !== undefined
        ? entryId(r.entry) === e.key || r.entry.key === e.key
        : e.url !== undefined && r.entry.http?.url !== undefined && e.url.endsWith(` ${r.entry.http.url}`))
    this.show('entries')
    this.setCacheFilter('')
    let row = this.rows.find(match)
    if (!row) {
      await this.refresh(e.source)
      row = this.rows.find(match)
    }
    if (!row) {
      this.dom.status.textContent = `${e.sourceLabel}: ${e.key ?? e.url ?? 'that entry'} is no longer cached`
      return
    }
    this.setFilter(row.entry.key ?? row.entry.rawKey)
    this.collapsed.delete(row.group)
    this.applyFilter()
    await this.select(row)
  }

  private hideDetail(): void {
    this.selected = null
    this.dom.detail.hidden = true
    this.dom.split.classList.remove('has-detail')
  }

  private async select(row: Row, again = false): Promise<void> {
    const { source, entry } = row
    this.selected = { source: source.id, cache: entry.cache, id: entryId(entry) }
    const d = this.dom
    d.detail.hidden = false
    d.split.classList.add('has-detail')
    this.renderRows()
    await renderDetail(d, row, again, {
      isCurrent: () => this.selected?.source === source.id && this.selected.id === entryId(entry),
      act: (fn) => this.act(source, fn),
      close: () => this.hideDetail(),
      status: (t) => {
        d.status.textContent = t
      },
    })
  }
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
