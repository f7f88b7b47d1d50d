/**
 * Leases: the small backend primitive behind `getOrSet(…, { lock: 'distributed' })`
 * (docs/contract.md rule 16). A lease is a short-lived exclusive claim on one raw key, taken by
 * whoever is about to compute its value; the others wait for the value instead of computing
 * it too. A lease ends when its holder releases it or when its time to live runs out, so a
 * holder that dies (SIGKILL) blocks the others for at most that long.
 *
 * `BaseCache.acquireLease` has a default for every backend, built on the backend's atomic `add`
 * of a lease item beside the entry; backends override it with their native primitive (memcached
 * `mg … N`, an `O_EXCL` lock file, Web Locks, redis `SET NX PX`).
 */

/** What marks a lease item's raw key (`<rawKey>` + this). */
export const LEASE_SUFFIX = ':__lease'

/** memcached's key limit: a lease key never exceeds it (rule 2). */
const MAX_KEY = 250

/** A short stable hash (FNV-1a, 2 × 32 bits) for lease keys of very long raw keys. */
function fnv(s: string): string {
  let a = 0x811c9dc5
  let b = 0x01000193
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193) >>> 0
    b = Math.imul(b ^ c, 0x01000197) >>> 0
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0')
}

/** The raw key of the lease item for `rawKey`; hashed (still ending in the suffix) when long. */
export function leaseKeyFor(rawKey: string): string {
  const k = rawKey + LEASE_SUFFIX
  if (k.length <= MAX_KEY / 4 || new TextEncoder().encode(k).length <= MAX_KEY) return k
  return `${rawKey.slice(0, 100)}~${fnv(rawKey)}${LEASE_SUFFIX}`
}

/** Whether a raw key names a lease item (`entries()` lists those apart). */
export function isLeaseKey(rawKey: string): boolean {
  return rawKey.endsWith(LEASE_SUFFIX)
}

let seq = 0
/** A token unique to this call across processes: it says who holds a lease. */
export function leaseToken(): string {
  seq = (seq + 1) % 0x7fffffff
  const proc = (globalThis as { process?: { pid?: number } }).process
  const who = proc?.pid !== undefined ? `pid${proc.pid}` : 'page'
  return `${who}-${Date.now().toString(36)}-${seq.toString(36)}-${Math.random().toString(36).slice(2, 10)}`
}

/** The lease value the default (`add`-based) lease stores. */
export interface LeaseRecord {
  token: string
  /** Epoch ms when the lease runs out. */
  until: number
}

/** Whether `v` is a lease record written by `BaseCache.acquireLease`'s default. */
export function isLeaseRecord(v: unknown): v is LeaseRecord {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as LeaseRecord).token === 'string' &&
    typeof (v as LeaseRecord).until === 'number'
  )
}

/**
 * How long a waiter sleeps before its `attempt`-th look (docs/contract.md rule 16): 5, 10, then
 * 20 ms, ±50 % jitter. So a waiter sees a stored value at most 30 ms after it lands (plus one
 * round trip), keeping its wait within the factory's time + 50 ms, at about 50 looks a second per
 * waiting process (one process's concurrent callers share one waiter).
 */
export function backoffMs(attempt: number): number {
  return Math.min(20, 5 * 2 ** Math.min(attempt, 2)) * (0.5 + Math.random())
}

/** The storage primitives the default lease is built on (a cache's own `_add`, `_get`, `_delete`). */
export interface LeaseStore {
  add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean>
  get(rawKey: string): Promise<{ value: unknown } | undefined>
  delete(rawKey: string): Promise<boolean>
}

/**
 * The default lease (`BaseCache.acquireLease`): `add` a lease record beside the entry, until
 * `until` (epoch ms); atomic wherever the backend's `add` is. Resolves whether `token` won it.
 */
export function addLease(store: LeaseStore, rawKey: string, token: string, until: number): Promise<boolean> {
  return store.add(leaseKeyFor(rawKey), { token, until }, until)
}

/** Give back a lease taken with `addLease`; one that ran out and was retaken by another token is left alone. */
export async function removeLease(store: LeaseStore, rawKey: string, token: string): Promise<void> {
  const lk = leaseKeyFor(rawKey)
  const e = await store.get(lk)
  if (e !== undefined && isLeaseRecord(e.value) && e.value.token === token) await store.delete(lk)
}
