/** The panel's static DOM skeleton (built once; the panel fills it). */

/** Create an element with attributes and children. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  e.append(...children)
  return e
}

/** The SVG namespace element helper (charts). */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Node[]
): SVGElementTagNameMap[K] {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag)
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v)
  e.append(...children)
  return e
}

/** The views of the panel, in tab order. */
export const VIEWS = ['entries', 'timeline', 'caches'] as const
/** One view's id. */
export type ViewName = (typeof VIEWS)[number]

/**
 * The tab bar: a click shows its view; arrow keys, Home and End move between tabs (the ARIA
 * tabs pattern) and focus the tab shown.
 */
export function wireTabs(
  tabs: Record<ViewName, HTMLButtonElement>,
  current: () => ViewName,
  show: (v: ViewName) => void,
): void {
  for (const v of VIEWS) tabs[v].addEventListener('click', () => show(v))
  tabs.entries.parentElement?.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft' && e.key !== 'Home' && e.key !== 'End') return
    e.preventDefault()
    const i = VIEWS.indexOf(current())
    const next =
      e.key === 'Home'
        ? 0
        : e.key === 'End'
          ? VIEWS.length - 1
          : (i + (e.key === 'ArrowRight' ? 1 : VIEWS.length - 1)) % VIEWS.length
    show(VIEWS[next] as ViewName)
    tabs[VIEWS[next] as ViewName].focus()
  })
}

/** Handles on the parts of the panel the code updates. */
export interface PanelDom {
  wrap: HTMLElement
  toggle: HTMLButtonElement
  panel: HTMLElement
  resize: HTMLElement
  tabs: Record<ViewName, HTMLButtonElement>
  views: Record<ViewName, HTMLElement>
  side: HTMLButtonElement
  close: HTMLButtonElement
  refresh: HTMLButtonElement
  status: HTMLElement
  // Entries view.
  filter: HTMLInputElement
  cacheSelect: HTMLSelectElement
  group: HTMLButtonElement
  count: HTMLElement
  split: HTMLElement
  viewport: HTMLElement
  spacer: HTMLElement
  rowsHost: HTMLElement
  detail: HTMLElement
  detailMeta: HTMLElement
  detailActions: HTMLElement
  detailValue: HTMLElement
  // Timeline view.
  tlSource: HTMLSelectElement
  tlCache: HTMLSelectElement
  tlType: HTMLSelectElement
  tlKey: HTMLInputElement
  tlPause: HTMLButtonElement
  tlClear: HTMLButtonElement
  tlCount: HTMLElement
  tlViewport: HTMLElement
  tlSpacer: HTMLElement
  tlRows: HTMLElement
  // Caches view.
  cards: HTMLElement
}

const LABELS: Record<ViewName, string> = {
  entries: 'Entries',
  timeline: 'Timeline',
  caches: 'Caches & charts',
}

/** Build the skeleton: toggle button, dock with its resize edge, tab bar and three views. */
export function buildPanelDom(shortcut: string): PanelDom {
  const toggle = el(
    'button',
    {
      class: 'cw-toggle',
      title: `cachework devtools (${shortcut})`,
      'aria-label': 'open cachework devtools',
    },
    'cachework',
  )
  const resize = el('div', {
    class: 'cw-resize',
    role: 'separator',
    tabindex: '0',
    'aria-label': 'resize the devtools (drag, or arrow keys)',
  })
  const close = el(
    'button',
    { 'data-action': 'close', title: `close (${shortcut})`, 'aria-label': 'close devtools' },
    '×',
  )
  const refresh = el('button', { 'data-action': 'refresh', 'aria-label': 'refresh every source' }, 'refresh')
  const side = el('button', { 'data-action': 'side', 'aria-label': 'dock to the right' }, '⇥ right')
  const status = el('span', { class: 'cw-status', role: 'status', 'aria-live': 'polite' })
  const tabList = el('div', { class: 'cw-tabs', role: 'tablist', 'aria-label': 'devtools views' })
  const tabs = {} as Record<ViewName, HTMLButtonElement>
  const views = {} as Record<ViewName, HTMLElement>
  for (const v of VIEWS) {
    tabs[v] = el(
      'button',
      {
        role: 'tab',
        id: `cw-tab-${v}`,
        'aria-controls': `cw-view-${v}`,
        'aria-selected': String(v === 'entries'),
        tabindex: v === 'entries' ? '0' : '-1',
        'data-view': v,
      },
      LABELS[v],
    )
    tabList.append(tabs[v])
  }

  // Entries.
  const filter = el('input', {
    type: 'search',
    placeholder: 'filter keys, URLs, values, aliases…',
    'aria-label': 'filter',
  })
  const cacheSelect = el('select', { 'aria-label': 'cache' })
  const group = el(
    'button',
    { 'data-action': 'group', 'aria-pressed': 'true', title: 'group keys by prefix and version' },
    'group',
  )
  const count = el('span', { class: 'cw-count', 'aria-live': 'polite' })
  const head = el(
    'div',
    { class: 'cw-head', role: 'presentation' },
    ...['source', 'cache', 'key', 'v', 'expires in', 'size', 'value'].map((h) => el('span', {}, h)),
  )
  const rowsHost = el('div', { class: 'cw-rows' })
  const spacer = el('div', { class: 'cw-spacer' }, rowsHost)
  const viewport = el(
    'div',
    { class: 'cw-viewport', role: 'listbox', tabindex: '0', 'aria-label': 'entries' },
    spacer,
  )
  const detailMeta = el('div', { class: 'meta' })
  const detailActions = el('div', { class: 'actions', role: 'toolbar', 'aria-label': 'entry actions' })
  const detailValue = el('div', { class: 'cw-value' })
  const detail = el(
    'aside',
    { class: 'cw-detail', 'aria-label': 'entry' },
    detailMeta,
    detailActions,
    detailValue,
  )
  detail.hidden = true
  const split = el('div', { class: 'cw-split' }, el('div', { class: 'cw-list' }, head, viewport), detail)
  views.entries = el(
    'div',
    { class: 'cw-view', role: 'tabpanel', id: 'cw-view-entries', 'aria-labelledby': 'cw-tab-entries' },
    el('div', { class: 'cw-tools' }, filter, cacheSelect, group, count),
    split,
  )

  // Timeline.
  const tlSource = el('select', { 'aria-label': 'event source' })
  const tlCache = el('select', { 'aria-label': 'event cache' })
  const tlType = el('select', { 'aria-label': 'event type' })
  const tlKey = el('input', { type: 'search', placeholder: 'key or URL…', 'aria-label': 'event key' })
  const tlPause = el('button', { 'data-action': 'pause', 'aria-pressed': 'false' }, 'pause')
  const tlClear = el('button', { 'data-action': 'clear-timeline' }, 'clear')
  const tlCount = el('span', { class: 'cw-count', 'aria-live': 'polite' })
  const tlHead = el(
    'div',
    { class: 'cw-tl-head', role: 'presentation' },
    ...['time', 'source', 'cache', 'event', 'key / URL', 'detail'].map((h) => el('span', {}, h)),
  )
  const tlRows = el('div', { class: 'cw-rows' })
  const tlSpacer = el('div', { class: 'cw-spacer' }, tlRows)
  const tlViewport = el(
    'div',
    { class: 'cw-viewport', role: 'log', tabindex: '0', 'aria-label': 'events' },
    tlSpacer,
  )
  views.timeline = el(
    'div',
    { class: 'cw-view', role: 'tabpanel', id: 'cw-view-timeline', 'aria-labelledby': 'cw-tab-timeline' },
    el('div', { class: 'cw-tools' }, tlSource, tlCache, tlType, tlKey, tlPause, tlClear, tlCount),
    el('div', { class: 'cw-tl' }, tlHead, tlViewport),
  )
  views.timeline.hidden = true

  // Caches & charts.
  const cards = el('div', { class: 'cw-cards', role: 'list', 'aria-label': 'caches' })
  views.caches = el(
    'div',
    { class: 'cw-view', role: 'tabpanel', id: 'cw-view-caches', 'aria-labelledby': 'cw-tab-caches' },
    el(
      'div',
      { class: 'cw-tools' },
      el(
        'span',
        { class: 'cw-note' },
        'per cache: hit rate and operations per second over the last 5 minutes',
      ),
    ),
    cards,
  )
  views.caches.hidden = true

  const panel = el(
    'section',
    { class: 'cw-panel', role: 'region', 'aria-label': 'cachework devtools' },
    resize,
    el('header', { class: 'cw-bar' }, el('strong', {}, 'cachework'), tabList, status, side, refresh, close),
    el('div', { class: 'cw-body' }, views.entries, views.timeline, views.caches),
  )
  panel.hidden = true
  const wrap = el('div', { class: 'cw' }, toggle, panel)
  return {
    wrap,
    toggle,
    panel,
    resize,
    tabs,
    views,
    side,
    close,
    refresh,
    status,
    filter,
    cacheSelect,
    group,
    count,
    split,
    viewport,
    spacer,
    rowsHost,
    detail,
    detailMeta,
    detailActions,
    detailValue,
    tlSource,
    tlCache,
    tlType,
    tlKey,
    tlPause,
    tlClear,
    tlCount,
    tlViewport,
    tlSpacer,
    tlRows,
    cards,
  }
}
