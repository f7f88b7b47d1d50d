/**
 * Value isolation for in-memory backends (docs/contract.md rule 12). Django's LocMemCache pickles every
 * value (django/core/cache/backends/locmem.py); we copy instead, with a fast path for trees of plain objects,
 * arrays and primitives, and `structuredClone` for everything else (Date, Map, cycles, …).
 */

/** A value prepared for storage: an isolated copy, and how to copy it out again. */
export interface Snapshot {
  /** The isolated copy. */
  v: unknown
  /**
   * 0: immutable primitive, returned as is; 1: plain tree, copied by `plan`; 2: `structuredClone`;
   * 3: a plain tree in the flat stored form (`flatten`, never made by `snapshot`).
   */
  kind: 0 | 1 | 2 | 3
  /** Kind 1 (and 3): where the copy's nested objects are (see `Plan`); null otherwise. */
  plan: Plan
}

/**
 * Where a stored plain tree's nested objects (and arrays, and Uint8Arrays) are, worked out once
 * when it is stored, so that copying it out is one spread or `slice` per object and never reads
 * a primitive: `typeof` of a string must load the string, a cache miss per string in a large
 * store. `null`: no nested object; a key: the only nested object, itself without any; else
 * `[key, plan, key, plan, …]`. Keys are property names or array indexes.
 */
export type Plan = null | string | number | PlanList
interface PlanList extends Array<string | number | Plan> {}

const OBJECT_PROTO = Object.prototype

import { arrayExtraKeys, checkStorable } from './storable.ts'

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v)
  return p === OBJECT_PROTO || p === null
}

function rejectType(what: string): never {
  throw new TypeError(`cachework cannot store a ${what}: values must be structured-cloneable`)
}

/**
 * A plain `Uint8Array` over a whole, ordinary buffer (a cached page's body, say): copying it with
 * the copy constructor is exactly what structuredClone would give, and much cheaper. Buffers,
 * other typed arrays, partial views and shared or resizable buffers keep structuredClone.
 */
function isWholeUint8Array(v: object): boolean {
  if (Object.getPrototypeOf(v) !== Uint8Array.prototype) return false
  const u = v as Uint8Array
  const buf = u.buffer as ArrayBuffer & { resizable?: boolean }
  return (
    u.byteOffset === 0 &&
    u.byteLength === buf.byteLength &&
    buf.resizable !== true &&
    (typeof SharedArrayBuffer === 'undefined' || !(buf instanceof SharedArrayBuffer))
  )
}

/**
 * Walk a value once: throw `TypeError` for a function or symbol anywhere in it, and say whether
 * it is a plain tree (no shared or cyclic references, only plain objects, dense arrays and
 * primitives) that `fastClone` can copy.
 */
function inspect(v: unknown, seen: Set<object>): boolean {
  const t = typeof v
  if (t === 'function') rejectType('function')
  if (t === 'symbol') rejectType('symbol')
  if (t !== 'object' || v === null) return true
  const o = v as object
  if (seen.has(o)) {
    // Shared or cyclic: structuredClone keeps the identity, a tree copy would not.
    return false
  }
  seen.add(o)
  if (Array.isArray(o)) {
    // An Array subclass copies as a plain array under structuredClone; `slice` would keep it.
    let simple = Object.getPrototypeOf(o) === Array.prototype
    let dense = true
    for (let i = 0; i < o.length; i++) {
      if (!(i in o)) dense = false
      else if (!inspect(o[i], seen)) simple = false
    }
    if (!dense) simple = false
    // Own non-index properties (`a.extra = 'x'`) round-trip (rule 12): structuredClone keeps
    // them, the fast copy's `slice` would not.
    const extra = arrayExtraKeys(o, dense)
    if (extra.length > 0) {
      simple = false
      for (const k of extra) inspect((o as unknown as Record<string, unknown>)[k], seen)
    }
    return simple
  }
  if (o instanceof Map) {
    for (const [k, x] of o) {
      inspect(k, seen)
      inspect(x, seen)
    }
    return false
  }
  if (o instanceof Set) {
    for (const x of o) inspect(x, seen)
    return false
  }
  if (ArrayBuffer.isView(o)) {
    checkStorable(o)
    return isWholeUint8Array(o)
  }
  if (o instanceof ArrayBuffer || o instanceof Date || o instanceof RegExp) return false
  if (Object.getOwnPropertySymbols(o).length > 0) rejectType('symbol-keyed property')
  let simple = isPlainObject(o)
  if (!simple) checkStorable(o)
  for (const k in o) {
    if (!inspect((o as Record<string, unknown>)[k], seen)) simple = false
  }
  return simple
}

/**
 * Copy a plain tree (see `inspect`). Own `__proto__` keys stay data, never a prototype. Objects
 * are copied by spread and arrays by `slice` (V8 copies those in one step, where adding keys one
 * by one goes through a shape transition per key); only nested objects are then replaced.
 */
export function fastClone(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v
  if (Array.isArray(v)) {
    const out = v.slice()
    for (let i = 0; i < out.length; i++) {
      const x = out[i]
      if (typeof x === 'object' && x !== null) out[i] = fastClone(x)
    }
    return out
  }
  // `inspect` lets only whole plain Uint8Arrays into a plain tree, so any view here is one.
  // (`Object.getPrototypeOf` went through the runtime on every copied object.)
  if (ArrayBuffer.isView(v)) return new Uint8Array(v as Uint8Array)
  // Spread defines own data properties (an own `__proto__` stays a key, as in structuredClone).
  const out: Record<string, unknown> = { ...(v as Record<string, unknown>) }
  for (const k in out) {
    const x = out[k]
    if (typeof x !== 'object' || x === null) continue
    if (k === '__proto__') {
      Object.defineProperty(out, k, {
        value: fastClone(x),
        enumerable: true,
        writable: true,
        configurable: true,
      })
    } else out[k] = fastClone(x)
  }
  return out
}

/** The `Plan` of a plain tree `v` (a fresh copy, see `snapshot`). */
function planOf(v: object): Plan {
  if (ArrayBuffer.isView(v)) return null
  let list: PlanList | undefined
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i]
      if (typeof x === 'object' && x !== null) (list ??= []).push(i, planOf(x))
    }
  } else {
    for (const k in v) {
      const x = (v as Record<string, unknown>)[k]
      if (typeof x === 'object' && x !== null) (list ??= []).push(k, planOf(x))
    }
  }
  if (list === undefined) return null
  return list.length === 2 && list[1] === null ? (list[0] as string | number) : list
}

/** One level of a plain tree: spread, `slice`, or a Uint8Array's copy constructor. */
function shallowCopy(v: object): Record<string | number, unknown> {
  if (Array.isArray(v)) return v.slice() as unknown as Record<number, unknown>
  if (ArrayBuffer.isView(v)) return new Uint8Array(v as Uint8Array) as unknown as Record<number, unknown>
  // Spread defines own data properties (an own `__proto__` stays a key, as in structuredClone).
  return { ...(v as Record<string, unknown>) }
}

function putCopy(out: Record<string | number, unknown>, k: string | number, x: unknown): void {
  if (k === '__proto__') {
    Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true })
  } else out[k] = x
}

/** Copy a plain tree by its `Plan` (same result as `fastClone`): `restore` of a kind 1 snapshot. */
export function restoreTree(v: object, plan: Plan): unknown {
  const out = shallowCopy(v)
  if (plan === null) return out
  const src = v as Record<string | number, object>
  if (typeof plan !== 'object') {
    putCopy(out, plan, shallowCopy(src[plan] as object))
    return out
  }
  for (let i = 0; i < plan.length; i += 2) {
    const k = plan[i] as string | number
    putCopy(out, k, restoreTree(src[k] as object, plan[i + 1] as Plan))
  }
  return out
}

/**
 * A stored plain array of at most eight primitives, as one object of in-object fields: its
 * length `n` and its elements `a`…`h`. A stored tree holds its nested arrays in this form
 * (`flatten`) so that copying one out reads one stored object where an array is two (the array
 * and its elements store, in two places of a large heap: one more dependent cache miss per hit).
 */
export interface Leaves {
  n: number
  a: unknown
  b: unknown
  c: unknown
  d: unknown
  e: unknown
  f: unknown
  g: unknown
  h: unknown
}

/** Most elements a `Leaves` holds. */
const MAX_LEAVES = 8

function leavesOf(x: unknown[]): Leaves {
  const n = x.length
  return {
    n,
    a: n > 0 ? x[0] : undefined,
    b: n > 1 ? x[1] : undefined,
    c: n > 2 ? x[2] : undefined,
    d: n > 3 ? x[3] : undefined,
    e: n > 4 ? x[4] : undefined,
    f: n > 5 ? x[5] : undefined,
    g: n > 6 ? x[6] : undefined,
    h: n > 7 ? x[7] : undefined,
  }
}

/** A fresh (packed) array of the elements of `l`. */
function arrayOf(l: Leaves): unknown[] {
  switch (l.n) {
    case 0:
      return []
    case 1:
      return [l.a]
    case 2:
      return [l.a, l.b]
    case 3:
      return [l.a, l.b, l.c]
    case 4:
      return [l.a, l.b, l.c, l.d]
    case 5:
      return [l.a, l.b, l.c, l.d, l.e]
    case 6:
      return [l.a, l.b, l.c, l.d, l.e, l.f]
    case 7:
      return [l.a, l.b, l.c, l.d, l.e, l.f, l.g]
    default:
      return [l.a, l.b, l.c, l.d, l.e, l.f, l.g, l.h]
  }
}

/** Whether `x` (a nested object of a stored copy, without nested objects) can be a `Leaves`. */
function fitsLeaves(x: unknown): x is unknown[] {
  return Array.isArray(x) && Object.getPrototypeOf(x) === Array.prototype && x.length <= MAX_LEAVES
}

/**
 * A kind 1 snapshot whose tree is a plain object holding, besides primitives, only plain arrays
 * of at most eight primitives, in the flat stored form: kind 3, each such array replaced by its
 * `Leaves` in the stored copy (the plan, which names them, is kept). Else `s` itself. `restore`
 * copies kind 3 out as it would the tree (`restoreFlat`); its `v` is not the value.
 */
export function flatten(s: Snapshot): Snapshot {
  const plan = s.plan
  if (s.kind !== 1 || plan === null || typeof plan === 'number') return s
  const v = s.v as Record<string, unknown>
  if (Array.isArray(v) || Object.getPrototypeOf(v) !== OBJECT_PROTO) return s
  if (typeof plan === 'string') {
    const x = v[plan]
    if (plan === '__proto__' || !fitsLeaves(x)) return s
    v[plan] = leavesOf(x)
    return { v, kind: 3, plan }
  }
  for (let i = 0; i < plan.length; i += 2) {
    const k = plan[i]
    if (k === '__proto__' || plan[i + 1] !== null || !fitsLeaves(v[k as string])) return s
  }
  for (let i = 0; i < plan.length; i += 2) {
    const k = plan[i] as string
    v[k] = leavesOf(v[k] as unknown[])
  }
  return { v, kind: 3, plan }
}

/** Copy a kind 3 stored tree (`flatten`) out: the same value as `restoreTree` of the tree. */
export function restoreFlat(v: object, plan: Plan): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(v as Record<string, unknown>) }
  const src = v as Record<string, Leaves>
  if (typeof plan !== 'object') {
    out[plan as string] = arrayOf(src[plan as string] as Leaves)
    return out
  }
  const list = plan as PlanList
  for (let i = 0; i < list.length; i += 2) {
    const k = list[i] as string
    out[k] = arrayOf(src[k] as Leaves)
  }
  return out
}

function cloneOrTypeError(v: unknown): unknown {
  try {
    return structuredClone(v)
  } catch (e) {
    // DataCloneError (a DOMException) for what structured clone refuses: the contract says TypeError.
    throw new TypeError(`cachework cannot store this value: ${(e as Error).message}`)
  }
}

const SEEN = new Set<object>()

/** Validate and copy a value for storage. Throws `TypeError` for functions and symbols. */
export function snapshot(value: unknown): Snapshot {
  const t = typeof value
  if (t !== 'object' || value === null) {
    if (t === 'function') rejectType('function')
    if (t === 'symbol') rejectType('symbol')
    return { v: value, kind: 0, plan: null }
  }
  // One reusable set: snapshots never nest, and JavaScript is single-threaded per realm.
  let simple: boolean
  try {
    simple = inspect(value, SEEN)
  } finally {
    SEEN.clear()
  }
  if (simple) {
    const v = fastClone(value) as object
    return { v, kind: 1, plan: planOf(v) }
  }
  return { v: cloneOrTypeError(value), kind: 2, plan: null }
}

/**
 * Throw `TypeError` for what no backend stores (functions, symbols, Blob, URL, Promise, shared
 * memory… anywhere inside `value`, docs/contract.md rule 12) without copying it: for backends
 * whose storage clones by itself (IndexedDB), so they refuse exactly what the others refuse.
 */
export function assertStorable(value: unknown): void {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function') rejectType('function')
    if (typeof value === 'symbol') rejectType('symbol')
    return
  }
  try {
    inspect(value, SEEN)
  } finally {
    SEEN.clear()
  }
}

/** Copy a stored snapshot out, so the caller can mutate it freely. */
export function restore(s: Snapshot): unknown {
  return restoreParts(s.v, s.kind, s.plan)
}

/** `restore` of a snapshot held as its parts (locmem keeps the value apart from its kind and plan). */
export function restoreParts(v: unknown, kind: Snapshot['kind'], plan: Plan): unknown {
  if (kind === 0) return v
  if (kind === 1) return restoreTree(v as object, plan)
  return kind === 3 ? restoreFlat(v as object, plan) : structuredClone(v)
}

/** Structured-clone any value, throwing `TypeError` for functions and symbols inside it. */
export function isolatedCopy(value: unknown): unknown {
  return restore(snapshot(value))
}
