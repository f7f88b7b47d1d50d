/** Rows of the virtualised entry list (entries and prefix groups) and the remembered state. */
import type { WireCache, WireEntry } from '../protocol.ts'
import { formatExpiresIn, formatSize } from './format.ts'
import { lifeLeft } from './labels.ts'
import type { Source } from './sources.ts'
import { el } from './view.ts'

/** Height of one list row in pixels (the virtual list positions rows by index × this). */
export const ROW_H = 24

/** One listed entry with where it lives. */
export interface Row {
  source: Source
  cache: WireCache | undefined
  entry: WireEntry
  /** Lower-cased text the filter searches. */
  hay: string
  /** What the key stands for (a URL for stored pages). */
  label: string
  /** `source|cache|prefix|version`: the group it is listed under. */
  group: string
  /** When the panel first saw this entry (the start of its TTL bar when its set time is unknown). */
  seen: number
}

/** One line of the list: a group header or an entry. */
export type Item =
  | { kind: 'group'; id: string; label: string; count: number; collapsed: boolean }
  | { kind: 'row'; row: Row }

/** What identifies an entry across re-lists: its caller key, else its raw key. */
export function entryId(e: WireEntry): string {
  return e.key ?? e.rawKey
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
export function fillGroup(rowEl: HTMLElement, g: Extract<Item, { kind: 'group' }>, index: number): void {
  reset(rowEl, true)
  rowEl.style.top = `${index * ROW_H}px`
  rowEl.dataset.index = String(index)
  rowEl.dataset.group = g.id
  rowEl.setAttribute('role', 'option')
  rowEl.setAttribute('aria-expanded', String(!g.collapsed))
  rowEl.setAttribute('aria-selected', 'false')
  ;(rowEl.children[0] as HTMLElement).textContent = `${g.collapsed ? '▸' : '▾'} ${g.label}`
  ;(rowEl.children[1] as HTMLElement).textContent = `${g.count}`
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
  if (entry.http?.url) rowEl.dataset.url = entry.http.url
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
    const cell = cells[i] as HTMLElement
    if (cell.textContent !== t) cell.textContent = t
  }
  ;(cells[0] as HTMLElement).className = 'cw-src'
  ;(cells[2] as HTMLElement).title =
    row.label === (entry.key ?? entry.rawKey) ? row.label : `${row.label}\n${entry.key ?? entry.rawKey}`
  const ttl = cells[4] as HTMLElement
  ttl.className = 'cw-ttl'
  ttl.dataset.col = 'expires'
  const left = lifeLeft(entry, row.seen, now)
  let bar = ttl.firstElementChild as HTMLElement | null
  let text = ttl.lastElementChild as HTMLElement | null
  if (bar?.tagName !== 'I') {
    bar = el('i', { 'aria-hidden': 'true' }, el('b'))
    text = el('span')
    ttl.replaceChildren(bar, text)
  }
  const fill = bar.firstElementChild as HTMLElement
  fill.style.width = left === null ? '100%' : `${Math.round(left * 100)}%`
  fill.className = left === null ? '' : left <= 0 ? 'out' : left < 0.2 ? 'low' : ''
  const t = formatExpiresIn(entry.expiresAt, now)
  if (text && text.textContent !== t) text.textContent = t
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
