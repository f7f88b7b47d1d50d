/**
 * The entries view's list: every source's entries sorted by group (source, cache, key prefix,
 * version) then label, filtered by text and cache, grouped under collapsible headers, and
 * rendered as a virtual list: only the rows in view (plus a small overscan) exist in the DOM,
 * recycled by index, so the work per render and per scroll frame is O(visible rows).
 */
import type { WireCache, WireEntry } from '@cachework/core/inspect'
import { entryLabel, keyPrefix, urlDigestOf } from './labels.ts'
import {
  entryId,
  fillGroup,
  fillRow,
  type GroupItem,
  hayOf,
  type Item,
  newRowEl,
  ROW_H,
  type Row,
} from './rows.ts'
import type { Source } from './sources.ts'
import type { PanelDom } from './view.ts'

/** What one source listed last. */
export interface SourceState {
  caches: Map<string, WireCache>
  entries: WireEntry[]
  error: string | null
  truncated: boolean
}

/** The selected entry (it survives re-lists by source, cache and id). */
export interface Selection {
  source: string
  cache: string
  id: string
}

/** What the list asks of the panel. */
export interface ListHooks {
  /** An entry row was clicked or chosen with the keyboard. */
  select(row: Row): void
  /** The selected entry is no longer shown (filtered out, or gone). */
  hide(): void
}

/** The virtual list of the entries view. */
export class EntryList {
  /** Every source's rows, in source order, each source sorted. */
  rows: Row[] = []
  /** What the list shows: group headers and the rows of expanded groups. */
  items: Item[] = []
  /** Entries per `source|cacheId` in the last lists. */
  readonly counts = new Map<string, number>()
  selected: Selection | null = null
  grouped = true
  private filterText = ''
  private cacheFilter = ''
  private shown = 0
  private readonly collapsed = new Set<string>()
  private readonly firstSeen = new Map<string, Map<string, number>>()
  private readonly sourceRows = new Map<string, Row[]>()
  private readonly sourceCounts = new Map<string, Map<string, number>>()
  private vpHeight = 0
  private rowsFrame = 0
  private readonly resizeObs: ResizeObserver | undefined

  constructor(
    private readonly dom: PanelDom,
    private readonly hooks: ListHooks,
  ) {
    const d = dom
    d.viewport.addEventListener('scroll', () => this.scheduleRows())
    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObs = new ResizeObserver((entries) => {
        const h = entries[entries.length - 1]?.contentRect.height ?? 0
        if (h === this.vpHeight) return
        this.vpHeight = h
        this.render()
      })
      this.resizeObs.observe(d.viewport)
    }
    // One listener for every row (rows are recycled; none carries a closure of its own).
    d.rowsHost.addEventListener('click', (e) => {
      const rowEl = (e.target as HTMLElement).closest('.cw-row') as HTMLElement | null
      const item = rowEl ? this.items[Number(rowEl.dataset.index)] : undefined
      if (!item) return
      if (item.kind === 'group') {
        if (this.collapsed.has(item.id)) this.collapsed.delete(item.id)
        else this.collapsed.add(item.id)
        this.apply()
      } else this.hooks.select(item)
    })
    d.viewport.addEventListener('keydown', (e) => this.listKey(e))
  }

  /** The text filter (lower-cased). */
  get filter(): string {
    return this.filterText
  }

  /** The cache filter (`source|cacheId`, or `''` for all). */
  get cache(): string {
    return this.cacheFilter
  }

  /** Keep entries whose alias, key, label, raw key or preview contains `text` (case-insensitive). */
  setFilter(text: string): void {
    this.filterText = text.toLowerCase()
    this.apply()
  }

  /** Keep one cache's entries (`source|cacheId`), or all with `''`. */
  setCacheFilter(value: string): void {
    this.cacheFilter = value
    this.apply()
  }

  /** Show or hide group headers. */
  setGrouped(on: boolean): void {
    this.grouped = on
    this.apply()
  }

  /** Expand a group (a timeline pick shows its entry). */
  expand(group: string): void {
    this.collapsed.delete(group)
  }

  /** How many entry rows pass the filters (collapsed groups' rows excluded). */
  get visibleCount(): number {
    return this.shown
  }

  /** Whether `r` is the selected entry. */
  isSelected(r: Row): boolean {
    const s = this.selected
    return s !== null && s.source === r.source.id && s.cache === r.entry.cache && s.id === entryId(r.entry)
  }

  /** Stop observing the viewport. */
  destroy(): void {
    this.resizeObs?.disconnect()
    if (this.rowsFrame !== 0) cancelAnimationFrame(this.rowsFrame)
  }

  /**
   * One source's rows, sorted by group then label, built when that source was (re-)listed
   * only: re-listing the worker after a `set` leaves 10,000 page rows alone.
   */
  buildSource(s: Source, st: SourceState): void {
    const now = Date.now()
    const urls = new Map<string, string>()
    for (const e of st.entries) {
      const dg = e.http?.url ? urlDigestOf(e.key ?? e.rawKey) : undefined
      if (dg && e.http?.url) urls.set(dg, e.http.url)
    }
    const perCache = new Map<string, number>()
    // When each entry was first seen (the start of its TTL bar); rebuilt, so gone entries drop out.
    const oldSeen = this.firstSeen.get(s.id)
    const seen = new Map<string, number>()
    const rows: Row[] = []
    const sortKeys: string[] = []
    for (const entry of st.entries) {
      perCache.set(entry.cache, (perCache.get(entry.cache) ?? 0) + 1)
      const cache = st.caches.get(entry.cache)
      const label = entry.state === 'leased' ? `${entryLabel(entry, urls)} (lease)` : entryLabel(entry, urls)
      const key = entry.key ?? entry.rawKey
      const group = `${s.id}|${entry.cache}|${keyPrefix(key)}|${entry.version ?? ''}`
      const seenKey = `${entry.cache}|${entry.rawKey}|${entry.expiresAt}`
      const first = oldSeen?.get(seenKey) ?? now
      seen.set(seenKey, first)
      rows.push({ kind: 'row', source: s, cache, entry, hay: '', label, group, seen: first })
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
    const counts = new Map<string, number>()
    for (const [cache, n] of perCache) counts.set(`${s.id}|${cache}`, n)
    this.sourceCounts.set(s.id, counts)
    this.sourceRows.set(
      s.id,
      order.map((i) => rows[i] as Row),
    )
  }

  /** Join the sources' rows (in `sources` order) and re-apply the filters. */
  join(sources: readonly Source[]): void {
    const rows: Row[] = []
    this.counts.clear()
    for (const s of sources) {
      const part = this.sourceRows.get(s.id)
      if (part) for (const r of part) rows.push(r)
      for (const [k, n] of this.sourceCounts.get(s.id) ?? []) this.counts.set(k, n)
    }
    this.rows = rows
    this.apply()
  }

  /** Re-apply the filters and grouping, then render. */
  apply(): void {
    const t = this.filterText
    const c = this.cacheFilter
    const items: Item[] = []
    let group: GroupItem | undefined
    let total = 0
    let shown = 0
    for (const r of this.rows) {
      if (c !== '' && `${r.source.id}|${r.entry.cache}` !== c) continue
      if (t !== '' && !hayOf(r).includes(t)) continue
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
      items.push(r)
      shown++
    }
    this.items = items
    this.shown = shown
    this.dom.spacer.style.height = `${items.length * ROW_H}px`
    this.dom.count.textContent = `${total} / ${this.rows.length} entries`
    // The entry view closes when the filter hides its row.
    if (this.selected && !items.some((i) => i.kind === 'row' && this.isSelected(i))) this.hooks.hide()
    this.render()
  }

  /**
   * Render the rows in view (plus a small overscan). Each index keeps its element (slot
   * `index % pool`), so a scroll fills only the rows that came into view; `force` refills every
   * row (countdowns, selection, a new list). No layout is read: the viewport's height comes from
   * a ResizeObserver, and scroll events render once per animation frame.
   */
  render(force = true): void {
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
      else fillRow(rowEl, item, i, now, this.selected)
    }
    // Slots with no row in view this time: hidden and emptied (no stale key or source on them).
    for (let i = 0; i < slots.length; i++) {
      const rowEl = slots[i] as HTMLElement
      if (used[i] || rowEl.hidden) continue
      rowEl.hidden = true
      for (const k of Object.keys(rowEl.dataset)) delete rowEl.dataset[k]
    }
  }

  private scheduleRows(): void {
    if (this.rowsFrame !== 0) return
    this.rowsFrame = requestAnimationFrame(() => {
      this.rowsFrame = 0
      this.render(false)
    })
  }

  private listKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      this.hooks.hide()
      return
    }
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp' && e.key !== 'Enter') return
    e.preventDefault()
    const rowsOnly = this.items.map((it, i) => [it, i] as const).filter(([it]) => it.kind === 'row')
    if (rowsOnly.length === 0) return
    let at = rowsOnly.findIndex(([it]) => it.kind === 'row' && this.isSelected(it))
    if (e.key === 'ArrowDown') at = Math.min(rowsOnly.length - 1, at + 1)
    else if (e.key === 'ArrowUp') at = Math.max(0, at - 1)
    else at = Math.max(0, at)
    const [item, index] = rowsOnly[at] as readonly [Item, number]
    if (item.kind !== 'row') return
    const vp = this.dom.viewport
    if (index * ROW_H < vp.scrollTop) vp.scrollTop = index * ROW_H
    else if ((index + 1) * ROW_H > vp.scrollTop + vp.clientHeight)
      vp.scrollTop = (index + 1) * ROW_H - vp.clientHeight
    this.hooks.select(item)
  }
}
