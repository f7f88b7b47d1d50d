/** Rows of the virtualised entry list (entries and prefix groups) and the remembered state. */
import type { WireCache, WireEntry } from '@cachework/core/inspect'
import { formatExpiresIn, formatSize } from './format.ts'
import { lifeLeft } from './labels.ts'
import type { Source } from './sources.ts'
import { el } from './view.ts'

/** Height of one list row in pixels (the virtual list positions rows by index × this). */
export const ROW_H = 24

/** One listed entry with where it lives; it is its own line of the list (no wrapper per filter). */
export interface Row {
  kind: 'row'
  source: Source
  cache: WireCache | undefined
  entry: WireEntry
  /** Lower-cased text the filter searches: `''` until a filter first needs it (`hayOf`). */
  hay: string
  /** What the key stands for (a URL for stored pages). */
  label: string
  /** `source|cache|prefix|version`: the group it is listed under. */
  group: string
  /** When the panel first saw this entry (the start of its TTL bar when its set time is unknown). */
  seen: number
}

/** A group header of the list. */
export interface GroupItem {
  kind: 'group'
  id: string
  label: string
  count: number
  collapsed: boolean
}

/** One line of the list: a group header or an entry. */
export type Item = GroupItem | Row

/**
 * The text the filter searches (alias, key, label, raw key, preview; lower-cased), made the first
 * time a filter needs it rather than for every entry at open.
 */
export function hayOf(r: Row): string {
  if (r.hay === '') {
    const e = r.entry
    r.hay =
      `${r.cache?.alias ?? ''}\u0000${e.key ?? e.rawKey}\u0000${r.label}\u0000${e.rawKey}\u0000${e.preview}`.toLowerCase()
  }
  return r.hay
}

/** Set a cell's text, keeping its text node (a scroll frame creates no nodes). */
export function setText(cell: HTMLElement, t: string): void {
  const n = cell.firstChild
  if (n !== null && n.nodeType === 3 && n.nextSibling === null) {
    if ((n as Text).data !== t) (n as Text).data = t
  } else if (t !== '' || n !== null) cell.textContent = t
}

/**
 * What identifies an entry across re-lists: its caller key, else its raw key. A lease item
 * shares its entry's key (rule 16), so it gets an id of its own.
 */
export function entryId(e: WireEntry): string {
  return e.state === 'leased' ? `${e.key ?? e.rawKey} (lease)` : (e.key ?? e.rawKey)
}

/** The TTL cell of an entry: bar share (null = full), bar class, text, and what it means. */
export interface LifeCell {
  left: number | null
  cls: string
  text: string
  title: string
}

/**
 * The TTL cell by stampede state (docs/contract.md rule 16): a fresh entry with a soft expiry
 * counts down its fresh life; a stale one the time it may still be served stale; a refreshing
 * one says so; a lease item counts down the lease.
 */
export function lifeCell(entry: WireEntry, seen: number, now: number): LifeCell {
  const soft = entry.softExpiresAt
  const until = formatExpiresIn(entry.expiresAt, now)
  switch (entry.state) {
    case 'leased':
      return {
        left: lifeLeft(entry, seen, now),
        cls: 'lease',
        text: `leased ${until}`,
        title: `lease held by ${entry.leaseHolder ?? 'another caller'}; it ends in ${until}`,
      }
    case 'refreshing':
      return {
        left: lifeLeft(entry, seen, now),
        cls: 'refresh',
        text: 'refreshing',
        title: 'being recomputed in the background; callers get the stale value meanwhile',
      }
    case 'stale': {
      const exp = entry.expiresAt
      const left =
        exp === null || soft === undefined || exp <= soft
          ? exp === null
            ? null
            : 0
          : Math.min(1, Math.max(0, (exp - now) / (exp - soft)))
      return {
        left,
        cls: 'stale',
        text: `stale ${until}`,
        title: `stale: served while one caller refreshes it, for ${until} more`,
      }
    }
    default: {
      if (soft !== undefined) {
        const fresh = { ...entry, expiresAt: soft }
        const left = lifeLeft(fresh, seen, now)
        return {
          left,
          cls: left !== null && left < 0.2 ? 'low' : '',
          text: formatExpiresIn(soft, now),
          title: `fresh for ${formatExpiresIn(soft, now)}, then served stale until it expires in ${until}`,
        }
      }
      const left = lifeLeft(entry, seen, now)
      return {
        left,
        cls: left === null ? '' : left <= 0 ? 'out' : left < 0.2 ? 'low' : '',
        text: until,
        title: `expires in ${until}`,
      }
    }
  }
}

/** A row element with its seven cells. */
export function newRowEl(): HTMLElement {
  const row = el('div', { class: 'cw-row', role: 'option' })
  for (let i = 0; i < 7; i++) row.append(document.createElement('span'))
  return row
}

function reset(rowEl: HTMLElement, group: boolean): void {
  if (rowEl.classList.contains('cw-group') === group) return
  rowEl.className = group ? 'cw-row cw-group' : 'cw-row'
  rowEl.replaceChildren()
  const n = group ? 2 : 7
  for (let i = 0; i < n; i++) rowEl.append(document.createElement('span'))
  for (const k of Object.keys(rowEl.dataset)) delete rowEl.dataset[k]
}

/** Fill a recycled row element with a group header. */
export function fillGroup(rowEl: HTMLElement, g: GroupItem, index: number): void {
  reset(rowEl, true)
  rowEl.style.top = `${index * ROW_H}px`
  rowEl.dataset.index = String(index)
  rowEl.dataset.group = g.id
  rowEl.setAttribute('role', 'option')
  rowEl.setAttribute('aria-expanded', String(!g.collapsed))
  rowEl.setAttribute('aria-selected', 'false')
  setText(rowEl.children[0] as HTMLElement, `${g.collapsed ? '▸' : '▾'} ${g.label}`)
  setText(rowEl.children[1] as HTMLElement, `${g.count}`)
  ;(rowEl.children[1] as HTMLElement).className = 'n'
}

/** Fill a recycled row element with one entry (text only: never HTML). */
export function fillRow(
  rowEl: HTMLElement,
  row: Row,
  index: number,
  now: number,
  selected: { source: string; cache: string; id: string } | null,
): void {
  reset(rowEl, false)
  const { entry, cache, source } = row
  rowEl.style.top = `${index * ROW_H}px`
  rowEl.dataset.index = String(index)
  rowEl.dataset.source = source.id
  rowEl.dataset.alias = cache?.alias ?? ''
  rowEl.dataset.key = entry.key ?? entry.rawKey
  rowEl.dataset.version = entry.version === undefined ? '' : String(entry.version)
  rowEl.dataset.state = entry.state ?? ''
  if (entry.http?.url) rowEl.dataset.url = entry.http.url
  else delete rowEl.dataset.url
  rowEl.removeAttribute('aria-expanded')
  const isSel =
    selected !== null &&
    selected.source === source.id &&
    selected.cache === entry.cache &&
    selected.id === entryId(entry)
  rowEl.classList.toggle('sel', isSel)
  rowEl.setAttribute('aria-selected', String(isSel))
  const texts = [
    source.label,
    cache ? `${cache.alias} · ${cache.backend}` : entry.cache,
    row.label,
    entry.version === undefined ? '' : String(entry.version),
    null,
    formatSize(entry.size),
    entry.preview,
  ]
  const cells = rowEl.children
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i]
    if (t === null || t === undefined) continue
    setText(cells[i] as HTMLElement, t)
  }
  ;(cells[0] as HTMLElement).className = 'cw-src'
  ;(cells[2] as HTMLElement).title =
    row.label === (entry.key ?? entry.rawKey) ? row.label : `${row.label}\n${entry.key ?? entry.rawKey}`
  const ttl = cells[4] as HTMLElement
  ttl.className = 'cw-ttl'
  ttl.dataset.col = 'expires'
  const life = lifeCell(entry, row.seen, now)
  let bar = ttl.firstElementChild as HTMLElement | null
  let text = ttl.lastElementChild as HTMLElement | null
  if (bar?.tagName !== 'I') {
    bar = el('i', { 'aria-hidden': 'true' }, el('b'))
    text = el('span')
    ttl.replaceChildren(bar, text)
  }
  const fill = bar.firstElementChild as HTMLElement
  fill.style.width = life.left === null ? '100%' : `${Math.round(life.left * 100)}%`
  fill.className = life.cls
  if (ttl.title !== life.title) ttl.title = life.title
  if (text) setText(text, life.text)
}

/** localStorage read that survives disabled storage. */
export function readStorage(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}

/** localStorage write that survives disabled storage. */
export function writeStorage(key: string, value: string): void {
  try {
    localStorage.setItem(key, value)
  } catch {
    // Storage disabled: the panel just does not remember.
  }
}
