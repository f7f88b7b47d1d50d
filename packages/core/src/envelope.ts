/**
 * The entry envelope: how an entry that needs metadata carries it next to its value, in one
 * stored item on every backend (docs/contract.md rule 16). A plain `set` never writes one, so
 * plain values stay plain and Django's clients read them on memcached and redis (rule 12); only
 * `getOrSet` with `staleWhileRevalidate`, `staleIfError` or `beta`, `expire()`, and tagged
 * writes store an envelope.
 *
 * Shape (a plain object, so every codec and `structuredClone` carries it):
 *
 * ```ts
 * { __cachework: 1, value, softExpiresAt?: number | null, computeMs?: number, tags?: Record<string, number | string> }
 * ```
 *
 * - `__cachework: 1` is the marker. A user value that itself looks like an envelope is stored
 *   wrapped in one (`escapeEnvelope`), so every value still round-trips exactly.
 * - `softExpiresAt` (epoch ms, `null` never): the end of the fresh lifetime. After it the entry
 *   is stale: `get` and `has` treat it as missing, while `getOrSet` may still serve it under
 *   `staleWhileRevalidate` / `staleIfError`. The stored item's own (physical) expiry is later.
 * - `computeMs`: how long the factory took (XFetch's Δ, for `beta`).
 * - `tags`: tag name → the tag version seen when the value was computed (tags, s15).
 */

/** The marker property. */
export const ENVELOPE_MARK = '__cachework'

/** An entry's value with its metadata (see the module comment). */
export interface Envelope {
  [ENVELOPE_MARK]: 1
  value: unknown
  /** End of the fresh lifetime, epoch ms; `null` or absent: fresh until the item expires. */
  softExpiresAt?: number | null
  /** Measured factory time in ms (XFetch Δ). */
  computeMs?: number
  /** Tag name → tag version snapshot. */
  tags?: Record<string, number | string>
}

/** The metadata part of an envelope. */
export type EnvelopeMeta = Omit<Envelope, typeof ENVELOPE_MARK | 'value'>

/** Whether `v` is an envelope (an object whose own marker is exactly `1`). */
export function isEnvelope(v: unknown): v is Envelope {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as Record<string, unknown>)[ENVELOPE_MARK] === 1 &&
    Object.hasOwn(v, ENVELOPE_MARK)
  )
}

/** Wrap `value` with `meta`; `undefined` fields are left out. */
export function makeEnvelope(value: unknown, meta: EnvelopeMeta = {}): Envelope {
  const env: Envelope = { [ENVELOPE_MARK]: 1, value }
  if (meta.softExpiresAt !== undefined) env.softExpiresAt = meta.softExpiresAt
  if (meta.computeMs !== undefined) env.computeMs = meta.computeMs
  if (meta.tags !== undefined) env.tags = meta.tags
  return env
}

/**
 * What a plain `set`/`add` stores for `value`: the value itself, or, when it looks like an
 * envelope, an envelope holding it (so reading it back gives the caller's object, not its field).
 */
export function escapeEnvelope(value: unknown): unknown {
  return isEnvelope(value) ? makeEnvelope(value) : value
}

/** The freshness of a stored value at `now`: plain values and fresh envelopes are `'fresh'`. */
export function entryState(stored: unknown, now: number): 'fresh' | 'stale' {
  if (!isEnvelope(stored)) return 'fresh'
  const s = stored.softExpiresAt
  return s == null || s > now ? 'fresh' : 'stale'
}

/** A sentinel `openEnvelope` returns for a stale envelope. */
export const STALE: unique symbol = Symbol('cachework.stale')

/**
 * What `get` returns for a stored value: the value itself (plain), the envelope's value when it
 * is fresh, or `STALE` when its fresh lifetime is over (a miss for `get`/`has`).
 */
export function openEnvelope(stored: unknown, now: number): unknown {
  if (!isEnvelope(stored)) return stored
  const s = stored.softExpiresAt
  return s == null || s > now ? stored.value : STALE
}

/** What `expire()` stores for a stored value (rule 16): soft-expired at `now`, or earlier if it already was. */
export function softExpired(stored: unknown, now: number): Envelope {
  return isEnvelope(stored)
    ? { ...stored, softExpiresAt: Math.min(now, stored.softExpiresAt ?? now) }
    : makeEnvelope(stored, { softExpiresAt: now })
}
