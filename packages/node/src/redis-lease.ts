/**
 * Stampede leases on Redis (docs/contract.md rule 16), the primitive behind
 * `getOrSet(…, { lock: 'distributed' })`: `SET <leaseKey> <token> NX PX <ms>` takes the lease
 * for exactly one caller across every process and host (the server decides, atomically), and
 * it runs out by itself after `ms`, so a holder that dies (SIGKILL) blocks the others no longer
 * than that. Release is compare-and-delete in one Lua script: the key goes only while it still
 * holds this caller's token, so a lease that ran out and was retaken by someone else stays
 * (the pattern of the Redis `SET` command's documentation, "Patterns").
 *
 * The lease item is the token as plain text beside the entry (`leaseKeyFor(rawKey)`), so
 * `redis-cli GET` shows who holds it, and `entries()` lists it with its holder.
 */
import { type LeaseRecord, leaseKeyFor } from '@cachework/core/backend'
import { type LuaScript, runScript, script } from './redis-scripts.ts'

/** Sends one command for a key to the server that owns it (the primary, or the key's cluster node). */
export type KeyedSend = (key: string, args: string[]) => Promise<unknown>

/** Delete the lease only if it still holds `ARGV[1]`; 1 when deleted, 0 otherwise. */
export const RELEASE_LEASE_SCRIPT: LuaScript = script(
  "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('UNLINK', KEYS[1]) end\n" + 'return 0',
)

/** The `SET … NX PX` arguments that take the lease on `rawKey` for `ttlMs` (at least 1 ms). */
export function leaseSetArgs(rawKey: string, token: string, ttlMs: number): string[] {
  return ['SET', leaseKeyFor(rawKey), token, 'NX', 'PX', String(Math.max(1, Math.ceil(ttlMs)))]
}

/** Take the lease on `rawKey` as `token`: true when this call won it, false when another holds it. */
export async function acquireRedisLease(
  send: KeyedSend,
  rawKey: string,
  token: string,
  ttlMs: number,
): Promise<boolean> {
  return (await send(leaseKeyFor(rawKey), leaseSetArgs(rawKey, token, ttlMs))) === 'OK'
}

/** Give the lease on `rawKey` back if `token` still holds it; true when it was deleted. */
export async function releaseRedisLease(send: KeyedSend, rawKey: string, token: string): Promise<boolean> {
  const lk = leaseKeyFor(rawKey)
  return (await runScript((a) => send(lk, a), RELEASE_LEASE_SCRIPT, [lk], [token])) === 1
}

/** What `entries()` shows for a lease item: its holder's token and when it runs out. */
export function leaseRecordOf(token: string, expiresAt: number | null, now: number): LeaseRecord {
  return { token, until: expiresAt ?? now }
}
