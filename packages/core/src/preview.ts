/**
 * Inspection previews (docs/contract.md rule 14; used by devtools on both sides of the wire).
 * A safe text rendering of any value a cache may hold (docs/contract.md rule 12: primitives, `bigint`,
 * `Date`, `RegExp`, `Map`, `Set`, buffers, typed arrays, nested and cyclic objects). It only
 * reads data; it never calls user code (no `toString`/`toJSON` of class instances, no `eval`).
 *
 * Devtools lists make one preview per entry (10,000 at a time), so the walk allocates no closure
 * per item and stops at `max` characters: a huge value costs what its first `max` characters do.
 */

class Full extends Error {}

// One instance, thrown whenever the output is full: no stack trace is captured per preview.
const FULL = new Full('preview full')

/** Options of `formatValue`. */
export interface FormatOptions {
  /** Pretty-print over several lines with two-space indents. Default false (one line). */
  pretty?: boolean
  /** Stop after this many characters and append `…`. Default 200. */
  max?: number
}

/** The text being written, cut at `max` characters (then `FULL` is thrown). */
class Writer {
  out = ''
  private readonly seen = new Set<object>()

  constructor(
    private readonly max: number,
    private readonly pretty: boolean,
  ) {}

  // Helpers return `undefined` (not void) so that `return this.push(…)` ends a branch in one line.
  push(s: string): undefined {
    this.out += s
    if (this.out.length > this.max) throw FULL
    return undefined
  }

  private nl(depth: number): void {
    if (this.pretty) this.push(`\n${'  '.repeat(depth)}`)
  }

  /** Start a list of `n` items; an empty one is written whole (then false). */
  private open(open: string, close: string, n: number): boolean {
    if (n === 0) {
      this.push(`${open}${close}`)
      return false
    }
    this.push(this.pretty ? open : `${open}${close === '}' ? ' ' : ''}`)
    return true
  }

  /** Before item `i`: the separator, then the item's line. */
  private item(i: number, depth: number): void {
    if (i > 0) this.push(this.pretty ? ',' : ', ')
    this.nl(depth + 1)
  }

  private close(close: string, depth: number): undefined {
    if (!this.pretty) return this.push(`${close === '}' ? ' ' : ''}${close}`)
    this.nl(depth)
    return this.push(close)
  }

  walk(v: unknown, depth: number): undefined {
    switch (typeof v) {
      case 'undefined':
        return this.push('undefined')
      case 'string':
        return this.push(JSON.stringify(v))
      case 'number':
        return this.push(Object.is(v, -0) ? '-0' : String(v))
      case 'bigint':
        return this.push(`${v}n`)
      case 'boolean':
        return this.push(String(v))
      case 'symbol':
        return this.push('Symbol()')
      case 'function':
        return this.push('[Function]')
    }
    if (v === null) return this.push('null')
    const o = v as object
    if (this.seen.has(o)) return this.push('[Circular]')
    this.seen.add(o)
    try {
      return this.object(o, depth)
    } finally {
      this.seen.delete(o)
    }
  }

  private object(o: object, depth: number): undefined {
    const tag = Object.prototype.toString.call(o).slice(8, -1)
    if (tag === 'Date') {
      const t = Date.prototype.getTime.call(o)
      return this.push(Number.isNaN(t) ? 'Date(Invalid)' : `Date(${new Date(t).toISOString()})`)
    }
    if (tag === 'RegExp') return this.push(RegExp.prototype.toString.call(o))
    if (o instanceof Map) {
      this.push(`Map(${o.size}) `)
      if (!this.open('{', '}', o.size)) return
      let i = 0
      for (const [k, val] of o) {
        this.item(i++, depth)
        this.walk(k, depth + 1)
        this.push(' => ')
        this.walk(val, depth + 1)
      }
      return this.close('}', depth)
    }
    if (o instanceof Set) {
      this.push(`Set(${o.size}) `)
      if (!this.open('{', '}', o.size)) return
      let i = 0
      for (const x of o) {
        this.item(i++, depth)
        this.walk(x, depth + 1)
      }
      return this.close('}', depth)
    }
    if (o instanceof ArrayBuffer) return this.push(`ArrayBuffer(${o.byteLength})`)
    if (ArrayBuffer.isView(o)) {
      const arr = o instanceof DataView ? new Uint8Array(o.buffer, o.byteOffset, o.byteLength) : o
      const n = (arr as unknown as { length: number }).length
      const shown = Array.from({ length: Math.min(n, 32) }, (_, i) =>
        String((arr as unknown as ArrayLike<number | bigint>)[i]),
      )
      return this.push(`${tag}(${n}) [${shown.join(', ')}${n > 32 ? ', …' : ''}]`)
    }
    if (Array.isArray(o)) {
      if (!this.open('[', ']', o.length)) return
      for (let i = 0; i < o.length; i++) {
        if (!(i in o)) continue // a hole: skipped, as Array.prototype.forEach does
        this.item(i, depth)
        this.walk(o[i], depth + 1)
      }
      return this.close(']', depth)
    }
    const keys = Object.keys(o)
    if (!this.open('{', '}', keys.length)) return
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string
      this.item(i, depth)
      this.push(/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k))
      this.push(': ')
      this.walk((o as Record<string, unknown>)[k], depth + 1)
    }
    return this.close('}', depth)
  }
}

/** Render `value` as text, at most `max` characters (default 200), one line unless `pretty`. */
export function formatValue(value: unknown, opts: FormatOptions = {}): string {
  const max = opts.max ?? 200
  const w = new Writer(max, opts.pretty ?? false)
  try {
    w.walk(value, 0)
    return w.out
  } catch (e) {
    if (e === FULL) return `${w.out.slice(0, max)}…`
    return `[unreadable: ${e instanceof Error ? e.message : 'error'}]`
  }
}
