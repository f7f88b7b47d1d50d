/**
 * A synchronous, copy-free read for hot paths that only look at a value and never change it
 * (the Node page cache's hit path writes a stored page straight to a socket). A backend that
 * holds values in memory (`locmem`) offers it under `PEEK`; every other backend, and `locmem`
 * while someone listens for events, answers `NO_PEEK` and the caller uses `get`.
 *
 * The value returned is the cache's own copy: the caller must treat it as frozen. Rule 12
 * (isolated values) still holds for every public method; this is an internal fast lane.
 */
import type { Cache } from './types.ts'

/**
 * The method key a backend implements: `(key, systemNow?) => value | undefined (miss) | NO_PEEK`;
 * `systemNow` is a `Date.now()` the caller just read, which a backend on the system clock may
 * judge expiry by instead of reading the clock again.
 */
export const PEEK: unique symbol = Symbol.for('cachework.peek') as never
/** "Cannot answer synchronously: call `get`." */
export const NO_PEEK: unique symbol = Symbol.for('cachework.noPeek') as never

/**
 * The method key of a raw-key read for a cache in front of this one (the `tiered` backend's L1
 * hit, docs/contract.md rule 18): `(rawKey) => an isolated copy | undefined (miss) | NO_PEEK`,
 * counting nothing. `locmem` offers it; `NO_PEEK` means "use the generic path" (an envelope).
 */
export const PEEK_RAW: unique symbol = Symbol.for('cachework.peekRaw') as never

interface Peekable {
  [PEEK](key: string, systemNow?: number): unknown
}

/**
 * The live value of `key` (default version) without copying it, `undefined` on a miss, or
 * `NO_PEEK` when the backend cannot answer synchronously. Counts a hit or a miss like `get`.
 * `systemNow`: a `Date.now()` just read, for a backend on the system clock to judge expiry by.
 */
export function peekShared(cache: Cache, key: string, systemNow?: number): unknown {
  const peek = (cache as Partial<Peekable>)[PEEK]
  return peek === undefined ? NO_PEEK : peek.call(cache, key, systemNow)
}
