/**
 * The `redis` backend's walks over its own keys (docs/contract.md rule 19): `clear()` removes
 * only keys matching the cache's prefix (`SCAN MATCH <prefix>*` + `UNLINK`, in batches), unlike
 * Django's `FLUSHDB` (django/core/cache/backends/redis.py `clear`), which `options.clear:
 * 'flushdb'` still offers; `entries()` lists them with `PTTL` and `MEMORY USAGE`, so the
 * devtools panel shows Redis like any other backend. On a cluster, every master is walked.
 */
import { CacheUnavailableError, defaultKeyFunction, type KeyFunction } from '@cachework/core'
import { type CallDeadlines, isLeaseKey, type RawEntry } from '@cachework/core/backend'
import type { RedisNodeClient } from './redis-client.ts'
import type { RedisConnections } from './redis-connection.ts'
import { toCacheError } from './redis-deadline.ts'
import { leaseRecordOf } from './redis-lease.ts'
import { decodeRedisValue, UNREADABLE } from './redis-values.ts'

/** How many keys one `SCAN` step asks for and one `UNLINK` removes. */
export const SCAN_BATCH = 1000

/** What a walk needs from its cache. */
export interface Keyspace {
  readonly conns: RedisConnections
  readonly deadlines: CallDeadlines
  /** The `SCAN MATCH` pattern of the cache's keys. */
  readonly pattern: string
  /** `redis cache '<alias>'`, for messages. */
  readonly label: string
  now(): number
  noteError(e: unknown): void
}

/** `*`, `?`, `[`, `]` and `\` are glob characters in `SCAN MATCH`. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, '\\$&')
}

/**
 * The `SCAN MATCH` pattern of a cache's keys: `<prefix>:*` under Django's default key function
 * (`prefix:version:key`), `<prefix>*` under a custom one, every key with no prefix.
 */
export function scanPatternFor(keyPrefix: string, keyFunction: KeyFunction): string {
  if (keyFunction === defaultKeyFunction) return `${globEscape(keyPrefix)}:*`
  return keyPrefix === '' ? '*' : `${globEscape(keyPrefix)}*`
}

/** `SCAN` one client in steps under the deadline, yielding batches of keys. */
async function* scan(k: Keyspace, c: RedisNodeClient): AsyncIterable<string[]> {
  let cursor = '0'
  // Bounded: SCAN visits each slot of the keyspace once; the guard only stops a broken server.
  for (let steps = 0; steps < 10_000_000; steps++) {
    const reply = (await k.deadlines.run(
      c.sendCommand(['SCAN', cursor, 'MATCH', k.pattern, 'COUNT', String(SCAN_BATCH)]),
      'SCAN',
    )) as [string, string[]]
    cursor = String(reply[0])
    if (reply[1].length > 0) yield reply[1]
    if (cursor === '0') return
  }
}

/** Remove the cache's keys (`SCAN` + `UNLINK`), or the whole database with `flushdb`. */
export async function clearKeys(k: Keyspace, flushdb: boolean): Promise<void> {
  k.conns.noteWriteAll()
  const clients = await k.conns.primaries()
  if (flushdb) {
    await Promise.all(clients.map((c) => c.sendCommand(['FLUSHDB'])))
    return
  }
  await Promise.all(
    clients.map(async (c) => {
      for await (const keys of scan(k, c)) {
        // A cluster node holds many slots; UNLINK takes keys of one slot at a time.
        await Promise.all(k.conns.groups(keys).map((g) => c.sendCommand(['UNLINK', ...g])))
      }
    }),
  )
}

/** Every key of the cache via `SCAN`, with `PTTL`, `MEMORY USAGE` and the value, in pipelined batches. */
export async function* listEntries(k: Keyspace): AsyncIterable<RawEntry> {
  let clients: RedisNodeClient[]
  try {
    clients = await k.deadlines.run(k.conns.primaries(), 'entries')
  } catch (e) {
    if (!(e instanceof CacheUnavailableError)) throw e
    k.noteError(e) // like every read (rule 15): an unreachable server lists nothing
    return
  }
  for (const c of clients) {
    try {
      for await (const keys of scan(k, c)) {
        const now = k.now()
        const rows = await k.deadlines.run(
          Promise.all(
            keys.map((key) =>
              Promise.all([
                c.sendCommand(['GET', key]).catch(() => null),
                c.sendCommand(['PTTL', key]),
                c.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0']).catch(() => null),
              ]),
            ),
          ),
          'entries',
        )
        for (let i = 0; i < keys.length; i++) {
          const [text, ttl, size] = rows[i] as [unknown, number, unknown]
          if (text === null || ttl === -2) continue
          const rawKey = keys[i] as string
          const expiresAt = ttl >= 0 ? now + ttl : null
          let value = decodeRedisValue(text)
          if (value === UNREADABLE) continue
          // A lease item is its holder's token as text (redis-lease.ts): list it with its holder.
          if (isLeaseKey(rawKey) && typeof value === 'string') value = leaseRecordOf(value, expiresAt, now)
          const e: RawEntry = { rawKey, expiresAt, value }
          if (typeof size === 'number') e.size = size
          yield e
        }
      }
    } catch (e) {
      const err = toCacheError(e, k.label, 'entries')
      if (!(err instanceof CacheUnavailableError)) throw err
      k.noteError(err)
    }
  }
}
