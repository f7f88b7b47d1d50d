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

/** Handles on the parts of the panel the code updates. */
export interface PanelDom {
  wrap: HTMLElement
  toggle: HTMLButtonElement
  panel: HTMLElement
  close: HTMLButtonElement
  refresh: HTMLButtonElement
  filter: HTMLInputElement
  cacheSelect: HTMLSelectElement
  status: HTMLElement
  count: HTMLElement
  statsBody: HTMLElement
  viewport: HTMLElement
  spacer: HTMLElement
  rowsHost: HTMLElement
  detail: HTMLElement
  detailMeta: HTMLElement
  detailActions: HTMLElement
  detailValue: HTMLElement
  log: HTMLElement
}

/** Build the skeleton: toggle button, header, stats table, list, detail, log. */
export function buildPanelDom(): PanelDom {
  const toggle = el('button', { class: 'cw-toggle', title: 'cachework devtools (Alt+Shift+C)' }, 'cachework')
  const close = el('button', { 'data-action': 'close', title: 'close (Alt+Shift+C)' }, '×')
  const refresh = el('button', { 'data-action': 'refresh' }, 'refresh')
  const filter = el('input', {
    type: 'search',
    placeholder: 'filter keys, values, aliases…',
    'aria-label': 'filter',
  })
  const cacheSelect = el('select', { 'aria-label': 'cache' })
  const status = el('span', { class: 'cw-status' })
  const count = el('span', { class: 'cw-count' })
  const statsBody = el('tbody')
  const stats = el(
    'div',
    { class: 'cw-stats' },
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...[
            'source',
            'alias',
            'backend',
            'entries',
            'hits',
            'misses',
            'sets',
            'evictions',
            'hit rate',
            '',
          ].map((h) => el('th', {}, h)),
        ),
      ),
      statsBody,
    ),
  )
  const head = el(
    'div',
    { class: 'cw-head' },
    ...['source', 'alias', 'backend', 'key', 'v', 'raw key', 'size', 'expires in', 'value'].map((h) =>
      el('span', {}, h),
    ),
  )
  const rowsHost = el('div', { class: 'cw-rows' })
  const spacer = el('div', { class: 'cw-spacer' }, rowsHost)
  const viewport = el('div', { class: 'cw-viewport' }, spacer)
  const detailMeta = el('div', { class: 'meta' })
  const detailActions = el('div', { class: 'actions' })
  const detailValue = el('pre', { class: 'value' })
  const detail = el('aside', { class: 'cw-detail' }, detailMeta, detailActions, detailValue)
  detail.hidden = true
  const log = el('div', { class: 'cw-log', 'aria-label': 'operations log' })
  const panel = el(
    'section',
    { class: 'cw-panel', 'aria-label': 'cachework devtools' },
    el('header', {}, el('strong', {}, 'cachework'), filter, cacheSelect, count, status, refresh, close),
    stats,
    el('div', { class: 'cw-main' }, el('div', { class: 'cw-list' }, head, viewport), detail),
    log,
  )
  panel.hidden = true
  const wrap = el('div', { class: 'cw' }, toggle, panel)
  return {
    wrap,
    toggle,
    panel,
    close,
    refresh,
    filter,
    cacheSelect,
    status,
    count,
    statsBody,
    viewport,
    spacer,
    rowsHost,
    detail,
    detailMeta,
    detailActions,
    detailValue,
    log,
  }
}
