/**
 * `db`: Django's DatabaseCache (django/core/cache/backends/db.py) on SQLite through better-sqlite3. The
 * table has Django's shape (`cache_key`, `value`, `expires`; see `db-sql.ts` for the one
 * difference), values are core's text codec (never pickle), and several processes may share
 * one file (WAL; a lock held by another process is waited for on timers, within `timeoutMs`). Unlike Django: `incr`, `incrVersion` and `add` are atomic, the
 * expiry is kept by `incr`, culling removes the soonest-to-expire rows (Django: the smallest
 * keys) and `touch` never revives an expired row. Connections, SQLite errors and lock waits are
 * db-connections.ts; table creation db-tables.ts; routing db-routing.ts.
 */
import { type CacheInit, type CommonOptions, ImproperlyConfigured, registerBackend } from '@cachework/core'
import type { CacheRouter, TableReport } from './db-types.ts'
import {
  BaseCache,
  type CullableStore,
  encodeValue,
  type RawEntry,
  type StoredEntry,
} from '@cachework/core/backend'
import type Database from 'better-sqlite3'
import { DatabaseRouting, dbOptionsProblem } from './db-routing.ts'
import { DatabaseConnections } from './db-connections.ts'
import { CORRUPT, type Connection, NEVER, type Statements, safeDecode } from './db-sql.ts'
import { createTables, tableNameProblem } from './db-tables.ts'

export type { CacheModel, CacheRouter, TableReport } from './db-types.ts'

// A count older than this is re-read before trusting it: other processes insert too.
const COUNT_TTL_MS = 1000

/**
 * The SQLite backend (`db`). `location` is the table name; `options.database` the SQLite file
 * (default `cachework-cache.sqlite3` in the working directory), or `options.databases`
 * (alias → file, with `default`) plus `options.router` (Django-style `dbForRead`,
 * `dbForWrite`, `allowMigrate`). Culls with `maxEntries` (300) and `cullFrequency` (3).
 */
export class DatabaseCache extends BaseCache {
  static override readonly backendName: string = 'db'
  static override readonly knownOptions: readonly string[] = ['database', 'databases', 'router']
  /** Why `options` are wrong for this backend, or undefined. */
  static validateOptions(options: Record<string, unknown>): string | undefined {
    return dbOptionsProblem(options)
  }
  protected override readonly usesIO = true
  /** The table name (the alias's `location`). */
  readonly table: string
  /** Database alias → absolute SQLite file. */
  readonly files: ReadonlyMap<string, string>
  private readonly routing: DatabaseRouting
  /** Connections per database, SQLite errors and lock waits (db-connections.ts). */
  private readonly db: DatabaseConnections
  /** Upper bound of the row count as far as this instance knows; -1: not counted yet. */
  private estimate = -1
  private countedAt = 0
  /** Set while a multi-step (awaiting) transaction holds the write connection. */
  private tx: Promise<void> | undefined
  private txStmts: Statements | undefined
  private readonly cullable: CullableStore

  constructor(init: CacheInit = {}, alias = 'default') {
    super(init, alias)
    const problem = tableNameProblem(this.location)
    if (problem) throw new ImproperlyConfigured(`CACHES['${alias}'].${problem}`)
    this.table = this.location as string
    this.routing = new DatabaseRouting(alias, this.table, this.options)
    this.files = this.routing.files
    this.db = new DatabaseConnections(this.table, this.routing, this.timeoutMs, () => {
      this.estimate = -1
    })
    const s = () => this.txStmts as Statements
    this.cullable = {
      size: () => {
        this.estimate = this.db.translated(() => s().count.get()?.n ?? 0)
        this.countedAt = Date.now()
        return this.estimate
      },
      removeExpired: (now, onRemoved) => this.removed(s().removeExpired, now, onRemoved),
      removeSome: (n, onRemoved) => this.removed(s().removeSome, n, onRemoved),
      removeAll: () => {
        const n = this.db.translated(() => s().removeAll.run().changes)
        this.estimate = 0
        return n
      },
    }
  }

  private removed(
    stmt: Database.Statement<[number], { cache_key: string }>,
    arg: number,
    onRemoved?: (rawKey: string) => void,
  ): number {
    const rows = this.db.translated(() => stmt.all(arg))
    if (onRemoved) for (const r of rows) onRemoved(r.cache_key)
    this.estimate -= rows.length
    return rows.length
  }

  // ---- connections ----

  /**
   * better-sqlite3 is synchronous: a call returns before any timer could fire, so rule 15's
   * timer would only cost time. Waits for another process's lock are bounded by `DatabaseConnections.sql()` instead.
   */
  protected override withTimeout<T>(op: Promise<T>): Promise<T> {
    return op
  }

  private async idle(): Promise<void> {
    while (this.tx) await this.tx
  }

  /** Whether a new row fits without culling, by this instance's count (an upper bound). */
  private hasRoom(extra = 1): boolean {
    return (
      this.estimate >= 0 &&
      this.estimate + extra <= this.maxEntries &&
      Date.now() - this.countedAt < COUNT_TTL_MS
    )
  }

  /**
   * The slow path of a write that may insert: one IMMEDIATE transaction that checks whether the
   * key is live, culls first when it is not (rule 11, through `cullBeforeInsert`), then
   * writes. Other operations of this instance wait for it, since they share the connection.
   */
  private async careful(raw: string, write: (s: Statements, now: number) => number): Promise<number> {
    // Inline, not `await this.idle()`: the check and the claim below must happen in one turn, or
    // two concurrent writers both pass the check and the second BEGIN fails inside the first.
    while (this.tx) await this.tx
    let release: () => void = () => {}
    this.tx = new Promise<void>((r) => {
      release = r
    })
    let conn: Connection | undefined
    try {
      conn = await this.db.sql(() => {
        const c = this.db.conn('write')
        c.stmts.begin.run()
        return c
      })
      const s = conn.stmts
      this.txStmts = s
      const live = this.db.translated(() => s.live.get(raw, this.now())) !== undefined
      if (!live) await this.cullBeforeInsert(this.cullable)
      else if (this.estimate < 0 || Date.now() - this.countedAt >= COUNT_TTL_MS) this.cullable.size()
      const changes = this.db.translated(() => write(s, this.now()))
      this.db.translated(() => s.commit.run())
      if (!live) this.estimate += changes
      return changes
    } catch (e) {
      try {
        if (conn?.db.open && conn.db.inTransaction) conn.stmts.rollback.run()
      } catch {
        // The connection is already unusable; closing it below discards the transaction.
      }
      throw e
    } finally {
      this.txStmts = undefined
      this.tx = undefined
      release()
    }
  }

  private decodeRow(raw: string, text: string): unknown {
    const value = safeDecode(text)
    // A row that does not decode is a miss, and is removed so it cannot fail again.
    if (value === CORRUPT) this.db.tidy(() => this.db.conn('write').stmts.delete.all(raw))
    return value
  }

  // ---- storage primitives ----

  protected async _get(rawKey: string): Promise<StoredEntry | undefined> {
    if (this.tx) await this.idle()
    const row = await this.db.sql(() => this.db.conn('read').stmts.get.get(rawKey))
    if (row === undefined) return undefined
    const now = this.now()
    if (row.expires <= now) {
      // A miss either way: when another process holds the write lock the row stays for later.
      this.db.tidy(() => this.db.conn('write').stmts.deleteExpired.run(rawKey, now))
      this.noteExpired(rawKey)
      return undefined
    }
    const value = this.decodeRow(rawKey, row.value)
    if (value === CORRUPT) return undefined
    return { value, expiresAt: row.expires >= NEVER ? null : row.expires }
  }

  protected override async _has(rawKey: string): Promise<boolean> {
    if (this.tx) await this.idle()
    return (await this.db.sql(() => this.db.conn('read').stmts.live.get(rawKey, this.now()))) !== undefined
  }

  protected async _set(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const text = encodeValue(value)
    const exp = storedExpiry(expiresAt)
    if (this.tx) await this.idle()
    if (this.hasRoom()) {
      await this.db.sql(() => this.db.conn('write').stmts.upsert.run(rawKey, text, exp))
      this.estimate++
      return true
    }
    await this.careful(rawKey, (s) => s.upsert.run(rawKey, text, exp).changes)
    return true
  }

  protected async _add(rawKey: string, value: unknown, expiresAt: number | null): Promise<boolean> {
    const text = encodeValue(value)
    const exp = storedExpiry(expiresAt)
    if (this.tx) await this.idle()
    if (this.hasRoom()) {
      const n = await this.db.sql(
        () => this.db.conn('write').stmts.addIfNotLive.run(rawKey, text, exp, this.now()).changes,
      )
      this.estimate += n
      return n > 0
    }
    return (await this.careful(rawKey, (s, now) => s.addIfNotLive.run(rawKey, text, exp, now).changes)) > 0
  }

  protected async _touch(rawKey: string, expiresAt: number | null): Promise<boolean> {
    if (this.tx) await this.idle()
    const exp = storedExpiry(expiresAt)
    return (
      (await this.db.sql(() => this.db.conn('write').stmts.touch.run(exp, rawKey, this.now()).changes)) > 0
    )
  }

  protected async _delete(rawKey: string): Promise<boolean> {
    if (this.tx) await this.idle()
    const rows = await this.db.sql(() => this.db.conn('write').stmts.delete.all(rawKey))
    this.estimate -= rows.length
    const now = this.now()
    return rows.some((r) => r.expires > now)
  }

  protected override async _getMany(rawKeys: string[]): Promise<Map<string, unknown>> {
    if (this.tx) await this.idle()
    // One query for all keys (rule 6), and one more to drop the expired rows it met (Django).
    const rows = await this.db.sql(() => this.db.conn('read').stmts.getMany.all(JSON.stringify(rawKeys)))
    const now = this.now()
    const out = new Map<string, unknown>()
    const expired: string[] = []
    for (const r of rows) {
      if (r.expires <= now) expired.push(r.cache_key)
      else {
        const v = this.decodeRow(r.cache_key, r.value)
        if (v !== CORRUPT) out.set(r.cache_key, v)
      }
    }
    if (expired.length > 0) {
      this.db.tidy(() => this.db.conn('write').stmts.deleteManyExpired.run(JSON.stringify(expired), now))
      for (const k of expired) this.noteExpired(k)
    }
    return out
  }

  protected override async _setMany(
    pairs: Array<[string, unknown]>,
    expiresAt: number | null,
  ): Promise<string[]> {
    // Encode everything first: a bad value rejects before anything is written.
    const rows = pairs.map(([k, v]) => [k, encodeValue(v)] as const)
    const exp = storedExpiry(expiresAt)
    if (this.tx) await this.idle()
    if (this.hasRoom(rows.length)) {
      await this.db.sql(() => {
        const c = this.db.conn('write')
        c.db.transaction(() => {
          for (const [k, text] of rows) c.stmts.upsert.run(k, text, exp)
        })()
      })
      this.estimate += rows.length
      return []
    }
    for (const [k, text] of rows) await this.careful(k, (s) => s.upsert.run(k, text, exp).changes)
    return []
  }

  protected override async _deleteMany(rawKeys: string[]): Promise<void> {
    if (this.tx) await this.idle()
    this.estimate -= await this.db.sql(
      () => this.db.conn('write').stmts.deleteMany.run(JSON.stringify(rawKeys)).changes,
    )
  }

  protected override async _incr(rawKey: string, delta: number, callerKey: string): Promise<number> {
    if (this.tx) await this.idle()
    // BEGIN IMMEDIATE takes the write lock before reading, so two processes never both read
    // the old value (a deferred transaction would fail with SQLITE_BUSY on upgrade instead).
    return this.db.sql(() => this.db.conn('write').incr.immediate(rawKey, delta, callerKey, this.now()))
  }

  protected override async _moveVersion(fromRaw: string, toRaw: string): Promise<boolean> {
    if (this.tx) await this.idle()
    return this.db.sql(() => this.db.conn('write').move.immediate(fromRaw, toRaw, this.now()))
  }

  protected async _clear(): Promise<void> {
    if (this.tx) await this.idle()
    await this.db.sql(() => this.db.conn('write').stmts.removeAll.run())
    this.estimate = 0
    this.countedAt = Date.now()
  }

  protected async *_entries(): AsyncIterable<RawEntry> {
    if (this.tx) await this.idle()
    // `all()`, not `iterate()`: the consumer may write (delete) while we yield.
    const rows = await this.db.sql(() => this.db.conn('read').stmts.entries.all(this.now()))
    for (const r of rows) {
      const value = safeDecode(r.value)
      if (value === CORRUPT) continue
      yield {
        rawKey: r.cache_key,
        expiresAt: r.expires >= NEVER ? null : r.expires,
        size: Buffer.byteLength(r.value),
        value,
      }
    }
  }

  protected override async _close(): Promise<void> {
    await this.idle()
    this.db.closeAll()
  }

  /**
   * Create this alias's table (and its `expires` index) in every database the router allows
   * (`allowMigrate`), or only in `database`; existing tables are left alone. With `dryRun`,
   * nothing is created or opened for writing and the DDL is returned instead (`createcachetable`;
   * db-tables.ts).
   */
  createTables(opts: { dryRun?: boolean; database?: string } = {}): TableReport[] {
    return createTables(this.alias, this.table, this.routing, (fn) => this.db.translated(fn), opts)
  }
}

function storedExpiry(expiresAt: number | null): number {
  return expiresAt === null ? NEVER : Math.min(expiresAt, NEVER - 1)
}

registerBackend('db', DatabaseCache)

/** `db` options, beside the common ones. */
export interface DatabaseOptions extends CommonOptions {
  /** The SQLite file. Default `cachework-cache.sqlite3` in the working directory. */
  database?: string
  /** Database alias → SQLite file (with `default`), for routing. */
  databases?: Record<string, string>
  /** Django-style routers, asked in order. */
  router?: CacheRouter | readonly CacheRouter[]
}

// The names this entry registers, with their options, for `configureCaches`' types.
declare module '@cachework/core' {
  interface CacheBackends {
    db: DatabaseOptions
    'django.core.cache.backends.db.DatabaseCache': DatabaseOptions
  }
}
