/**
 * A stored response (page cache or service worker) as a reader expects it: status line,
 * freshness (fresh or stale, age, remaining lifetime as a bar), headers table, and a body
 * preview: HTML source, a JSON tree, text, or an image.
 */
import type { WireHttp } from '@cachework/core/inspect'
import { formatExpiresIn, formatSize } from './format.ts'
import { freshness } from './labels.ts'
import { jsonToNode, renderTree } from './tree.ts'
import { el } from './view.ts'

const REASONS: Record<number, string> = {
  200: 'OK',
  203: 'Non-Authoritative Information',
  204: 'No Content',
  301: 'Moved Permanently',
  304: 'Not Modified',
  404: 'Not Found',
}

function seconds(s: number): string {
  if (!Number.isFinite(s)) return '∞'
  if (s < 120) return `${s}s`
  if (s < 7200) return `${Math.floor(s / 60)}m ${s % 60}s`
  return `${Math.floor(s / 3600)}h ${Math.floor(s / 60) % 60}m`
}

function bodyPreview(http: WireHttp): HTMLElement {
  const type = (http.headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1] ?? '').toLowerCase()
  if (http.base64) {
    return el('img', {
      src: `data:${type};base64,${http.base64}`,
      alt: `image body (${formatSize(http.size)})`,
      'data-preview': 'image',
    })
  }
  if (http.text === null)
    return el('div', { 'data-preview': 'binary' }, `binary body, ${formatSize(http.size)}`)
  if (type.includes('json')) {
    try {
      const wrap = el('div', { 'data-preview': 'json' })
      wrap.append(renderTree(jsonToNode(JSON.parse(http.text))))
      return wrap
    } catch {
      // Not valid JSON after all: show it as text below.
    }
  }
  const kind = type.includes('html') ? 'html' : 'text'
  return el(
    'pre',
    { 'data-preview': kind, 'aria-label': kind === 'html' ? 'HTML source' : 'body text' },
    http.text,
  )
}

/** Render a stored response; `expiresAt` is the cache entry's expiry (null: never). */
export function renderHttp(http: WireHttp, expiresAt: number | null, now: number): HTMLElement {
  const f = freshness(http, expiresAt, now)
  const share = f.lifetime ? Math.min(1, f.remaining / f.lifetime) : f.fresh ? 1 : 0
  const status = el(
    'div',
    { class: 'status', 'data-part': 'status' },
    `${http.method ? `${http.method} ${http.url ?? ''}\n` : http.url ? `${http.url}\n` : ''}HTTP ${http.status} ${http.statusText || REASONS[http.status] || ''}`.trim(),
  )
  status.style.whiteSpace = 'pre-wrap'
  const fresh = el(
    'div',
    { 'data-part': 'freshness' },
    el('span', { class: f.fresh ? 'fresh' : 'stale' }, f.fresh ? 'fresh' : 'stale'),
    ` · age ${seconds(f.age)} · lifetime ${f.lifetime === null ? 'unknown' : seconds(f.lifetime)} · ${f.fresh ? `${seconds(f.remaining)} left` : 'expired'}`,
    ` · entry expires in ${formatExpiresIn(expiresAt, now)} · stored ${new Date(http.storedAt).toISOString().slice(0, 19)}Z · ${formatSize(http.size)}`,
  )
  const bar = el(
    'div',
    {
      class: 'life',
      role: 'meter',
      'aria-label': 'remaining lifetime',
      'aria-valuemin': '0',
      'aria-valuemax': '100',
      'aria-valuenow': String(Math.round(share * 100)),
    },
    el('b'),
  )
  ;(bar.firstChild as HTMLElement).style.width = `${Math.round(share * 100)}%`
  const rows = http.headers.map(([n, v]) => el('tr', {}, el('th', { scope: 'row' }, n), el('td', {}, v)))
  const headers = el(
    'table',
    { 'data-part': 'headers', 'aria-label': 'response headers' },
    el('tbody', {}, ...rows),
  )
  return el(
    'div',
    { class: 'cw-http' },
    status,
    fresh,
    bar,
    headers,
    el('div', { 'data-part': 'body' }, bodyPreview(http)),
  )
}
