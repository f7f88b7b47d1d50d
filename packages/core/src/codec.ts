/**
 * The value codec for backends that store bytes (file, db, memcached, localforage). It is
 * devalue (Svelte's serializer): structured-clone fidelity (undefined, NaN, -0, ±Infinity,
 * bigint, Date, RegExp, Map, Set, typed arrays, ArrayBuffer, cycles and shared references) as
 * JSON text, and loading is `JSON.parse` plus a fixed set of constructors, so stored bytes can
 * never run code (unlike Django's pickle, django/core/cache/backends/filebased.py).
 */
import { parse, stringify } from 'devalue'
import { arrayExtraKeys, checkStorable } from './storable.ts'

const KNOWN_PROTOS = new Set<object>([
  Object.prototype,
  Array.prototype,
  Date.prototype,
  RegExp.prototype,
  Map.prototype,
  Set.prototype,
  ArrayBuffer.prototype,
  DataView.prototype,
  Boolean.prototype,
  Number.prototype,
  String.prototype,
  BigInt.prototype,
])

function plainCopy(v: object): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of Object.keys(v)) out[k] = (v as Record<string, unknown>)[k]
  return out
}

// The error kinds structured clone keeps (HTML "StructuredSerializeInternal"); others read back as Error.
const ERROR_KINDS: Record<string, ErrorConstructor> = {
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
}

// One reducer, called by devalue for every value; it must be cheap for the common case.
const reducers = {
  // An Error reads back as structuredClone gives it (docs/contract.md rule 12): the same
  // standard kind by its `name`, `message`, `stack` and `cause`; other own properties dropped.
  e: (v: unknown) => {
    if (!(v instanceof Error)) return undefined
    const out: [string, string, string | undefined, ...unknown[]] = [
      Object.hasOwn(ERROR_KINDS, v.name) ? v.name : 'Error',
      String(v.message),
      typeof v.stack === 'string' ? v.stack : undefined,
    ]
    if ('cause' in v) out.push(v.cause)
    return out
  },
  // Node's Buffer (and any other Uint8Array subclass) is stored as a plain Uint8Array copy,
  // so a pooled Buffer never drags its 8 KiB pool along.
  b: (v: unknown) =>
    v instanceof Uint8Array && v.constructor !== Uint8Array ? new Uint8Array(v) : undefined,
  // devalue refuses an own `__proto__` key (JSON.parse makes them): store the entries, and
  // revive them as own data properties, never as a prototype (docs/contract.md rule 12).
  p: (v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, '__proto__')
      ? Object.entries(v)
      : undefined,
  // An array with own non-index properties (`a.extra = 'x'`) or of an Array subclass keeps
  // them and reads back as a plain Array, as structuredClone gives it (docs/contract.md rule
  // 12); devalue alone drops them. Stored as [length, key, value, key, value, …] over every own
  // enumerable key, indices included, so holes stay holes.
  a: (v: unknown) => {
    if (!Array.isArray(v)) return undefined
    const extra = arrayExtraKeys(v)
    if (extra.length === 0 && Object.getPrototypeOf(v) === Array.prototype) return undefined
    const out: unknown[] = [v.length]
    for (const k of Object.keys(v)) out.push(k, (v as unknown as Record<string, unknown>)[k])
    return out
  },
  // Class instances come back as plain objects, as structuredClone does (docs/contract.md rule 12).
  o: (v: unknown) => {
    if (typeof v !== 'object' || v === null) return undefined
    if (ArrayBuffer.isView(v)) {
      checkStorable(v)
      return undefined
    }
    const p = Object.getPrototypeOf(v)
    if (p === null || KNOWN_PROTOS.has(p)) return undefined
    checkStorable(v)
    // A subclass of Map, Set, Date or RegExp is stored as its base kind, as structuredClone does.
    if (v instanceof Map || v instanceof Set || v instanceof Date || v instanceof RegExp) return undefined
    return plainCopy(v)
  },
}

// The array each 'a' payload revives to. devalue hands a reviver its payload early when the
// array is reached again through itself (a cycle), before every entry is read: the same array is
// returned each time and filled with what has been read so far, completed on the last call.
const revivedArrays = new WeakMap<object, unknown[]>()

function invalidArray(): never {
  throw new Error('Invalid array payload')
}

function reviveArray(payload: unknown): unknown[] {
  if (!Array.isArray(payload)) invalidArray()
  const len = payload[0]
  if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > 2 ** 32 - 1) invalidArray()
  let out = revivedArrays.get(payload)
  if (out === undefined) {
    out = []
    revivedArrays.set(payload, out)
  }
  for (let i = 1; i + 1 < payload.length; i += 2) {
    if (!(i + 1 in payload)) continue // not read yet: a cycle through this array
    const k = payload[i]
    if (typeof k !== 'string' || k === 'length') invalidArray()
    // A data property, whatever the key (`__proto__` included): never a setter or a prototype.
    Object.defineProperty(out, k, {
      value: payload[i + 1],
      writable: true,
      enumerable: true,
      configurable: true,
    })
  }
  out.length = len
  return out
}

const revivers = {
  e: (v: unknown) => {
    const [kind, message, stack, ...cause] = v as [string, string, string | undefined, ...unknown[]]
    const Kind = Object.hasOwn(ERROR_KINDS, kind) ? (ERROR_KINDS[kind] as ErrorConstructor) : Error
    const err = cause.length > 0 ? new Kind(String(message), { cause: cause[0] }) : new Kind(String(message))
    if (typeof stack === 'string')
      Object.defineProperty(err, 'stack', { value: stack, writable: true, configurable: true })
    return err
  },
  b: (v: unknown) => v,
  p: (entries: unknown) => {
    const out: Record<string, unknown> = {}
    for (const [k, v] of entries as Array<[string, unknown]>) {
      Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true })
    }
    return out
  },
  a: reviveArray,
  o: (v: unknown) => v,
}

/** Encode any structured-cloneable value as text. Throws `TypeError` for functions and symbols. */
export function encodeValue(value: unknown): string {
  try {
    return stringify(value, reducers)
  } catch (e) {
    // A reducer's own TypeError already says what to store instead.
    if (e instanceof TypeError && e.message.startsWith('cachework ')) throw e
    throw new TypeError(`cachework cannot store this value: ${(e as Error).message}`)
  }
}

/**
 * A stored Date as devalue writes it: its `toISOString()`, or '' for an invalid Date. Any other
 * text is corrupt (a miss), where devalue's own `new Date(text)` would read a damaged date as
 * some other date or as an Invalid Date (docs/contract.md rule 12: a value reads back as it was
 * stored, or not at all).
 */
function strictDate(iso: unknown): Date {
  if (iso === '') return new Date(Number.NaN)
  const d = typeof iso === 'string' ? new Date(iso) : undefined
  if (d === undefined || Number.isNaN(d.getTime()) || d.toISOString() !== iso) {
    throw new Error('Invalid Date payload')
  }
  return d
}

const PARSE_OPTIONS = { operations: { fromISOString: strictDate } }

/** Decode what `encodeValue` wrote. Throws on corrupt input (callers treat that as a miss). */
export function decodeValue(text: string): unknown {
  return parse(text, revivers, PARSE_OPTIONS)
}

const utf8Encoder = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

/** `encodeValue` as UTF-8 bytes. */
export function encodeValueBytes(value: unknown): Uint8Array {
  return utf8Encoder.encode(encodeValue(value))
}

/** `decodeValue` from UTF-8 bytes; invalid UTF-8 throws. */
export function decodeValueBytes(bytes: Uint8Array): unknown {
  return decodeValue(utf8Decoder.decode(bytes))
}
