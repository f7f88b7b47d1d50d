/**
 * The value explorer: a `ValueNode` tree (core's `describeValue`) as nested `<details>`, each
 * labelled with its type (`Map(2)`, `Set(1)`, `Uint8Array(16)`, `Date`, `12n`, `[Circular *1]`).
 * Text only: values never become HTML.
 */
import type { ValueNode } from '@cachework/core/inspect'
import { el } from './view.ts'

function scalar(n: ValueNode): { text: string; cls: string } | null {
  switch (n.t) {
    case 'null':
    case 'undefined':
      return { text: n.t, cls: `v-${n.t}` }
    case 'bool':
      return { text: String(n.v), cls: 'v-bool' }
    case 'num':
      return { text: n.v, cls: 'v-num' }
    case 'bigint':
      return { text: `${n.v}n`, cls: 'v-bigint' }
    case 'str':
      return { text: JSON.stringify(n.v) + (n.len > n.v.length ? `… (${n.len} chars)` : ''), cls: 'v-str' }
    case 'date':
      return { text: `Date ${n.v}`, cls: 'v-date' }
    case 'regexp':
      return { text: n.v, cls: 'v-regexp' }
    case 'symbol':
      return { text: `Symbol(${n.v})`, cls: 'v-fn' }
    case 'fn':
      return { text: n.v === 'getter' ? '[getter]' : `[function ${n.v}]`, cls: 'v-fn' }
    case 'error':
      return { text: `${n.name}: ${n.message}`, cls: 'v-date' }
    case 'ref':
      return { text: `[Circular *${n.id}]`, cls: 'v-ref' }
    case 'cut':
      return { text: `${n.cls} …`, cls: 'v-cut' }
    default:
      return null
  }
}

/** The type label of a container node (`Map(2)`, `Array(3)`, `Point`). */
export function typeLabel(n: ValueNode): string {
  switch (n.t) {
    case 'array':
      return `Array(${n.len})`
    case 'map':
      return `Map(${n.size})`
    case 'set':
      return `Set(${n.size})`
    case 'typed':
      return `${n.cls}(${n.len})`
    case 'object':
      return n.cls === 'Object' ? `{${n.entries.length + n.more}}` : `${n.cls} {${n.entries.length + n.more}}`
    default:
      return n.t
  }
}

function children(n: ValueNode): Array<[string | ValueNode, ValueNode]> {
  switch (n.t) {
    case 'array':
      return n.items.map((v, i) => [String(i), v])
    case 'map':
      return n.entries
    case 'set':
      return n.items.map((v, i) => [String(i), v])
    case 'object':
      return n.entries
    case 'typed':
      return n.items.map((v, i) => [String(i), { t: 'num', v }])
    default:
      return []
  }
}

function keyText(k: string | ValueNode): string {
  if (typeof k === 'string') return k
  const s = scalar(k)
  return s ? s.text : typeLabel(k)
}

function node(key: string | ValueNode | null, n: ValueNode, depth: number): HTMLElement {
  const s = scalar(n)
  const keyEl =
    key === null
      ? null
      : el(
          'span',
          { class: 'k' },
          `${keyText(key)}${n.t === 'map' || typeof key !== 'string' ? ' =>' : ':'} `,
        )
  if (s) {
    const leaf = el('div', { class: 'leaf' }, el('span', { class: s.cls }, s.text))
    if (keyEl) leaf.prepend(keyEl)
    return leaf
  }
  const kids = children(n)
  const shown = kids.length
  const total =
    n.t === 'array' || n.t === 'typed'
      ? n.len
      : n.t === 'map' || n.t === 'set'
        ? n.size
        : n.t === 'object'
          ? n.entries.length + n.more
          : shown
  const id = 'id' in n ? ` *${n.id}` : ''
  const summary = el('summary', {}, el('span', { class: 'ty' }, `${typeLabel(n)}${id}`))
  if (keyEl) summary.prepend(keyEl)
  const d = el('details', { 'data-type': n.t }, summary)
  d.open = depth < 2
  // Children are built on first open, so a large value costs only what is looked at.
  let built = false
  const build = (): void => {
    if (built) return
    built = true
    for (const [k, v] of kids) d.append(node(k, v, depth + 1))
    if (total > shown) d.append(el('div', { class: 'leaf v-cut' }, `… ${total - shown} more`))
  }
  if (d.open) build()
  d.addEventListener('toggle', build)
  return d
}

/** Render a value tree. */
export function renderTree(n: ValueNode): HTMLElement {
  return el('div', { class: 'cw-tree', role: 'tree', 'aria-label': 'value' }, node(null, n, 0))
}

/** A JSON value (a parsed body) as a `ValueNode`, to show it with the same explorer. */
export function jsonToNode(v: unknown): ValueNode {
  let id = 0
  const walk = (x: unknown): ValueNode => {
    if (x === null) return { t: 'null' }
    if (typeof x === 'string') return { t: 'str', v: x, len: x.length }
    if (typeof x === 'number') return { t: 'num', v: String(x) }
    if (typeof x === 'boolean') return { t: 'bool', v: x }
    if (Array.isArray(x)) return { t: 'array', id: ++id, len: x.length, items: x.slice(0, 500).map(walk) }
    const entries = Object.entries(x as Record<string, unknown>)
    return {
      t: 'object',
      id: ++id,
      cls: 'Object',
      entries: entries.slice(0, 500).map(([k, y]) => [k, walk(y)]),
      more: Math.max(0, entries.length - 500),
    }
  }
  return walk(v)
}
