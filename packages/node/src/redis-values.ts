/**
 * How values are stored in Redis (docs/contract.md rules 12 and 19). Redis strings carry no
 * flags, so the form of the text says what it is:
 *
 * - a safe integer (not `-0`) is plain decimal text, as Django's `RedisSerializer` stores
 *   `type(obj) is int` (django/core/cache/backends/redis.py), so `INCRBY` works on it and
 *   Django reads it back as an `int`;
 * - any other string that is not integer-shaped, does not start with cachework's tag and holds
 *   no U+FFFD is stored as itself (readable by `redis-cli` and any client);
 * - everything else is cachework's codec (devalue text) behind the tag `\0cw1:`.
 *
 * Reading: decimal text → a number (a `bigint` beyond 2^53); the tag → the codec; text that
 * decoded with U+FFFD (not UTF-8, e.g. Django's pickles, which start with byte 0x80) → a miss,
 * never unpickled; other text → that string.
 */
import { decodeValue, encodeValue } from '@cachework/core/backend'

/** The prefix of values in cachework's codec. The NUL keeps it apart from ordinary text. */
export const CODEC_TAG = '\u0000cw1:'

/** What `decodeRedisValue` returns for bytes it will not read. */
export const UNREADABLE: unique symbol = Symbol('cachework.redis.unreadable')

const INTEGER = /^-?\d{1,20}$/

/** Decimal-integer text; the regex runs only for text starting with a digit or `-` (most values do not). */
function isIntegerText(s: string): boolean {
  const c = s.charCodeAt(0)
  return (c === 45 || (c >= 48 && c <= 57)) && INTEGER.test(s)
}

/**
 * No lone surrogate (`String.prototype.isWellFormed`, Node 20+, ES2024 so beyond the project's
 * lib types): constant time for a one-byte string, where the equivalent regex scanned each value.
 */
function isWellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed()
}

/** Encode a value as the text stored in Redis; throws `TypeError` for functions and symbols (rule 12). */
export function encodeRedisValue(value: unknown): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value)
  if (
    typeof value === 'string' &&
    !isIntegerText(value) &&
    !value.startsWith(CODEC_TAG) &&
    !value.includes('\uFFFD') &&
    // UTF-8 cannot carry a lone surrogate: such a string goes through the codec (rule 12).
    isWellFormed(value)
  ) {
    return value
  }
  return CODEC_TAG + encodeValue(value)
}

/**
 * Decode stored text. Unknown, pickled or corrupt bytes are `UNREADABLE` (a miss), so no bytes
 * an attacker writes to the server can run code.
 */
export function decodeRedisValue(text: unknown): unknown {
  if (typeof text !== 'string') return UNREADABLE
  // One look at the first character picks the form (the tag starts with NUL, an integer with
  // `-` or a digit): a plain string pays no `startsWith` call (callgrind, getMany(100): ~55
  // instructions per value less).
  const c = text.charCodeAt(0)
  if (c === 0) {
    if (text.startsWith(CODEC_TAG)) {
      try {
        return decodeValue(text.slice(CODEC_TAG.length))
      } catch {
        return UNREADABLE
      }
    }
  } else if ((c === 45 || (c >= 48 && c <= 57)) && INTEGER.test(text)) {
    const n = Number(text)
    return Number.isSafeInteger(n) ? n : BigInt(text)
  }
  // node-redis decodes replies as UTF-8 with U+FFFD for invalid bytes; cachework never stores
  // a plain string holding U+FFFD, so one here means bytes that are not text (a pickle).
  if (text.includes('\uFFFD')) return UNREADABLE
  return text
}
