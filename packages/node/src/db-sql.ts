/**
 * The SQLite side of the `db` backend (`db.ts`): loading better-sqlite3, opening connections,
 * the prepared statements, and translating SQLite's errors (rule 15). The table itself is
 * `db-tables.ts`; which database a call goes to is `db-routing.ts`.
 */
import { CacheUnavailableError, KeyNotFoundError } from '@cachework/core'
import { addDelta, decodeValue, encodeValue } from '@cachework/core/backend'
import { createRequire } from 'node:module'
import type Database from 'better-sqlite3'

/** `expires` of an entry that never expires: 9999-12-31T23:59:59.999Z, Django's `datetime.max`. */
export const NEVER = 253_402_300_799_999

/**
 * How long (ms) a management connection (`createTables`) waits for another process's write lock
 * before SQLITE_BUSY. The cache's own connections use 0 and retry on timers instead (`db.ts`):
 * better-sqlite3's busy wait would block the event loop.
 */
export const BUSY_TIMEOUT_MS = 5000

/** Quote an SQL identifier (doubling embedded quotes). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

let driver: typeof Database | undefined

/**
 * better-sqlite3, loaded on first use (an optional peer dependency: importing `@cachework/node`
 * or any of its other entries loads no native module). A missing package is unreachable storage
 * (docs/contract.md rule 15): reads miss, writes reject with `CacheUnavailableError` saying what
 * to install.
 */
export function sqliteDriver(): typeof Database {
  if (driver !== undefined) return driver
  try {
    driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database
  } catch (e) {
    throw new CacheUnavailableError(
      `the db backend needs better-sqlite3, which could not be loaded (${e instanceof Error ? e.message : String(e)}): run \`npm install better-sqlite3\``,
      { cause: e },
    )
  }
  return driver
}

/**
 * Open a SQLite file for caching: WAL (readers never block the writer, so several processes
 * share one file), `synchronous=NORMAL` (in WAL mode a commit is an append without fsync;
 * a power cut may lose the last commits but never corrupts the file — fine for a cache) and
 * a busy timeout (`busyTimeoutMs`, default `BUSY_TIMEOUT_MS`) so concurrent writers wait for
 * each other instead of failing.
 */
export function openDatabase(file: string, busyTimeoutMs = BUSY_TIMEOUT_MS): Database.Database {
  const db = new (sqliteDriver())(file, { timeout: busyTimeoutMs })
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
  } catch (e) {
    db.close()
    throw e
  }
  return db
}

/** The prepared statements of one connection for one table, created once and reused. */
export class Statements {
  readonly get: Database.Statement<[string], { value: string; expires: number }>
  readonly getMany: Database.Statement<[string], { cache_key: string; value: string; expires: number }>
  readonly live: Database.Statement<[string, number], { expires: number }>
  readonly upsert: Database.Statement<[string, string, number]>
  readonly addIfNotLive: Database.Statement<[string, string, number, number]>
  readonly touch: Database.Statement<[number, string, number]>
  readonly delete: Database.Statement<[string], { expires: number }>
  readonly deleteExpired: Database.Statement<[string, number]>
  readonly deleteMany: Database.Statement<[string]>
  readonly deleteManyExpired: Database.Statement<[string, number]>
  readonly count: Database.Statement<[], { n: number }>
  readonly removeExpired: Database.Statement<[number], { cache_key: string }>
  readonly removeSome: Database.Statement<[number], { cache_key: string }>
  readonly removeAll: Database.Statement<[]>
  readonly updateValue: Database.Statement<[string, string]>
  readonly entries: Database.Statement<[number], { cache_key: string; value: string; expires: number }>
  readonly begin: Database.Statement<[]>
  readonly commit: Database.Statement<[]>
  readonly rollback: Database.Statement<[]>

  constructor(db: Database.Database, table: string) {
    const t = quoteIdent(table)
    // json_each lets one prepared statement take any number of keys (one query per getMany).
    const inKeys = 'cache_key IN (SELECT value FROM json_each(?))'
    this.get = db.prepare(`SELECT value, expires FROM ${t} WHERE cache_key = ?`)
    this.getMany = db.prepare(`SELECT cache_key, value, expires FROM ${t} WHERE ${inKeys}`)
    this.live = db.prepare(`SELECT expires FROM ${t} WHERE cache_key = ? AND expires > ?`)
    this.upsert = db.prepare(
      `INSERT INTO ${t} (cache_key, value, expires) VALUES (?, ?, ?) ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, expires = excluded.expires`,
    )
    // One statement, so `add` is atomic across processes: it replaces only an expired row.
    this.addIfNotLive = db.prepare(
      `INSERT INTO ${t} (cache_key, value, expires) VALUES (?, ?, ?) ON CONFLICT (cache_key) DO UPDATE SET value = excluded.value, expires = excluded.expires WHERE ${t}.expires <= ?`,
    )
    this.touch = db.prepare(`UPDATE ${t} SET expires = ? WHERE cache_key = ? AND expires > ?`)
    this.delete = db.prepare(`DELETE FROM ${t} WHERE cache_key = ? RETURNING expires`)
    // The `expires <=` guard keeps a row another process refreshed meanwhile.
    this.deleteExpired = db.prepare(`DELETE FROM ${t} WHERE cache_key = ? AND expires <= ?`)
    this.deleteMany = db.prepare(`DELETE FROM ${t} WHERE ${inKeys}`)
    this.deleteManyExpired = db.prepare(`DELETE FROM ${t} WHERE ${inKeys} AND expires <= ?`)
    this.count = db.prepare(`SELECT COUNT(*) AS n FROM ${t}`)
    this.removeExpired = db.prepare(`DELETE FROM ${t} WHERE expires <= ? RETURNING cache_key`)
    // Rule 11: soonest to expire first, through the `expires` index (never-expiring rows hold
    // NEVER, so they sort last). Django culls the smallest keys instead (django/core/cache/backends/db.py).
    this.removeSome = db.prepare(
      `DELETE FROM ${t} WHERE cache_key IN (SELECT cache_key FROM ${t} ORDER BY expires LIMIT ?) RETURNING cache_key`,
    )
    this.removeAll = db.prepare(`DELETE FROM ${t}`)
    this.updateValue = db.prepare(`UPDATE ${t} SET value = ? WHERE cache_key = ?`)
    this.entries = db.prepare(`SELECT cache_key, value, expires FROM ${t} WHERE expires > ?`)
    this.begin = db.prepare('BEGIN IMMEDIATE')
    this.commit = db.prepare('COMMIT')
    this.rollback = db.prepare('ROLLBACK')
  }
}

/** What a stored value that does not decode reads as. */
export const CORRUPT: unique symbol = Symbol('corrupt')

/** Decode a stored value, or `CORRUPT`. */
export function safeDecode(text: string): unknown {
  try {
    return decodeValue(text)
  } catch {
    return CORRUPT
  }
}

/** One open connection, its statements, and its two transactions (made once, reused). */
export interface Connection {
  db: Database.Database
  stmts: Statements
  /** Rule 7 in one transaction; throws `KeyNotFoundError(raw)` for a missing key. */
  incr: Database.Transaction<(raw: string, delta: number, callerKey: string, now: number) => number>
  /** Rule 8 in one transaction; false when `from` is missing. */
  move: Database.Transaction<(from: string, to: string, now: number) => boolean>
}

/**
 * Open `file`, run `prepare` on it (db.ts creates the table there when the routers allow it),
 * and prepare the statements.
 */
export function openConnection(
  file: string,
  table: string,
  prepare?: (db: Database.Database) => void,
): Connection {
  // No busy wait inside SQLite: a lock held elsewhere fails at once, and db.ts retries on timers.
  const db = openDatabase(file, 0)
  try {
    prepare?.(db)
    const stmts = new Statements(db, table)
    return {
      db,
      stmts,
      incr: db.transaction((raw, delta, callerKey, now) => {
        const row = stmts.get.get(raw)
        if (row === undefined || row.expires <= now) throw new KeyNotFoundError(raw)
        const value = safeDecode(row.value)
        if (value === CORRUPT) throw new KeyNotFoundError(raw)
        const next = addDelta(value, delta, callerKey)
        stmts.updateValue.run(encodeValue(next), raw)
        return next
      }),
      move: db.transaction((from, to, now) => {
        const row = stmts.get.get(from)
        if (row === undefined || row.expires <= now) return false
        if (from === to) return true
        // The stored text moves as is: no decode/encode. The count does not grow, so no cull.
        stmts.upsert.run(to, row.value, row.expires)
        stmts.delete.all(from)
        return true
      }),
    }
  } catch (e) {
    db.close()
    throw e
  }
}

/** Whether `e` is SQLite's "another connection holds the lock" (worth retrying later). */
export function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)
}

const UNAVAILABLE =
  /^SQLITE_(BUSY|LOCKED|FULL|IOERR|CANTOPEN|READONLY|CORRUPT|NOTADB|PROTOCOL|PERM|NOLFS|AUTH)/

/**
 * Rule 15: storage failures (a lock held past the busy timeout, disk full, I/O error, a file
 * that cannot be opened or is not a database) become `CacheUnavailableError`; anything else
 * (a programming error) is returned unchanged.
 */
export function translateError(e: unknown, file: string): unknown {
  if (e instanceof CacheUnavailableError) return e
  const code = (e as { code?: unknown } | null)?.code
  const message = e instanceof Error ? e.message : String(e)
  if (
    (typeof code === 'string' && UNAVAILABLE.test(code)) ||
    (e instanceof TypeError && message.includes('Cannot open database'))
  ) {
    return new CacheUnavailableError(
      `SQLite cache database '${file}' is unavailable (${typeof code === 'string' ? `${code}: ` : ''}${message}); check the path, its permissions and free disk space`,
      { cause: e },
    )
  }
  if (
    /bindings file|NODE_MODULE_VERSION|compiled against a different Node|invalid ELF header/.test(message)
  ) {
    return new CacheUnavailableError(
      `better-sqlite3's native binary could not be loaded (${message}); reinstall it (\`npm rebuild better-sqlite3\`)`,
      { cause: e },
    )
  }
  if (typeof code === 'string' && code === 'SQLITE_ERROR' && /no such table/.test(message)) {
    return new CacheUnavailableError(
      `SQLite cache database '${file}' has no cache table (${message}); run \`npx cachework createcachetable\``,
      { cause: e },
    )
  }
  return e
}
