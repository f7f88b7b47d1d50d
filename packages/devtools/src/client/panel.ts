/**
 * The inspector panel: framework-free DOM inside a shadow root (so neither side's styles leak),
 * docked at the bottom or right and resizable (dock.ts), with three views: entries (a
 * virtualised list grouped by key prefix and version, list.ts, with its toolbar, toolbar.ts,
 * and an entry view with a typed value explorer, HTTP responses and actions, detail.ts), a live
 * timeline of every source's events (timeline.ts), and per cache charts (cards.ts). This file
 * wires them: opening, listing the sources, live updates and selection. It can also mount
 * inside another shell's container (`embedded`).
 */
import type { CacheStats } from '@cachework/core'
import type { EventBatch, InspectorSnapshot as Snapshot, WireEvent } from '@cachework/core/inspect'
import { renderCards } from './cards.ts'
import { ChartStore } from './charts.ts'
import { renderDetail } from './detail.ts'
import { applyDock, type DockState, DOCK_KEY, loadDock, renderSideButton, wireDock } from './dock.ts'
import { matchesShortcut, parseShortcut } from './format.ts'
import { EntryList, type SourceState } from './list.ts'
import { entryId, type Row, readStorage, writeStorage } from './rows.ts'
import type { Source } from './sources.ts'
import { PANEL_CSS } from './styles.ts'
import { Timeline, type TimelineEvent } from './timeline.ts'
import { renderCacheSelect, renderStatus, wireToolbar } from './toolbar.ts'
import { buildPanelDom, type PanelDom, VIEWS, type ViewName, wireTabs } from './view.ts'

export type { Row } from './rows.ts'

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
  private readonly list: EntryList
  private readonly unsubs: Array<() => void> = []
  private readonly refreshTimers = new Map<string, ReturnType<typeof setTimeout>>()
  private ticker: ReturnType<typeof setInterval> | undefined
  private rebuildFrame = 0
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
  /**
   * When the last `refresh` started, when each source's answer arrived (parsed, before any
   * rendering) and when the list was built and its rows filled (`performance.now()` ms). The
   * bench splits "listing" (started → last answer) from "first render" (last answer → painted).
   */
  readonly timings: { started: number; arrived: Record<string, number>; built: number } = {
    started: 0,
    arrived: {},
    built: 0,
  }

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
    this.list = new EntryList(d, {
      select: (row) => void this.select(row),
      hide: () => this.hideDetail(),
    })
    wireToolbar(d, this.list)
    d.toggle.addEventListener('click', () => this.toggle())
    d.close.addEventListener('click', () => this.close())
    d.refresh.addEventListener('click', () => void this.refresh())
    d.side.addEventListener('click', () => this.setSide(this.dock.side === 'bottom' ? 'right' : 'bottom'))
    wireTabs(
      d.tabs,
      () => this.view,
      (v) => this.show(v),
    )
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
    if (view === 'entries') this.list.render()
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
    this.list.render()
  }

  private renderSide(): void {
    renderSideButton(this.dom.side, this.dock.side)
  }

  /** Re-list one source, or all of them. Resolves when the list is rendered. */
  async refresh(sourceId?: string): Promise<void> {
    const targets = this.sources.filter((s) => sourceId === undefined || s.id === sourceId)
    this.timings.started = performance.now()
    await Promise.all(
      targets.map(async (s) => {
        try {
          const snap = (await s.run({ op: 'list' })) as Snapshot
          this.timings.arrived[s.id] = performance.now()
          this.state.set(s.id, {
            caches: new Map(snap.caches.map((c) => [c.id, c])),
            entries: snap.entries,
            error: null,
            truncated: snap.truncated === true,
          })
          this.list.buildSource(s, this.state.get(s.id) as SourceState)
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
    this.timings.built = performance.now()
  }

  private scheduleRebuild(): void {
    if (this.rebuildFrame !== 0) return
    this.rebuildFrame = requestAnimationFrame(() => {
      this.rebuildFrame = 0
      this.rebuild()
    })
  }

  /** Keep entries whose alias, key, label, raw key or preview contains `text` (case-insensitive). */
  setFilter(text: string): void {
    if (this.dom.filter.value !== text) this.dom.filter.value = text
    this.list.setFilter(text)
  }

  /** Keep one cache's entries (`source|cacheId`), or all with `''`. */
  setCacheFilter(value: string): void {
    if (this.dom.cacheSelect.value !== value) this.dom.cacheSelect.value = value
    this.list.setCacheFilter(value)
  }

  /** How many entries pass the filters. */
  get visibleCount(): number {
    return this.list.visibleCount
  }

  /** Remove the panel and every listener. */
  destroy(): void {
    if (this.embedded) {
      for (const off of this.unsubs.splice(0)) off()
      clearInterval(this.ticker)
    } else this.close()
    this.offDock()
    window.removeEventListener('keydown', this.onKey)
    this.list.destroy()
    for (const t of this.refreshTimers.values()) clearTimeout(t)
    this.host.remove()
  }

  private rebuild(): void {
    if (this.rebuildFrame !== 0) {
      cancelAnimationFrame(this.rebuildFrame)
      this.rebuildFrame = 0
    }
    // Sources in their order (vite, server, page, worker), each already sorted.
    renderCacheSelect(this.dom.cacheSelect, this.sources, this.state, this.list.cache)
    renderStatus(this.dom.status, this.sources, this.state)
    this.list.join(this.sources)
    if (this.view === 'caches') this.renderCards()
    const sel = this.list.selected
    if (sel) {
      const again = this.list.rows.find(
        (r) => r.source.id === sel.source && r.entry.cache === sel.cache && entryId(r.entry) === sel.id,
      )
      if (again) void this.select(again, true)
      else this.hideDetail()
    }
  }

  private renderCards(): void {
    this.dom.cards.replaceChildren(
      ...renderCards({
        sources: this.sources,
        state: this.state,
        charts: this.charts,
        counts: this.list.counts,
        act: (s, fn) => this.act(s, fn),
      }),
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
        this.charts.sample(id, c.stats as CacheStats, this.list.counts.get(id) ?? 0, now)
      }
    }
    const expired = new Set<string>()
    for (const r of this.list.rows) {
      // The worker keeps stale responses for revalidation, so its entries outlive `expires`.
      if (r.entry.expiresAt !== null && r.entry.expiresAt <= now && r.source.id !== 'sw')
        expired.add(r.source.id)
      // A fresh entry whose soft expiry passed is stale now (rule 16): re-list to show it.
      if (r.entry.state === 'fresh' && r.entry.softExpiresAt !== undefined && r.entry.softExpiresAt <= now)
        expired.add(r.source.id)
    }
    for (const id of expired) this.scheduleRefresh(id)
    if (this.view === 'caches') this.renderCards()
    this.list.render()
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
    let row = this.list.rows.find(match)
    if (!row) {
      await this.refresh(e.source)
      row = this.list.rows.find(match)
    }
    if (!row) {
      this.dom.status.textContent = `${e.sourceLabel}: ${e.key ?? e.url ?? 'that entry'} is no longer cached`
      return
    }
    this.setFilter(row.entry.key ?? row.entry.rawKey)
    this.list.expand(row.group)
    this.list.apply()
    await this.select(row)
  }

  private hideDetail(): void {
    this.list.selected = null
    this.dom.detail.hidden = true
    this.dom.split.classList.remove('has-detail')
  }

  private async select(row: Row, again = false): Promise<void> {
    const { source, entry } = row
    this.list.selected = { source: source.id, cache: entry.cache, id: entryId(entry) }
    const d = this.dom
    d.detail.hidden = false
    d.split.classList.add('has-detail')
    this.list.render()
    await renderDetail(d, row, again, {
      isCurrent: () => this.list.selected?.source === source.id && this.list.selected.id === entryId(entry),
      act: (fn) => this.act(source, fn),
      close: () => this.hideDetail(),
      status: (t) => {
        d.status.textContent = t
      },
    })
  }
}
