/**
 * Inspection previews (docs/contract.md rule 14; used by devtools on both sides of the wire).
 * A safe text rendering of any value a cache may hold (docs/contract.md rule 12: primitives, `bigint`,
 * `Date`, `RegExp`, `Map`, `Set`, buffers, typed arrays, nested and cyclic objects). It only
 * reads data; it never calls user code (no `toString`/`toJSON` of class instances, no `eval`).
 */

class Full extends Error {}

/** Options of `formatValue`. */
export interface FormatOptions {
  /** Pretty-print over several lines with two-space indents. Default false (one line). */
  pretty?: boolean
  /** Stop after this many characters and append `…`. Default 200. */
  max?: number
}

/** Render `value` as text, at most `max` characters (default 200), one line unless `pretty`. */
export function formatValue(value: unknown, opts: FormatOptions = {}): string {
  const max = opts.max ?? 200
  const pretty = opts.pretty ?? false
  let out = ''
  // Helpers return `undefined` (not void) so that `return push(…)` ends a branch in one line.
  const push = (s: string): undefined => {
    out += s
    if (out.length > max) throw new Full()
    return undefined
  }
  const seen = new Set<object>()
  const nl = (depth: number): string => (pretty ? `\n${'  '.repeat(depth)}` : '')
  const sep = pretty ? ',' : ', '

  const list = (open: string, close: string, items: Array<() => void>, depth: number): undefined => {
    if (items.length === 0) {
      push(`${open}${close}`)
      return
    }
    push(pretty ? open : `${open}${close === '}' ? ' ' : ''}`)
    items.forEach((item, i) => {
      if (i > 0) push(sep)
      push(nl(depth + 1))
      item()
    })
    push(pretty ? `${nl(depth)}${close}` : `${close === '}' ? ' ' : ''}${close}`)
  }

  const walk = (v: unknown, depth: number): undefined => {
    switch (typeof v) {
      case 'undefined':
        return push('undefined')
      case 'string':
        return push(JSON.stringify(v))
      case 'number':
        return push(Object.is(v, -0) ? '-0' : String(v))
      case 'bigint':
        return push(`${v}n`)
      case 'boolean':
        return push(String(v))
      case 'symbol':
        return push('Symbol()')
      case 'function':
        return push('[Function]')
    }
    if (v === null) return push('null')
    const o = v as object
    if (seen.has(o)) return push('[Circular]')
    seen.add(o)
    try {
      const tag = Object.prototype.toString.call(o).slice(8, -1)
      if (tag === 'Date') {
        const t = Date.prototype.getTime.call(o)
        return push(Number.isNaN(t) ? 'Date(Invalid)' : `Date(${new Date(t).toISOString()})`)
      }
      if (tag === 'RegExp') return push(RegExp.prototype.toString.call(o))
      if (o instanceof Map) {
        const items = [...o].map(([k, val]) => () => {
          walk(k, depth + 1)
          push(' => ')
          walk(val, depth + 1)
        })
        push(`Map(${o.size}) `)
        return list('{', '}', items, depth)
      }
      if (o instanceof Set) {
        push(`Set(${o.size}) `)
        return list(
          '{',
          '}',
          [...o].map((x) => () => walk(x, depth + 1)),
          depth,
        )
      }
      if (o instanceof ArrayBuffer) return push(`ArrayBuffer(${o.byteLength})`)
      if (ArrayBuffer.isView(o)) {
        const arr = o instanceof DataView ? new Uint8Array(o.buffer, o.byteOffset, o.byteLength) : o
        const n = (arr as unknown as { length: number }).length
        const shown = Array.from({ length: Math.min(n, 32) }, (_, i) =>
          String((arr as unknown as ArrayLike<number | bigint>)[i]),
        )
        return push(`${tag}(${n}) [${shown.join(', ')}${n > 32 ? ', …' : ''}]`)
      }
      if (Array.isArray(o)) {
        return list(
          '[',
          ']',
          o.map((x) => () => walk(x, depth + 1)),
          depth,
        )
      }
      const keys = Object.keys(o)
      return list(
        '{',
        '}',
        keys.map((k) => () => {
          push(/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k))
          push(': ')
          walk((o as Record<string, unknown>)[k], depth + 1)
        }),
        depth,
      )
    } finally {
      seen.delete(o)
    }
  }

  try {
    walk(value, 0)
    return out
  } catch (e) {
    if (e instanceof Full) return `${out.slice(0, max)}…`
    return `[unreadable: ${e instanceof Error ? e.message : 'error'}]`
  }
}
