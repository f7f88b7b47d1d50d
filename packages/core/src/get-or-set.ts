/**
 * `getOrSet` with stampede protection (docs/contract.md rules 9 and 16): single flight per
 * process, an optional distributed lease across processes, stale-while-revalidate,
 * stale-if-error (RFC 5861's two ideas, applied to cache entries) and XFetch probabilistic
 * early refresh (Vattani, Chierichetti & Lowenstein, "Optimal Probabilistic Cache Stampede
 * Prevention", PVLDB 8(8), 2015). Metadata lives in the entry envelope (envelope.ts), written
 * only when an option needs it, so a plain `getOrSet` stores a plain value as Django does.
 */
import type { StoredEntry } from './storage-base.ts'
import { isolatedCopy } from './clone.ts'
import { makeEnvelope, type Envelope, isEnvelope } from './envelope.ts'
import { CacheUnavailableError } from './errors.ts'
import type { CacheEventType } from './events.ts'
import { backoffMs } from './lease.ts'
import type { TagOpts, TagSnapshot } from './tags.ts'
import type { Timeout, VersionOpts } from './types.ts'

/** Options of `getOrSet` beside `version` (docs/contract.md rule 16). */
export interface GetOrSetOptions extends VersionOpts, TagOpts {
  /**
   * `'process'` (default): concurrent calls in this process share one computation.
   * `'distributed'`: one computation across every process sharing the backend, through the
   * backend's lease (`acquireLease`); waiters poll for the value.
   */
  lock?: 'process' | 'distributed'
  /**
   * How long a distributed lease lasts (ms, default 5000): a holder that dies blocks the others
   * at most this long. Keep it above the factory's time, or a second process computes too.
   */
  lockTimeoutMs?: number
  /**
   * Seconds after the fresh lifetime during which the stale value is returned at once while one
   * refresh runs in the background (default 0: off).
   */
  staleWhileRevalidate?: number
  /** Seconds after the fresh lifetime during which a failing factory returns the stale value (default 0). */
  staleIfError?: number
  /**
   * XFetch: recompute early, in the background, when `now − Δ·β·ln(random()) ≥ expiry`
   * (Δ = the measured factory time). Default 0 (off); 1 is the paper's optimum; larger is earlier.
   */
  beta?: number
  /** Random source in (0, 1] for `beta` (default `1 - Math.random()`); tests inject one. */
  random?: () => number
}

/** What `getOrSet` needs from its cache; `BaseCache` provides it. */
export interface GetOrSetHost {
  now(): number
  rawKey(key: string, version?: number): string
  expiryFor(timeout: Timeout): number | null
  /**
   * The stored entry (value possibly an envelope); a miss when storage is unreachable (rule 15)
   * or when its tags were invalidated (rule 17). `tags` are read with it in one round trip.
   */
  readStored(rawKey: string, tags?: Iterable<string>): Promise<StoredEntry | undefined>
  /** The current versions of `opts.tags` (creating missing counters), or `undefined` without tags. */
  tagSnapshot(opts: GetOrSetOptions | undefined): Promise<TagSnapshot | undefined>
  add(key: string, value: unknown, timeout: Timeout, opts?: VersionOpts): Promise<boolean>
  set(key: string, value: unknown, timeout: Timeout, opts?: VersionOpts): Promise<boolean>
  /** Store an envelope at an absolute physical expiry; `add` only when missing. */
  storeEnvelope(
    key: string,
    rawKey: string,
    env: Envelope,
    expiresAt: number | null,
    mode: 'add' | 'set',
    opts?: VersionOpts,
  ): Promise<boolean>
  acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined>
  releaseLease(rawKey: string, token: string): Promise<void>
  /** Count and emit a hit or miss. */
  note(type: 'hit' | 'miss', key: string, rawKey: string, opts?: VersionOpts): void
  /** Emit `stale` or `refresh`. */
  signal(type: CacheEventType, key: string, rawKey: string, opts?: VersionOpts): void
  /** Count and emit an `error`. */
  fail(error: unknown, rawKey: string): void
  /** One computation per raw key in this process. */
  readonly inflight: Map<string, Promise<unknown>>
  /** Raw keys being refreshed in the background by this process (devtools shows them). */
  readonly refreshing: Set<string>
}

interface Resolved {
  distributed: boolean
  lockTimeoutMs: number
  swrMs: number
  sieMs: number
  beta: number
  random: () => number
  /** Whether the entry needs an envelope. */
  meta: boolean
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

function seconds(name: string, v: unknown): number {
  if (v === undefined) return 0
  if (typeof v !== 'number' || !(v >= 0))
    throw new TypeError(`${name} must be a number >= 0, got ${String(v)}`)
  return v
}

function resolve(opts: GetOrSetOptions | undefined): Resolved {
  const o = opts ?? {}
  if (o.lock !== undefined && o.lock !== 'process' && o.lock !== 'distributed') {
    throw new TypeError(`lock must be 'process' or 'distributed', got ${String(o.lock)}`)
  }
  const lockTimeoutMs = o.lockTimeoutMs ?? 5000
  if (typeof lockTimeoutMs !== 'number' || !(lockTimeoutMs > 0)) {
    throw new TypeError(`lockTimeoutMs must be a number > 0, got ${String(lockTimeoutMs)}`)
  }
  const swrMs = seconds('staleWhileRevalidate', o.staleWhileRevalidate) * 1000
  const sieMs = seconds('staleIfError', o.staleIfError) * 1000
  const beta = seconds('beta', o.beta)
  return {
    distributed: o.lock === 'distributed',
    lockTimeoutMs,
    swrMs,
    sieMs,
    beta,
    random: o.random ?? (() => 1 - Math.random()),
    meta: swrMs > 0 || sieMs > 0 || beta > 0,
  }
}

/** A call's context, passed down instead of eight arguments. */
interface Call<T> {
  h: GetOrSetHost
  key: string
  raw: string
  factory: T | (() => T | Promise<T>)
  timeout: Timeout
  opts: GetOrSetOptions | undefined
  o: Resolved
}

/** The fresh value of a stored entry, or `undefined` when it is stale (or missing). */
function freshValue(e: StoredEntry | undefined, now: number): { value: unknown } | undefined {
  if (e === undefined) return undefined
  const v = e.value
  if (!isEnvelope(v)) return { value: v }
  return v.softExpiresAt == null || v.softExpiresAt > now ? { value: v.value } : undefined
}

/** XFetch (PVLDB 8(8) §4): whether this caller should refresh a still-fresh entry now. */
function earlyRefresh(env: Envelope, now: number, o: Resolved): boolean {
  const soft = env.softExpiresAt
  const delta = env.computeMs ?? 0
  if (o.beta <= 0 || soft == null || delta <= 0) return false
  return now - delta * o.beta * Math.log(o.random()) >= soft
}

/**
 * The live value of `key`, or the factory's, under the options (docs/contract.md rule 16).
 * Every caller gets its own copy of a shared computation's value (rule 12).
 */
export async function getOrSetWith<T>(
  h: GetOrSetHost,
  key: string,
  factory: T | (() => T | Promise<T>),
  timeout: Timeout,
  opts: GetOrSetOptions | undefined,
): Promise<T> {
  const o = resolve(opts)
  const raw = h.rawKey(key, opts?.version)
  const c: Call<T> = { h, key, raw, factory, timeout, opts, o }
  const e = await h.readStored(raw, opts?.tags)
  const now = h.now()
  let stale: Envelope | undefined
  if (e !== undefined) {
    const v = e.value
    if (!isEnvelope(v)) {
      h.note('hit', key, raw, opts)
      return v as T
    }
    const soft = v.softExpiresAt
    if (soft == null || soft > now) {
      h.note('hit', key, raw, opts)
      if (earlyRefresh(v, now, o)) refreshInBackground(c, v)
      return v.value as T
    }
    if (o.swrMs > 0 && now < soft + o.swrMs) {
      // Stale-while-revalidate: answer now, refresh once in the background.
      h.note('hit', key, raw, opts)
      h.signal('stale', key, raw, opts)
      refreshInBackground(c, v)
      return v.value as T
    }
    stale = v
  }
  h.note('miss', key, raw, opts)
  return foreground(c, stale)
}

/** Join this process's computation of the key, or start one. */
function foreground<T>(c: Call<T>, stale: Envelope | undefined): Promise<T> {
  const existing = c.h.inflight.get(c.raw) as Promise<T> | undefined
  if (existing !== undefined) return existing.then((v) => isolatedCopy(v) as T)
  const p = c.o.distributed ? underLease(c, stale) : computeAndStore(c, stale)
  track(c.h.inflight, c.raw, p)
  return p
}

function track(inflight: Map<string, Promise<unknown>>, raw: string, p: Promise<unknown>): void {
  inflight.set(raw, p)
  const done = () => {
    if (inflight.get(raw) === p) inflight.delete(raw)
  }
  p.then(done, done)
}

/** Take the lease, or wait for whoever holds it to store the value (rule 16). */
async function underLease<T>(c: Call<T>, stale: Envelope | undefined): Promise<T> {
  const { h, raw, o } = c
  // Bounded: a holder's lease runs out after lockTimeoutMs, so a waiter wins it by then; past
  // twice that (a storage that keeps refusing), compute without the lease rather than hang.
  const giveUpAt = Date.now() + 2 * o.lockTimeoutMs + 1000
  for (let attempt = 0; ; attempt++) {
    let token: string | undefined
    try {
      token = await h.acquireLease(raw, o.lockTimeoutMs)
    } catch (e) {
      if (!(e instanceof CacheUnavailableError)) throw e
      // Storage down: a miss (rule 15); computing unlocked is all that is left.
      h.fail(e, raw)
      return computeAndStore(c, stale)
    }
    if (token !== undefined) {
      try {
        // Someone may have stored the value between our miss and our lease.
        const again = freshValue(await h.readStored(raw, c.opts?.tags), h.now())
        if (again !== undefined) return again.value as T
        return await computeAndStore(c, stale)
      } finally {
        await h.releaseLease(raw, token).catch((e) => h.fail(e, raw))
      }
    }
    if (Date.now() >= giveUpAt) return computeAndStore(c, stale)
    await sleep(backoffMs(attempt))
    const got = freshValue(await h.readStored(raw, c.opts?.tags), h.now())
    if (got !== undefined) return got.value as T
  }
}

/** Run the factory and store its value; a failure may fall back to the stale value. */
async function computeAndStore<T>(c: Call<T>, stale: Envelope | undefined): Promise<T> {
  const { h, key, raw, opts, o } = c
  // Rule 17: tag versions are read BEFORE the factory runs, so an invalidation during it wins.
  const tags = await h.tagSnapshot(opts)
  const t0 = h.now()
  let value: T
  try {
    value = typeof c.factory === 'function' ? await (c.factory as () => T | Promise<T>)() : (c.factory as T)
  } catch (err) {
    const soft = stale?.softExpiresAt
    if (stale !== undefined && soft != null && o.sieMs > 0 && h.now() < soft + o.sieMs) {
      // Stale-if-error: report the failure, answer with the last good value.
      h.fail(err, raw)
      return stale.value as T
    }
    throw err
  }
  const mode = stale === undefined ? 'add' : 'set'
  if (!o.meta && tags !== undefined) {
    const env = makeEnvelope(value, { tags })
    const exp = h.expiryFor(c.timeout)
    if (exp !== null && exp <= h.now()) return value
    await h.storeEnvelope(key, raw, env, exp, mode, opts)
    if (mode === 'set') return value
  } else if (!o.meta) {
    if (mode === 'set') {
      await h.set(key, value, c.timeout, opts)
      return value
    }
    await h.add(key, value, c.timeout, opts)
  } else {
    const soft = h.expiryFor(c.timeout)
    const env = makeEnvelope(value, { softExpiresAt: soft, computeMs: Math.max(0, h.now() - t0), tags })
    // The item lives through its stale windows; `get` stops returning it at `soft`.
    const physical = soft === null ? null : soft + Math.max(o.swrMs, o.sieMs)
    if (physical !== null && physical <= h.now()) return value
    await h.storeEnvelope(key, raw, env, physical, mode, opts)
    if (mode === 'set') return value
  }
  // Django re-reads after add, so a concurrent writer's value wins (django/core/cache/backends/base.py `get_or_set`).
  const now = freshValue(await h.readStored(raw, opts?.tags), h.now())
  return (now === undefined ? value : now.value) as T
}

/**
 * Raw keys another process was found refreshing (lease held elsewhere), per cache, with when to
 * look again: stale hits meanwhile do not each cost a lease attempt (a write on db and file).
 */
const refreshedElsewhere = new WeakMap<GetOrSetHost, Map<string, number>>()
/** How long a lost background lease attempt is remembered (ms; at most lockTimeoutMs). */
const ELSEWHERE_MS = 1000
/** Past this many remembered keys the memo is emptied (it is only an optimisation). */
const ELSEWHERE_MAX = 1000

function elsewhere(h: GetOrSetHost): Map<string, number> {
  let m = refreshedElsewhere.get(h)
  if (!m) {
    m = new Map()
    refreshedElsewhere.set(h, m)
  }
  return m
}

/** Refresh a stale or early entry once, in the background; callers keep the old value. */
function refreshInBackground<T>(c: Call<T>, old: Envelope): void {
  const { h, raw, key, opts, o } = c
  if (h.inflight.has(raw)) return
  if (o.distributed) {
    const memo = elsewhere(h)
    const until = memo.get(raw)
    if (until !== undefined) {
      if (until > h.now()) return
      memo.delete(raw)
    }
  }
  const run = async (): Promise<T> => {
    let token: string | undefined
    if (o.distributed) {
      token = await h.acquireLease(raw, o.lockTimeoutMs)
      if (token === undefined) {
        // Another process refreshes it: keep serving the stale value, and do not ask again for
        // a while (its lease ends within lockTimeoutMs, dead holder or not: rule 16).
        const memo = elsewhere(h)
        if (memo.size >= ELSEWHERE_MAX) memo.clear()
        memo.set(raw, h.now() + Math.min(o.lockTimeoutMs, ELSEWHERE_MS))
        return old.value as T
      }
    }
    h.refreshing.add(raw)
    h.signal('refresh', key, raw, opts)
    try {
      return await computeAndStore(c, old)
    } finally {
      h.refreshing.delete(raw)
      if (token !== undefined) await h.releaseLease(raw, token).catch((e) => h.fail(e, raw))
    }
  }
  const p = run()
  track(h.inflight, raw, p)
  // Nobody awaits a background refresh: its failure is reported, never thrown (rule 15).
  p.catch((e) => h.fail(e, raw))
}
