/**
 * `tiered`: a fast local cache (L1, e.g. `locmem`) in front of a shared one (L2, e.g. `redis`,
 * `memcached`, `indexeddb`), kept coherent by a bus (docs/contract.md rule 18).
 *
 * - Reads (`get` and `getMany`): L1, then L2; an L2 hit is copied into L1 for the smaller of
 *   L1's own default timeout (its cap) and L2's remaining lifetime, so an L1 copy never
 *   outlives the L2 entry (unlike cache-manager's `wrap`, which backfills with the full TTL).
 *   When L2 cannot tell the remaining lifetime, nothing is copied.
 * - Writes and deletes: L2 first, then L1, then a bus message naming the raw keys, so other
 *   processes or tabs drop their L1 copies. Tag invalidation is an `incr` of the tag counter, so
 *   it travels the same way.
 * - No bus: L1's cap is then the only bound on how stale another process's L1 can be.
 * - A bus that reconnects empties L1: messages sent while it was away are lost.
 *
 * The tiers are given as aliases, configs or `Cache` instances (resolved, with the bus, in
 * tiers.ts); this cache makes its own keys and hands the raw keys to the tiers' storage primitives.
 */
import { BaseCache, type RawEntry, type StoredEntry } from '../base-cache.ts'
import { CacheError, CacheUnavailableError } from '../errors.ts'
import type { CacheStats } from '../events.ts'
import { NO_PEEK, PEEK_RAW } from '../peek.ts'
import { isTagCounterKey, type TagOpts } from '../tags.ts'
import type { CacheInit, VersionOpts } from '../types.ts'
import type { ValueOrDefault } from '../value-types.ts'
import { type BusSpec, resolveTiers, type Tier, TierBus, type TierSpec } from './tiers.ts'

export type { BusSpec, TierSpec } from './tiers.ts'

/** Per-tier counters `stats().tiers` reports. */
export interface TierStats {
  tier: 'l1' | 'l2'
  alias: string
  backend: string
  hits: number
  misses: number
  sets: number
  deletes: number
}

/** `stats()` of a tiered cache: the usual counters, plus one row per tier. */
export interface TieredStats extends CacheStats {
  tiers: [TierStats, TierStats]
  /** Bus messages received that dropped L1 copies, and L1 flushes after a bus reconnect. */
  bus: { received: number; flushes: number }
}

/**
 * A tier's read that fails with a bare error (a socket closed under it) is storage that cannot
 * be reached: a miss for the tiered read (docs/contract.md rule 15). Our own errors and
 * `TypeError`s pass through unchanged.
 */
async function unavailableOnFailure<T>(p: Promise<T>): Promise<T> {
  try {
    return await p
  } catch (e) {
    if (e instanceof CacheError || e instanceof TypeError) throw e
    throw new CacheUnavailableError(`tiered cache: L2 read failed: ${(e as Error)?.message ?? String(e)}`)
  }
}

/** The two-tier backend (`tiered`). Options: `tiers: [l1, l2]` (required), `bus` (default none). */
export class TieredCache extends BaseCache {
  static override readonly backendName: string = 'tiered'
  static override readonly knownOptions: readonly string[] = ['tiers', 'bus']
  /** Check `tiers` and `bus` at configure time. */
  static validateOptions(options: Record<string, unknown>): string | undefined {
    const t = options.tiers
    if (!Array.isArray(t) || t.length !== 2) return 'tiers must be [l1, l2]: two aliases, configs or caches'
    for (const x of t)
      if (typeof x !== 'string' && (typeof x !== 'object' || x === null))
        return 'each tier must be an alias, a config or a cache'
    const b = options.bus
    if (b !== undefined && b !== false && (typeof b !== 'object' || b === null))
      return 'bus must be a CacheBus, { type, … } or false'
    return undefined
  }

  protected override readonly usesIO = true
  /** The bus that drops other processes' L1 copies (tiers.ts). */
  private readonly coherence = new TierBus()
  /** This instance's id on the bus. */
  readonly busId = this.coherence.id
  private tiersResolved: [Tier, Tier] | undefined
  private readonly tierStats: [TierStats, TierStats]

  /** Whether this alias sets `timeoutMs` itself (see `withTimeout`). */
  private readonly ownTimeout: boolean

  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    this.ownTimeout = init.options?.timeoutMs !== undefined
    const [a, b] = this.options.tiers as [TierSpec, TierSpec]
    const row = (tier: 'l1' | 'l2', spec: TierSpec): TierStats => ({
      tier,
      alias: typeof spec === 'string' ? spec : `${alias}:${tier}`,
      backend: '',
      hits: 0,
      misses: 0,
      sets: 0,
      deletes: 0,
    })
    this.tierStats = [row('l1', a), row('l2', b)]
  }

  /**
   * Rule 15 for two tiers: each tier already answers under its own `timeoutMs` (a read misses, a
   * write rejects), and knows what not to count (redis does not count loading its client module
   * on first use). A second timer here, with the tiered alias's default, failed a fresh process's
   * first write through a slow-to-load L2 that L2 itself would have completed. So the tiers bound
   * every call unless this alias sets `timeoutMs` itself, which then bounds each call as a whole.
   */
  protected override withTimeout<T>(op: Promise<T>, what: string): Promise<T> {
    return this.ownTimeout ? super.withTimeout(op, what) : op
  }

  /** The tiers, made on first use (an alias may be configured in the same `configureCaches`). */
  private tiers(): [Tier, Tier] {
    if (this.tiersResolved) return this.tiersResolved
    const made = resolveTiers(this.options.tiers as [TierSpec, TierSpec], this.alias, this)
    this.tierStats[0].backend = made[0].backendName
    this.tierStats[1].backend = made[1].backendName
    this.tiersResolved = made
    this.coherence.connect(this.options.bus as BusSpec | undefined, this.alias, () => this.tiers()[0])
    return made
  }

  private publish(keys: string[]): void {
    this.coherence.publish(keys)
  }

  /** L1's expiry for an entry expiring at `exp` in L2: the smaller of the two (rule 18). */
  private l1Expiry(exp: number | null): number | null {
    const cap = this.tiers()[0].defaultTimeout
    const capAt = cap === null ? null : this.now() + cap * 1000
    if (exp === null) return capAt
    return capAt === null ? exp : Math.min(exp, capAt)
  }

  /**
   * The L1 hit without the generic machinery (rule 18 promises an L1 hit costs about what L1
   * alone does): when nobody listens for events and L1 can answer synchronously (`locmem`'s
   * `PEEK_RAW`), a live plain value in L1 is the answer; everything else (an L1 miss, an
   * envelope, tags, events) takes the generic path.
   */
  override get<T = unknown>(
    key: string,
    defaultValue?: undefined,
    opts?: VersionOpts & TagOpts,
  ): Promise<T | undefined>
  override get<T = unknown, D = T>(
    key: string,
    defaultValue: D,
    opts?: VersionOpts & TagOpts,
  ): Promise<ValueOrDefault<T, D>>
  override get(key: string, defaultValue?: unknown, opts?: VersionOpts & TagOpts): Promise<unknown> {
    if (this.events.active || opts?.tags !== undefined) return super.get(key, defaultValue, opts)
    try {
      const l1 = this.tiers()[0] as unknown as { [PEEK_RAW]?: (raw: string) => unknown }
      const peek = l1[PEEK_RAW]
      if (peek === undefined) return super.get(key, defaultValue, opts)
      // No memo of made keys (issue 19: a bounded memo is defeated by a larger working set, and
      // a memoised bad key would warn only once where Django warns on every call).
      const raw = this.rawKey(key, opts?.version)
      const v = peek.call(l1, raw)
      if (v === undefined || v === NO_PEEK) return super.get(key, defaultValue, opts)
      this.counters.hits++
      this.tierStats[0].hits++
      return Promise.resolve(v)
    } catch (e) {
      return Promise.reject(e)
    }
  }

  /** Also check the raw key against each tier (memcached rejects what it cannot store). */
  override validateKey(rawKey: string): void {
    super.validateKey(rawKey)
    for (const t of this.tiers()) t.validateKey(rawKey)
  }

  override stats(): TieredStats {
    return {
      ...super.stats(),
      tiers: [{ ...this.tierStats[0] }, { ...this.tierStats[1] }],
      bus: { ...this.coherence.stats },
    }
  }

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    const [l1, l2] = this.tiers()
    const [s1, s2] = this.tierStats
    const e1 = await l1._get(rawKey)
    if (e1 !== undefined) {
      s1.hits++
      return e1
    }
    s1.misses++
    const e2 = await unavailableOnFailure(l2._get(rawKey))
    if (e2 === undefined) {
      s2.misses++
      return undefined
    }
    s2.hits++
    let exp = e2.expiresAt
    if (exp === undefined) exp = await l2._expiryOf(rawKey)
    // Unknown remaining lifetime: no copy, rather than one that could outlive L2's entry.
    if (exp !== undefined) {
      const at = this.l1Expiry(exp)
      if (at === null || at > this.now()) {
        await l1._set(rawKey, e2.value, at)
        s1.sets++
      }
    }
    return { value: e2.value, expiresAt: exp }
  }

  protected override async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    const [l1, l2] = this.tiers()
    const [s1, s2] = this.tierStats
    const out = await l1._getMany(rawKeys)
    s1.hits += out.size
    const rest = rawKeys.filter((k) => !out.has(k))
    s1.misses += rest.length
    if (rest.length === 0) return out
    const got = await unavailableOnFailure(l2._getMany(rest))
    s2.hits += got.size
    s2.misses += rest.length - got.size
    for (const [k, v] of got) out.set(k, v)
    // Backfill as `_get` does (rule 18): each copy lives for min(L1 cap, L2's remaining
    // lifetime), asked of L2 for all found keys at once; an unknown lifetime means no copy. Tag
    // counters never expire in L2 (tags.ts), so theirs live for L1's cap.
    const found = [...got.keys()]
    const exps = await Promise.all(
      found.map((k) => (isTagCounterKey(k) ? null : l2._expiryOf(k).catch(() => undefined))),
    )
    const now = this.now()
    await Promise.all(
      found.map(async (k, i) => {
        const exp = exps[i]
        if (exp === undefined) return
        const at = this.l1Expiry(exp)
        if (at !== null && at <= now) return
        await l1._set(k, got.get(k), at)
        s1.sets++
      }),
    )
    return out
  }

  protected async _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const [l1, l2] = this.tiers()
    const ok = await l2._set(rawKey, value, expiresAt)
    if (ok) {
      await l1._set(rawKey, value, this.l1Expiry(expiresAt))
      this.tierStats[0].sets++
      this.tierStats[1].sets++
    } else await l1._delete(rawKey)
    this.publish([rawKey])
    return ok
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const [l1, l2] = this.tiers()
    const ok = await l2._add(rawKey, value, expiresAt)
    if (ok) {
      await l1._set(rawKey, value, this.l1Expiry(expiresAt))
      this.tierStats[0].sets++
      this.tierStats[1].sets++
      this.publish([rawKey])
    }
    return ok
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    const [l1, l2] = this.tiers()
    const ok = await l2._touch(rawKey, expiresAt)
    // The next read copies it again with the new remaining lifetime.
    await l1._delete(rawKey)
    if (ok) this.publish([rawKey])
    return ok
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    const [l1, l2] = this.tiers()
    const ok = await l2._delete(rawKey)
    const ok1 = await l1._delete(rawKey)
    if (ok || ok1) {
      this.tierStats[0].deletes++
      this.tierStats[1].deletes++
    }
    this.publish([rawKey])
    return ok
  }

  protected override async _setMany(
    pairs: Array<[string, unknown]>,
    expiresAt: number | null,
  ): Promise<string[]> {
    const [l1, l2] = this.tiers()
    const failed = await l2._setMany(pairs, expiresAt)
    const bad = new Set(failed)
    await l1._setMany(
      pairs.filter(([k]) => !bad.has(k)),
      this.l1Expiry(expiresAt),
    )
    if (bad.size) await l1._deleteMany([...bad])
    this.publish(pairs.map((p) => p[0]))
    return failed
  }

  protected override async _deleteMany(rawKeys: string[]): Promise<void> {
    const [l1, l2] = this.tiers()
    await l2._deleteMany(rawKeys)
    await l1._deleteMany(rawKeys)
    this.publish(rawKeys)
  }

  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    const [l1, l2] = this.tiers()
    try {
      return await l2._incr(rawKey, delta, callerKey)
    } finally {
      await l1._delete(rawKey)
      this.publish([rawKey])
    }
  }

  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    const [l1, l2] = this.tiers()
    const ok = await l2._moveVersion(fromRaw, toRaw)
    await l1._deleteMany([fromRaw, toRaw])
    this.publish([fromRaw, toRaw])
    return ok
  }

  protected override async _expiryOf(rawKey: string): Promise<number | null | undefined> {
    return this.tiers()[1]._expiryOf(rawKey)
  }

  protected async _clear(): Promise<void> {
    const [l1, l2] = this.tiers()
    await l2._clear()
    await l1._clear()
    this.coherence.publishClear()
  }

  /** L2 is the source of truth for listings. */
  protected async *_entries(opts?: { sizes?: boolean }): AsyncIterable<RawEntry> {
    yield* this.tiers()[1]._entries(opts)
  }

  protected override async _close(): Promise<void> {
    await this.coherence.close()
    const t = this.tiersResolved
    this.tiersResolved = undefined
    if (t) await Promise.all(t.map((x) => x.close()))
  }
}
