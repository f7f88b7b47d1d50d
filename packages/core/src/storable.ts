/**
 * Values no backend can store faithfully (docs/contract.md rule 12): structured clone refuses
 * some of them (URL, WeakMap, Promise), others cannot be encoded synchronously as bytes (Blob,
 * File) or would share memory with the caller (SharedArrayBuffer and views over one). Every
 * backend rejects them alike with a `TypeError` that says what to store instead, rather than
 * storing `{}` on one backend and a clone on another.
 */

type Ctor = abstract new (...args: never[]) => unknown

// Looked up lazily: not every runtime has every global (no Blob in old Node, no WeakRef…).
function unstorable(): Array<[string, Ctor | undefined, string]> {
  const g = globalThis as Record<string, unknown>
  return [
    ['Blob', g.Blob as Ctor | undefined, 'store its bytes (await blob.arrayBuffer())'],
    ['URL', g.URL as Ctor | undefined, 'store url.href'],
    ['URLSearchParams', g.URLSearchParams as Ctor | undefined, 'store params.toString()'],
    ['WeakMap', WeakMap, 'store a Map'],
    ['WeakSet', WeakSet, 'store a Set'],
    ['WeakRef', g.WeakRef as Ctor | undefined, 'store the target'],
    ['Promise', Promise, 'await it and store the result'],
    ['SharedArrayBuffer', g.SharedArrayBuffer as Ctor | undefined, 'copy it into an ArrayBuffer'],
  ]
}

let table: Array<[string, Ctor | undefined, string]> | undefined

/**
 * Throw a `TypeError` when `o` (an object that is not a plain object, array, Map, Set, Date,
 * RegExp or ArrayBuffer) is one of the unstorable kinds above, or a typed array or DataView over
 * a `SharedArrayBuffer`.
 */
export function checkStorable(o: object): void {
  if (ArrayBuffer.isView(o)) {
    const Sab = (globalThis as { SharedArrayBuffer?: Ctor }).SharedArrayBuffer
    if (Sab !== undefined && o.buffer instanceof Sab) {
      throw new TypeError(
        'cachework cannot store a view over a SharedArrayBuffer (it would share memory): copy it into an ArrayBuffer first',
      )
    }
    return
  }
  table ??= unstorable()
  for (const [name, ctor, instead] of table) {
    if (ctor !== undefined && o instanceof ctor) {
      throw new TypeError(`cachework cannot store a ${name}: ${instead}`)
    }
  }
}

const NO_KEYS: readonly string[] = Object.freeze([])

/** Whether `k` is an array index: the canonical text of an integer in [0, 2³² − 2] (ECMA-262 §6.1.7). */
function isArrayIndex(k: string): boolean {
  const n = Number(k)
  return n >>> 0 === n && n !== 4294967295 && String(n) === k
}

/**
 * The own enumerable string keys of array `a` that are not indices (`'extra'` after
 * `a.extra = 'x'`), which structured clone keeps and so every backend keeps (docs/contract.md
 * rule 12); usually none. Symbol-keyed properties of an array are left out, as structured clone
 * leaves them out. `dense`: the caller saw every index present, which allows a cheaper test.
 */
export function arrayExtraKeys(a: readonly unknown[], dense = false): readonly string[] {
  // Own keys come as indices in order, then the other strings (ECMA-262
  // OrdinaryOwnPropertyKeys). A dense array has extras exactly when it has more own enumerable
  // values than elements: `Object.values` answers that without making a string per index,
  // several times cheaper than `Object.keys` on the locmem hot path (callgrind).
  if (dense && Object.values(a).length === a.length) return NO_KEYS
  const keys = Object.keys(a)
  const last = keys[keys.length - 1]
  if (last === undefined || isArrayIndex(last)) return NO_KEYS
  const extra: string[] = []
  for (const k of keys) if (!isArrayIndex(k)) extra.push(k)
  return extra
}
