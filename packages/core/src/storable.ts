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
