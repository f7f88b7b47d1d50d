/**
 * Counters and version moves on Redis, each one server-side step where Redis allows it:
 * `incr`/`decr` (docs/contract.md rule 7) in one script that keeps the TTL (Django's `EXISTS`
 * then `INCRBY`, django/core/cache/backends/redis.py `incr`, is two round trips and not
 * atomic), and `incrVersion`/`decrVersion` (rule 8) moving the value with its remaining TTL.
 */
import { KeyNotFoundError } from '@cachework/core'
import { unsafeIncrMessage } from '@cachework/core/backend'
import { isReplyError } from './redis-client.ts'
import type { KeyedSend } from './redis-lease.ts'
import { hashSlot, INCR_SCRIPT, MOVE_SCRIPT, READ_WITH_TTL_SCRIPT, runScript } from './redis-scripts.ts'

/** Add `delta` to the integer at `rawKey`; `KeyNotFoundError` when missing, `TypeError` when not an integer. */
export async function incrBy(
  send: KeyedSend,
  rawKey: string,
  delta: number,
  callerKey: string,
): Promise<number> {
  let n: unknown
  try {
    n = await runScript((a) => send(rawKey, a), INCR_SCRIPT, [rawKey], [String(delta)])
  } catch (e) {
    if (isReplyError(e) && /not an integer|overflow|WRONGTYPE/.test(e.message)) {
      throw new TypeError(`Cannot incr/decr '${callerKey}': the stored value is not a 64-bit integer`)
    }
    throw e
  }
  if (n === null || n === undefined) throw new KeyNotFoundError(rawKey)
  // Redis counts in 64 bits; a number past 2^53 would come back rounded (rule 7).
  const big = BigInt(n as string | number)
  if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(unsafeIncrMessage(callerKey, `${n} (now stored)`))
  }
  return Number(n)
}

/**
 * Move `fromRaw` to `toRaw` keeping the remaining TTL: one atomic script when both keys share a
 * server (always, except on a cluster when the two hash to different slots; then
 * read-with-TTL, `SET … PX`, `UNLINK` in three steps). False when `fromRaw` is missing.
 */
export async function moveKey(
  send: KeyedSend,
  clustered: boolean,
  fromRaw: string,
  toRaw: string,
): Promise<boolean> {
  const on = (key: string) => (a: string[]) => send(key, a)
  if (!clustered || hashSlot(fromRaw) === hashSlot(toRaw)) {
    return (await runScript(on(fromRaw), MOVE_SCRIPT, [fromRaw, toRaw], [])) === 1
  }
  const got = await runScript(on(fromRaw), READ_WITH_TTL_SCRIPT, [fromRaw], [])
  if (!Array.isArray(got)) return false
  const [value, ttl] = got as [string, number]
  await send(toRaw, ttl > 0 ? ['SET', toRaw, value, 'PX', String(ttl)] : ['SET', toRaw, value])
  await send(fromRaw, ['UNLINK', fromRaw])
  return true
}
