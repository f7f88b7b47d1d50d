/**
 * Type-level companions of docs/contract.md rule 12 (values): which values a cache can store,
 * as far as TypeScript can tell, and what `get(key, defaultValue)` answers. Types only: nothing
 * here exists at run time (base-cache.ts and storable.ts do the checks there).
 */

/** Kinds the codec stores as they are (rule 12), methods and all: never looked into. */
type Leaf =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | Date
  | RegExp
  | ArrayBuffer
  | ArrayBufferView
  | Error

/** Kinds every backend refuses with `TypeError` (rule 12) that a type can name. */
type Refused =
  | symbol
  | ((...args: never[]) => unknown)
  | PromiseLike<unknown>
  | WeakMap<WeakKey, unknown>
  | WeakSet<WeakKey>
  | WeakRef<WeakKey>
  | SharedArrayBuffer

/** How deep {@link StorableValue} looks; a cyclic type stops here (and passes). */
type Depth = [never, 0, 1, 2, 3, 4, 5, 6]

/** `true` when `T` is `any` (which passes: the run-time check still applies). */
type IsAny<T> = 0 extends 1 & T ? true : false

/**
 * `true` when `T`, or something inside it (array elements, `Map` keys and values, `Set`
 * members, object properties, `D` levels deep), is a function, a symbol, a promise, a weak
 * collection or a `SharedArrayBuffer`. A class instance whose type has methods counts: the
 * cache would give it back as a plain object without them (rule 12).
 */
type HoldsRefused<T, D extends number = 7> = [D] extends [never]
  ? false
  : T extends Refused
    ? true
    : T extends Leaf
      ? false
      : T extends ReadonlyMap<infer K, infer W>
        ? HoldsRefused<K | W, Depth[D]>
        : T extends ReadonlySet<infer E>
          ? HoldsRefused<E, Depth[D]>
          : T extends readonly (infer E)[]
            ? HoldsRefused<E, Depth[D]>
            : T extends object
              ? true extends { [K in keyof T]-?: HoldsRefused<T[K], Depth[D]> }[keyof T]
                ? true
                : false
              : false

/**
 * What the type of a refused value turns into, so the compiler's message says why: "Argument
 * of type '() => number' is not assignable to parameter of type 'NotStorable'".
 */
export interface NotStorable {
  readonly 'cachework cannot store functions, symbols, promises, weak collections or objects with methods (docs/contract.md rule 12)': never
}

/**
 * `T` when a cache can store it, else {@link NotStorable}: the parameter type of `set`, `add`
 * and `setMany`, so `cache.set('k', () => 1)` or `cache.set('k', { onClick() {} })` fails to
 * compile. `unknown` and `any` pass (the run-time check, rule 12, still applies).
 */
export type StorableValue<T> = IsAny<T> extends true ? T : HoldsRefused<T> extends false ? T : NotStorable

/** `'a'` → `string`, `1` → `number`, `true` → `boolean`: a default's literal type is not the value's. */
export type Widened<D> = D extends string
  ? string
  : D extends number
    ? number
    : D extends boolean
      ? boolean
      : D extends bigint
        ? bigint
        : D

/**
 * What `get(key, defaultValue)` resolves to: the cache's value type `T` or the default's type;
 * for an untyped cache (`T` is `unknown`), the default's type (widened: `'none'` → `string`).
 */
export type ValueOrDefault<T, D> = unknown extends T ? Widened<D> : T | D
