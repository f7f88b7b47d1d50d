/**
 * A typed, JSON-safe description of a value for inspection tools (the devtools value
 * explorer): Map, Set, Date, bigint, typed arrays, errors and cyclic references keep their
 * type across the wire. Like `formatValue` it only reads data (own enumerable data
 * properties; the built-in prototype methods for Map, Set, Date and typed arrays, never the
 * value's own), so describing a value never runs its code (docs/contract.md rule 12: loading
 * never executes code).
 */

/** One node of a described value. Containers carry an `id` that a later `ref` may point back to. */
export type ValueNode =
  | { t: 'null' }
  | { t: 'undefined' }
  | { t: 'bool'; v: boolean }
  /** Numbers as text, so `NaN`, `Infinity` and `-0` survive JSON. */
  | { t: 'num'; v: string }
  | { t: 'bigint'; v: string }
  /** `len` is the full length when `v` was cut. */
  | { t: 'str'; v: string; len: number }
  | { t: 'date'; v: string }
  | { t: 'regexp'; v: string }
  | { t: 'symbol'; v: string }
  | { t: 'fn'; v: string }
  | { t: 'error'; name: string; message: string }
  | { t: 'array'; id: number; len: number; items: ValueNode[] }
  | { t: 'object'; id: number; cls: string; entries: Array<[string, ValueNode]>; more: number }
  | { t: 'map'; id: number; size: number; entries: Array<[ValueNode, ValueNode]> }
  | { t: 'set'; id: number; size: number; items: ValueNode[] }
  /** Typed arrays, `ArrayBuffer`, `DataView`: the first items as text. */
  | { t: 'typed'; cls: string; len: number; items: string[] }
  /** A reference back to an enclosing container (a cycle). */
  | { t: 'ref'; id: number }
  /** Cut: deeper than `maxDepth`, or past the node budget. */
  | { t: 'cut'; cls: string }

/** Limits of `describeValue`. */
export interface DescribeOptions {
  /** Deepest level described. Default 12. */
  maxDepth?: number
  /** Items kept per container. Default 200. */
  maxItems?: number
  /** Characters kept per string. Default 10,000. */
  maxString?: number
  /** Nodes in the whole tree. Default 5,000. */
  maxNodes?: number
}

const mapEntries = Map.prototype.entries
const setValues = Set.prototype.values
const mapSize = Object.getOwnPropertyDescriptor(Map.prototype, 'size')?.get as (
  this: Map<unknown, unknown>,
) => number
const setSize = Object.getOwnPropertyDescriptor(Set.prototype, 'size')?.get as (this: Set<unknown>) => number
const dateTime = Date.prototype.getTime
const typedLength = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'length')
  ?.get as (this: ArrayLike<unknown>) => number
const typedTag = Object.getOwnPropertyDescriptor(
  Object.getPrototypeOf(Uint8Array.prototype),
  Symbol.toStringTag,
)?.get as (this: unknown) => string | undefined

function num(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n)
}

function className(o: object): string {
  const proto = Object.getPrototypeOf(o) as { constructor?: { name?: unknown } } | null
  if (proto === null) return 'Object: null prototype'
  const name = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value?.name
  return typeof name === 'string' && name !== '' ? name : 'Object'
}

/** Describe `value` as a `ValueNode` tree (see the module comment for what is read). */
export function describeValue(value: unknown, opts: DescribeOptions = {}): ValueNode {
  const maxDepth = opts.maxDepth ?? 12
  const maxItems = opts.maxItems ?? 200
  const maxString = opts.maxString ?? 10_000
  let budget = opts.maxNodes ?? 5_000
  const open = new Map<object, number>()
  let nextId = 1

  const walk = (v: unknown, depth: number): ValueNode => {
    budget--
    switch (typeof v) {
      case 'undefined':
        return { t: 'undefined' }
      case 'boolean':
        return { t: 'bool', v }
      case 'number':
        return { t: 'num', v: num(v) }
      case 'bigint':
        return { t: 'bigint', v: v.toString() }
      case 'string':
        return { t: 'str', v: v.length > maxString ? v.slice(0, maxString) : v, len: v.length }
      case 'symbol':
        return { t: 'symbol', v: v.description ?? '' }
      case 'function':
        return { t: 'fn', v: typeof v.name === 'string' ? v.name : '' }
    }
    if (v === null) return { t: 'null' }
    const o = v as object
    const seen = open.get(o)
    if (seen !== undefined) return { t: 'ref', id: seen }
    if (o instanceof Date) {
      const ms = dateTime.call(o)
      return { t: 'date', v: Number.isNaN(ms) ? 'Invalid Date' : new Date(ms).toISOString() }
    }
    if (o instanceof RegExp) return { t: 'regexp', v: `/${o.source}/${o.flags}` }
    if (o instanceof Error) {
      const d = Object.getOwnPropertyDescriptor(o, 'message')
      return { t: 'error', name: className(o), message: typeof d?.value === 'string' ? d.value : '' }
    }
    if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer) {
      const bytes =
        o instanceof ArrayBuffer
          ? new Uint8Array(o)
          : o instanceof DataView
            ? new Uint8Array(o.buffer, o.byteOffset, o.byteLength)
            : (o as unknown as ArrayLike<number | bigint>)
      const cls =
        o instanceof ArrayBuffer
          ? 'ArrayBuffer'
          : o instanceof DataView
            ? 'DataView'
            : (typedTag.call(o) ?? 'TypedArray')
      const len =
        o instanceof ArrayBuffer || o instanceof DataView
          ? (bytes as Uint8Array).length
          : typedLength.call(bytes)
      const items: string[] = []
      for (let i = 0; i < Math.min(len, maxItems); i++) items.push(String(bytes[i]))
      return { t: 'typed', cls, len, items }
    }
    const cls =
      o instanceof Map ? 'Map' : o instanceof Set ? 'Set' : Array.isArray(o) ? 'Array' : className(o)
    if (depth >= maxDepth || budget <= 0) return { t: 'cut', cls }
    const id = nextId++
    open.set(o, id)
    try {
      if (o instanceof Map) {
        const entries: Array<[ValueNode, ValueNode]> = []
        for (const [k, val] of mapEntries.call(o)) {
          if (entries.length >= maxItems || budget <= 0) break
          entries.push([walk(k, depth + 1), walk(val, depth + 1)])
        }
        return { t: 'map', id, size: mapSize.call(o), entries }
      }
      if (o instanceof Set) {
        const items: ValueNode[] = []
        for (const item of setValues.call(o)) {
          if (items.length >= maxItems || budget <= 0) break
          items.push(walk(item, depth + 1))
        }
        return { t: 'set', id, size: setSize.call(o), items }
      }
      if (Array.isArray(o)) {
        const items: ValueNode[] = []
        const len = o.length
        for (let i = 0; i < Math.min(len, maxItems) && budget > 0; i++) {
          const d = Object.getOwnPropertyDescriptor(o, i)
          items.push(
            d === undefined
              ? { t: 'undefined' }
              : 'value' in d
                ? walk(d.value, depth + 1)
                : { t: 'fn', v: 'getter' },
          )
        }
        return { t: 'array', id, len, items }
      }
      const keys = Object.keys(o)
      const entries: Array<[string, ValueNode]> = []
      for (const k of keys) {
        if (entries.length >= maxItems || budget <= 0) break
        const d = Object.getOwnPropertyDescriptor(o, k)
        if (!d) continue
        entries.push([k, 'value' in d ? walk(d.value, depth + 1) : { t: 'fn', v: 'getter' }])
      }
      return { t: 'object', id, cls, entries, more: keys.length - entries.length }
    } finally {
      open.delete(o)
    }
  }
  return walk(value, 0)
}

/**
 * Whether `value` survives `JSON.stringify` / `JSON.parse` unchanged (plain objects, arrays,
 * strings, finite numbers, booleans, null): the values the devtools editor may rewrite.
 */
export function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 64) return false
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  if (typeof value === 'number') return Number.isFinite(value) && !Object.is(value, -0)
  if (typeof value !== 'object') return false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!Object.hasOwn(value, i) || !isJsonValue(value[i], depth + 1)) return false
    }
    return true
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return false
  for (const k of Object.keys(value)) {
    const d = Object.getOwnPropertyDescriptor(value, k)
    if (!d || !('value' in d) || !isJsonValue(d.value, depth + 1)) return false
  }
  return true
}
