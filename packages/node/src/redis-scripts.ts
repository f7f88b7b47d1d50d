/**
 * The server-side pieces of the `redis` backend: its Lua scripts (run with `EVALSHA`, falling
 * back to `EVAL` on `NOSCRIPT`, so they work on any client, including one passed in
 * `options.client`) and Redis Cluster's key → hash slot function.
 */
import { createHash } from 'node:crypto'

/** A Lua script and its SHA1, as `EVALSHA` wants it. */
export interface LuaScript {
  readonly source: string
  readonly sha: string
}

/** A script from its Lua source, with the SHA1 `EVALSHA` names it by. */
export function script(source: string): LuaScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') }
}

/**
 * `incr`/`decr` (docs/contract.md rule 7): one atomic step. A missing key answers nil (Django's
 * `EXISTS` then `INCRBY` is two round trips and not atomic); `INCRBY` keeps the TTL and fails on
 * a value that is not a 64-bit integer.
 */
export const INCR_SCRIPT: LuaScript = script(
  "if redis.call('EXISTS', KEYS[1]) == 0 then return false end\n" +
    "redis.call('INCRBY', KEYS[1], ARGV[1])\n" +
    // The new value as the stored decimal text, not an integer reply: node-redis parses integer
    // replies into a float, which can round near 2^53; the text is exact at any size.
    "return redis.call('GET', KEYS[1])",
)

/**
 * `incrVersion`/`decrVersion` when both keys are on one server (rule 8): copy the value with its
 * remaining TTL and delete the old key, atomically. Answers 0 when the key is missing.
 */
export const MOVE_SCRIPT: LuaScript = script(
  "local v = redis.call('GET', KEYS[1])\n" +
    'if not v then return 0 end\n' +
    'if KEYS[1] == KEYS[2] then return 1 end\n' +
    "local ttl = redis.call('PTTL', KEYS[1])\n" +
    "if ttl > 0 then redis.call('SET', KEYS[2], v, 'PX', ttl) else redis.call('SET', KEYS[2], v) end\n" +
    "redis.call('UNLINK', KEYS[1])\n" +
    'return 1',
)

/** The value and remaining TTL (ms, -1 for none) of one key in one step, for a cross-slot move. */
export const READ_WITH_TTL_SCRIPT: LuaScript = script(
  "local v = redis.call('GET', KEYS[1])\n" +
    'if not v then return false end\n' +
    "return {v, redis.call('PTTL', KEYS[1])}",
)

/** `touch(key, null)`: make a live key persistent; 1 when it exists (PERSIST alone says 0 for a key without TTL). */
export const PERSIST_SCRIPT: LuaScript = script(
  "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n" +
    "redis.call('PERSIST', KEYS[1])\n" +
    'return 1',
)

/** Run `s` through `send` (`EVALSHA`, then `EVAL` when the server does not know the script yet). */
export async function runScript(
  send: (args: string[]) => Promise<unknown>,
  s: LuaScript,
  keys: string[],
  args: string[],
): Promise<unknown> {
  const rest = [String(keys.length), ...keys, ...args]
  try {
    return await send(['EVALSHA', s.sha, ...rest])
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e
    return send(['EVAL', s.source, ...rest])
  }
}

// CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with (Redis Cluster spec, "Keys
// distribution model": HASH_SLOT = CRC16(key) mod 16384).
const CRC_TABLE = (() => {
  const t = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << 8
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
    t[i] = c
  }
  return t
})()

function crc16(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ (CRC_TABLE[((crc >> 8) ^ (bytes[i] as number)) & 0xff] as number)
  return crc
}

/**
 * The cluster hash slot of a key: CRC16 of its UTF-8 bytes mod 16384, or of the part between
 * the first `{` and the next `}` when that part is not empty (a hash tag).
 */
export function hashSlot(key: string): number {
  const b = Buffer.from(key, 'utf8')
  const open = b.indexOf(0x7b)
  if (open !== -1) {
    const close = b.indexOf(0x7d, open + 1)
    if (close > open + 1) return crc16(b, open + 1, close) & 16383
  }
  return crc16(b, 0, b.length) & 16383
}
