/**
 * The entry view: what the entry stands for (URL, key, raw key, version, size, tags, a TTL
 * bar), its actions (copy key, delete, bump version, extend TTL, edit a JSON value, invalidate
 * a tag) and its value: an HTTP response view, or the typed value explorer with a text view.
 */
import type { WireValue } from '@cachework/core/inspect'
import { formatExpiresIn, formatSize } from './format.ts'
import { renderHttp } from './http-view.ts'
import { lifeLeft } from './labels.ts'
import type { Row } from './rows.ts'
import { renderTree } from './tree.ts'
import { el, type PanelDom } from './view.ts'

/** What the entry view needs from the panel. */
export interface DetailContext {
  /** Whether this entry is still the selected one (answers arrive late). */
  isCurrent(): boolean
  /** Run an action against the entry's source, then re-list it. */
  act(fn: () => Promise<unknown>): Promise<void>
  close(): void
  status(text: string): void
}

const TEXT_CHARS = 4000

function versioned<T extends object>(op: T, version: number | undefined): T & { version?: number } {
  return version === undefined ? op : { ...op, version }
}

function meta(row: Row, now: number): HTMLElement[] {
  const { entry, cache, source } = row
  const key = entry.key ?? entry.rawKey
  const left = lifeLeft(entry, row.seen, now)
  const bar = el(
    'span',
    { class: 'cw-ttl', 'data-col': 'detail-expires' },
    el('i', { 'aria-hidden': 'true' }, el('b')),
    el('span', {}, `expires in ${formatExpiresIn(entry.expiresAt, now)}`),
  )
  const fill = (bar.firstElementChild as HTMLElement).firstElementChild as HTMLElement
  fill.style.width = left === null ? '100%' : `${Math.round(left * 100)}%`
  const out: HTMLElement[] = [el('div', { class: 'label', 'data-part': 'label' }, row.label)]
  if (row.label !== key) out.push(el('div', {}, el('span', { class: 'muted' }, 'key '), key))
  out.push(
    el('div', {}, el('span', { class: 'muted' }, 'raw key '), entry.rawKey),
    el(
      'div',
      {},
      `${source.label} · ${cache?.alias ?? entry.cache} (${cache?.backend ?? '?'}) · version ${entry.version ?? '–'} · `,
      el('span', { 'data-part': 'size' }, formatSize(entry.size) || 'size –'),
    ),
  )
  if (entry.tags?.length)
    out.push(el('div', {}, el('span', { class: 'muted' }, 'tags '), entry.tags.join(', ')))
  if (entry.state) out.push(stateLine(entry, now))
  out.push(bar)
  return out
}

/** The entry's stampede state in words (docs/contract.md rule 16). */
function stateLine(entry: Row['entry'], now: number): HTMLElement {
  const soft = entry.softExpiresAt
  const until = formatExpiresIn(entry.expiresAt, now)
  const at = (ms: number): string => new Date(ms).toLocaleTimeString()
  const why =
    entry.state === 'leased'
      ? `held by ${entry.leaseHolder ?? 'another caller'}: that caller computes ${entry.key ?? entry.rawKey}, the others wait for it; the lease ends in ${until}`
      : entry.state === 'refreshing'
        ? 'being recomputed in the background by its process; callers get the stale value meanwhile'
        : entry.state === 'stale'
          ? `soft-expired${soft === undefined ? '' : ` at ${at(soft)}`}; served stale for ${until} more while one caller refreshes it`
          : soft === undefined
            ? 'fresh'
            : `fresh until ${at(soft)} (${formatExpiresIn(soft, now)}), then served stale until it expires in ${until}`
  const line = el(
    'div',
    { 'data-part': 'state' },
    el('span', { class: 'muted' }, 'state '),
    el('b', { class: `cw-state s-${entry.state}` }, entry.state ?? ''),
    ` · ${why}`,
  )
  if (entry.leaseHolder) line.dataset.holder = entry.leaseHolder
  return line
}

function textView(text: string): HTMLElement {
  const pre = el(
    'pre',
    { 'data-view': 'text' },
    text.length > TEXT_CHARS ? `${text.slice(0, TEXT_CHARS)}…` : text,
  )
  if (text.length <= TEXT_CHARS) return pre
  const more = el('button', { 'data-action': 'more' }, `show more (${text.length} chars)`)
  more.addEventListener('click', () => {
    pre.textContent = text
    more.remove()
  })
  return el('div', {}, more, pre)
}

/** Show the value: HTTP view, or tree and text with a switch between them. */
function showValue(d: PanelDom, row: Row, v: WireValue): void {
  const host = d.detailValue
  if (v.http) {
    host.replaceChildren(renderHttp(v.http, row.entry.expiresAt, Date.now()))
    return
  }
  if (v.text === null) {
    host.replaceChildren(el('pre', {}, row.entry.preview || '(the entry is gone)'))
    return
  }
  const text = v.text
  const treeBtn = el('button', { 'data-action': 'show-tree', 'aria-pressed': 'true' }, 'tree')
  const textBtn = el('button', { 'data-action': 'show-text', 'aria-pressed': 'false' }, 'text')
  const body = el('div')
  const showTree = (on: boolean): void => {
    treeBtn.setAttribute('aria-pressed', String(on))
    textBtn.setAttribute('aria-pressed', String(!on))
    body.replaceChildren(on && v.tree ? renderTree(v.tree) : textView(text))
  }
  treeBtn.addEventListener('click', () => showTree(true))
  textBtn.addEventListener('click', () => showTree(false))
  host.replaceChildren(
    el('div', { class: 'actions', role: 'group', 'aria-label': 'value view' }, treeBtn, textBtn),
    body,
  )
  showTree(v.tree !== undefined && text.length <= TEXT_CHARS * 50)
}

const TTL_LABEL = 'new lifetime in seconds'

/** Render the entry view for `row`; with `again`, only refresh it (keeping an edit in progress). */
export async function renderDetail(d: PanelDom, row: Row, again: boolean, ctx: DetailContext): Promise<void> {
  const { source, entry, cache } = row
  const key = entry.key ?? (source.id === 'sw' ? entry.rawKey : undefined)
  // A refresh rebuilds the actions when the entry changed (a live update): the TTL box is kept,
  // so a lifetime being typed into it stays, with its focus, instead of going back to 300.
  const typed = again
    ? d.detailActions.querySelector<HTMLInputElement>(`input[aria-label="${TTL_LABEL}"]`)
    : null
  d.detail.dataset.source = source.id
  d.detail.dataset.key = entry.key ?? entry.rawKey
  d.detail.dataset.version = entry.version === undefined ? '' : String(entry.version)
  d.detailMeta.replaceChildren(...meta(row, Date.now()))
  const fresh = `${entry.preview}|${entry.expiresAt}|${entry.version}`
  if (again && d.detail.dataset.shown === fresh) return
  if (again && d.detailValue.querySelector('textarea')) return
  d.detail.dataset.shown = fresh

  const button = (action: string, label: string, title?: string): HTMLButtonElement =>
    el('button', title ? { 'data-action': action, title } : { 'data-action': action }, label)
  const copy = button('copy', 'copy key', 'copy the key to the clipboard')
  copy.addEventListener('click', () => {
    const k = entry.key ?? entry.rawKey
    navigator.clipboard?.writeText(k).then(
      () => ctx.status(`copied ${k}`),
      () => ctx.status(`could not copy; the key is ${k}`),
    )
  })
  const del = button('delete', 'delete')
  const bump = button('bump', 'bump version')
  // The same element, not a copy of its value: its caret and selection stay with it too.
  const ttl = typed ?? el('input', { type: 'number', min: '1', value: '300', 'aria-label': TTL_LABEL })
  ttl.disabled = false
  const typing = typed?.matches(':focus') ?? false
  const touch = button('touch', 'extend TTL', 'touch: expire this many seconds from now')
  const edit = button('edit', 'edit', 'edit the value as JSON')
  const close = el('button', { 'data-action': 'close-detail', 'aria-label': 'close the entry view' }, '×')
  close.addEventListener('click', () => ctx.close())
  const noKey = 'this cache uses a custom key function: the caller key is unknown'
  if (key === undefined) {
    del.disabled = true
    del.title = noKey
  }
  const sw = source.id === 'sw'
  // A lease item shares its entry's key: the entry's actions would hit the entry, not the lease.
  const lease = entry.state === 'leased'
  if (lease) {
    del.disabled = true
    del.title = 'a lease ends by itself (its holder releases it, or it runs out)'
  }
  if (entry.key === undefined || sw || lease) bump.disabled = touch.disabled = ttl.disabled = true
  edit.disabled = true
  del.addEventListener('click', () => {
    if (key === undefined || lease) return
    ctx.close()
    void ctx.act(() => source.run(versioned({ op: 'delete', cache: entry.cache, key }, entry.version)))
  })
  bump.addEventListener('click', () => {
    if (entry.key === undefined) return
    const k = entry.key
    void ctx.act(() => source.run(versioned({ op: 'bump', cache: entry.cache, key: k }, entry.version)))
  })
  touch.addEventListener('click', () => {
    if (entry.key === undefined) return
    const k = entry.key
    const seconds = Number(ttl.value)
    if (!Number.isFinite(seconds) || seconds <= 0) {
      ctx.status('extend TTL: give a positive number of seconds')
      return
    }
    void ctx.act(() =>
      source.run(versioned({ op: 'touch', cache: entry.cache, key: k, timeout: seconds }, entry.version)),
    )
  })
  const tagButtons = (cache?.tags ? (entry.tags ?? []) : []).map((tag) => {
    const b = button('invalidate-tag', `invalidate #${tag}`, `invalidateTags(['${tag}'])`)
    b.dataset.tag = tag
    b.addEventListener(
      'click',
      () => void ctx.act(() => source.run({ op: 'invalidateTags', cache: entry.cache, tags: [tag] })),
    )
    return b
  })
  d.detailActions.replaceChildren(copy, del, bump, ttl, touch, edit, ...tagButtons, close)
  if (typing) ttl.focus()
  d.detailValue.replaceChildren(el('pre', {}, entry.preview))
  let v: WireValue
  try {
    v = (await source.run({ op: 'value', cache: entry.cache, rawKey: entry.rawKey })) as WireValue
  } catch (e) {
    if (ctx.isCurrent())
      d.detailValue.replaceChildren(el('pre', {}, `(${e instanceof Error ? e.message : String(e)})`))
    return
  }
  if (!ctx.isCurrent()) return
  const size = d.detailMeta.querySelector('[data-part="size"]')
  if (size && entry.size === undefined && v.size !== undefined) size.textContent = formatSize(v.size)
  showValue(d, row, v)
  if (v.json !== undefined && entry.key !== undefined && !sw && !lease) {
    const json = v.json
    const k = entry.key
    edit.disabled = false
    edit.addEventListener('click', () => {
      const area = el('textarea', { 'aria-label': 'value as JSON', spellcheck: 'false' })
      area.value = json
      const save = button('save', 'save')
      const cancel = button('cancel', 'cancel')
      const err = el('span', { class: 'cw-count', role: 'alert' })
      cancel.addEventListener('click', () => showValue(d, row, v))
      save.addEventListener('click', () => {
        try {
          JSON.parse(area.value)
        } catch (e) {
          err.textContent = `not JSON: ${e instanceof Error ? e.message : String(e)}`
          return
        }
        d.detail.dataset.shown = ''
        d.detailValue.replaceChildren(el('pre', {}, 'saving…'))
        void ctx.act(() =>
          source.run(versioned({ op: 'edit', cache: entry.cache, key: k, json: area.value }, entry.version)),
        )
      })
      d.detailValue.replaceChildren(area, el('div', { class: 'actions' }, save, cancel, err))
      area.focus()
    })
  } else if (v.http === undefined) {
    edit.title = sw
      ? 'the service worker cache cannot be edited'
      : 'only JSON-representable values can be edited'
  }
}
