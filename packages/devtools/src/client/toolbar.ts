/**
 * The entries view's toolbar (text filter, cache picker, group toggle) and the status line:
 * the list does the filtering; this wires the controls to it and draws their options.
 */
import type { EntryList, SourceState } from './list.ts'
import type { Source } from './sources.ts'
import { el, type PanelDom } from './view.ts'

/** Wire the filter input (once per frame, whatever the key rate), the cache picker and the group toggle. */
export function wireToolbar(d: PanelDom, list: EntryList): void {
  let filterFrame = 0
  d.filter.addEventListener('input', () => {
    if (filterFrame !== 0) return
    filterFrame = requestAnimationFrame(() => {
      filterFrame = 0
      list.setFilter(d.filter.value)
    })
  })
  d.cacheSelect.addEventListener('change', () => list.setCacheFilter(d.cacheSelect.value))
  d.group.addEventListener('click', () => {
    list.setGrouped(!list.grouped)
    d.group.setAttribute('aria-pressed', String(list.grouped))
  })
}

/** The cache picker's options: all caches, then each source's caches; keeps `current` when it still exists. */
export function renderCacheSelect(
  sel: HTMLSelectElement,
  sources: readonly Source[],
  state: ReadonlyMap<string, SourceState>,
  current: string,
): void {
  const opts: Array<[string, string]> = [['', 'all caches']]
  for (const s of sources) {
    for (const c of state.get(s.id)?.caches.values() ?? []) {
      opts.push([`${s.id}|${c.id}`, `${s.label} · ${c.alias} (${c.backend})`])
    }
  }
  sel.replaceChildren(...opts.map(([v, label]) => el('option', { value: v }, label)))
  sel.value = opts.some(([v]) => v === current) ? current : ''
}

/** The status line: each source's error and truncated list, joined (the full text in its title). */
export function renderStatus(
  status: HTMLElement,
  sources: readonly Source[],
  state: ReadonlyMap<string, SourceState>,
): void {
  const problems: string[] = []
  for (const s of sources) {
    const st = state.get(s.id)
    if (st?.error) problems.push(`${s.label}: ${st.error}`)
    if (st?.truncated) problems.push(`${s.label}: list truncated`)
  }
  const text = problems.join(' · ')
  status.textContent = text
  status.title = problems.join('\n')
  status.classList.toggle('long', text.length > 90)
}
