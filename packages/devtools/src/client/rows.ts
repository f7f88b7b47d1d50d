/** Rows of the virtualised list, the value view and the remembered open state. */
import type { WireCache, WireEntry } from '../protocol.ts'
import { formatExpiresIn, formatSize } from './format.ts'
import type { Source } from './sources.ts'
import { el, type PanelDom } from './view.ts'

/** Height of one list row in pixels (the virtual list positions rows by index × this). */
export const ROW_H = 22
const PREVIEW_CHARS = 4000

/** One listed entry with where it lives. */
export interface Row {
  source: Source
  cache: WireCache | undefined
  entry: WireEntry
  hay: string
}

/** Show a value in the detail view, cut at 4,000 characters with a "show more" button. */
export function showValue(d: PanelDom, text: string): void {
  d.detailValue.textContent = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text
  if (text.length > PREVIEW_CHARS) {
    const more = el('button', { 'data-action': 'more' }, `show more (${text.length} chars)`)
    more.addEventListener('click', () => {
      d.detailValue.textContent = text
      more.remove()
    })
    d.detailActions.append(more)
  }
}

/** What identifies an entry across re-lists: its caller key, else its raw key. */
export function entryId(e: WireEntry): string {
  return e.key ?? e.rawKey
}

/** A row element with its nine cells. */
export function newRowEl(): HTMLElement {
  const row = el('div', { class: 'cw-row' })
  for (let i = 0; i < 9; i++) row.append(document.createElement('span'))
  return row
}

/** Fill a recycled row element with one entry (text only: never HTML). */
export function fillRow(
  rowEl: HTMLElement,
  row: Row,
  index: number,
  now: number,
  selected: { source: string; cache: string; id: string } | null,
): void {
  const { entry, cache, source } = row
  rowEl.style.top = `${index * ROW_H}px`
  rowEl.dataset.index = String(index)
  rowEl.dataset.source = source.id
  rowEl.dataset.alias = cache?.alias ?? ''
  rowEl.dataset.key = entry.key ?? entry.rawKey
  rowEl.dataset.version = entry.version === undefined ? '' : String(entry.version)
  const isSel =
    selected !== null &&
    selected.source === source.id &&
    selected.cache === entry.cache &&
    selected.id === entryId(entry)
  rowEl.classList.toggle('sel', isSel)
  const texts = [
    source.label,
    cache?.alias ?? entry.cache,
    cache?.backend ?? '',
    entry.key ?? '',
    entry.version === undefined ? '' : String(entry.version),
    entry.rawKey,
    formatSize(entry.size),
    formatExpiresIn(entry.expiresAt, now),
    entry.preview,
  ]
  const cells = rowEl.children
  for (let i = 0; i < texts.length; i++) {
    const cell = cells[i] as HTMLElement
    const t = texts[i] as string
    if (cell.textContent !== t) cell.textContent = t
  }
  ;(cells[0] as HTMLElement).className = 'cw-src'
  ;(cells[7] as HTMLElement).dataset.col = 'expires'
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
