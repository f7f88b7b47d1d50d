/**
 * The connections of the `db` backend (db.ts): one better-sqlite3 connection per database alias
 * the router picks (db-routing.ts), opened on first use (creating the table where migrations
 * may go, docs/contract.md §4); SQLite errors translated into `CacheUnavailableError` (rule 15,
 * after which the connections reopen on next use); and the wait for another process's lock,
 * on timers and within `timeoutMs`, since SQLite's own busy wait would block the event loop.
 */
import { CacheUnavailableError } from '@cachework/core'
import type { DatabaseRouting } from './db-routing.ts'
import { type Connection, isBusy, openConnection, translateError } from './db-sql.ts'
import { ensureTable } from './db-tables.ts'

// The longest pause between two tries of a step that met another process's lock.
const MAX_BUSY_PAUSE_MS = 20
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The connections of one `db` cache. */
export class DatabaseConnections {
  private readonly conns = new Map<string, Connection>()
  private readonly files: ReadonlyMap<string, string>

  /** `onClosed` runs after every connection was dropped (the cache forgets its row count). */
  constructor(
    private readonly table: string,
    private readonly routing: DatabaseRouting,
    private readonly timeoutMs: number,
    private readonly onClosed: () => void,
  ) {
    this.files = routing.files
  }

  /** The connection for a read or a write, by the router; opened (and the table made) on first use. */
  conn(kind: 'read' | 'write'): Connection {
    // Without a router every call goes to 'default': skip the routing (the hot path).
    if (!this.routing.routed) {
      const d = this.conns.get('default')
      if (d) return d
    }
    const alias = this.routing.databaseFor(kind)
    const open = this.conns.get(alias)
    if (open) return open
    // A db cache creates its own table on first use (docs/contract.md §4), where migrations may go.
    const migrate = this.routing.allowMigrate(alias)
    const c = openConnection(this.files.get(alias) as string, this.table, (db) => {
      if (migrate) ensureTable(db, this.table)
    })
    this.conns.set(alias, c)
    return c
  }

  /** Run synchronous SQLite work, turning storage failures into `CacheUnavailableError`. */
  translated<T>(fn: () => T): T {
    try {
      return fn()
    } catch (e) {
      throw this.failure(e)
    }
  }

  private failure(e: unknown): unknown {
    const t = translateError(e, [...this.files.values()].join(', '))
    // Reopen on next use (rule 15: recover by itself when the file is usable again).
    if (t !== e) this.closeAll()
    return t
  }

  /**
   * Run one synchronous SQLite step that may meet another process's lock. The connections have
   * no busy timeout (SQLite's busy wait would block the event loop for its whole length), so a
   * held lock fails at once with SQLITE_BUSY; the step is then tried again after short timers
   * (capped backoff with jitter) until `timeoutMs` runs out, and fails with
   * `CacheUnavailableError` (docs/contract.md rule 15: reads miss, writes reject).
   */
  sql<T>(fn: () => T): T | Promise<T> {
    try {
      return fn()
    } catch (e) {
      if (!isBusy(e)) throw this.failure(e)
      return this.busyRetry(fn, e)
    }
  }

  private async busyRetry<T>(fn: () => T, first: unknown): Promise<T> {
    const deadline = Date.now() + this.timeoutMs
    let last = first
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const pause = Math.min(MAX_BUSY_PAUSE_MS, 2 ** attempt) * (0.5 + Math.random())
      await sleep(Math.min(pause, Math.max(0, deadline - Date.now())))
      try {
        return fn()
      } catch (e) {
        if (!isBusy(e)) throw this.failure(e)
        last = e
      }
    }
    throw new CacheUnavailableError(
      `SQLite cache database '${[...this.files.values()].join(', ')}' stayed locked by another connection for ${this.timeoutMs} ms (${(last as { code?: string }).code}); a long write transaction elsewhere holds it`,
      { cause: last },
    )
  }

  /** Best-effort housekeeping (removing an expired or corrupt row): skipped when another process holds the lock. */
  tidy(fn: () => unknown): void {
    try {
      fn()
    } catch (e) {
      if (!isBusy(e)) throw this.failure(e)
    }
  }

  /** Close every connection; they reopen on next use. */
  closeAll(): void {
    for (const c of this.conns.values()) {
      try {
        c.db.close()
      } catch {
        // Closing a broken connection can fail; it is dropped either way.
      }
    }
    this.conns.clear()
    this.onClosed()
  }
}
