/**
 * The `db` backend's table: its name rules, its DDL (the shape of Django's `createcachetable`,
 * django/core/cache/backends/db.py, except that `expires` holds epoch milliseconds as an INTEGER
 * instead of a datetime: comparisons are integer compares on the index, and our clock is already
 * in milliseconds), creating it when missing, and `createTables` (the `createcachetable` command).
 */
import { ImproperlyConfigured } from '@cachework/core'
import type Database from 'better-sqlite3'
import type { DatabaseRouting } from './db-routing.ts'
import type { TableReport } from './db-types.ts'
import { openDatabase, quoteIdent, sqliteDriver } from './db-sql.ts'

/** Why `name` cannot be a table name, or undefined when it can (any text SQLite can quote). */
export function tableNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'location (the table name) must be a non-empty string'
  if (name.length > 255) return `table name '${name.slice(0, 20)}…' is longer than 255 characters`
  // Quoting handles spaces and quotes (Django's own tests use "my cache table"); control
  // characters and SQLite's reserved prefix are refused.
  if (/[\x00-\x1f\x7f]/.test(name)) return `table name ${JSON.stringify(name)} contains a control character`
  if (name.toLowerCase().startsWith('sqlite_'))
    return `table name '${name}' uses SQLite's reserved prefix sqlite_`
  return undefined
}

/** The DDL for one cache table, as Django's `createcachetable` prints it for SQLite. */
export function createTableSql(table: string): string[] {
  const t = quoteIdent(table)
  return [
    `CREATE TABLE ${t} (\n    "cache_key" varchar(255) NOT NULL PRIMARY KEY,\n    "value" text NOT NULL,\n    "expires" integer NOT NULL\n);`,
    `CREATE INDEX ${quoteIdent(`${table}_expires`)} ON ${t} ("expires");`,
  ]
}

/** Whether `table` exists in `db`. */
export function tableExists(db: Database.Database, table: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined
}

/** Create the table and its index when missing; returns true when it created them. */
export function ensureTable(db: Database.Database, table: string): boolean {
  if (tableExists(db, table)) return false
  const [create, index] = createTableSql(table) as [string, string]
  db.transaction(() => {
    // Another process may have created it between the check and here.
    db.exec(create.replace('CREATE TABLE', 'CREATE TABLE IF NOT EXISTS'))
    db.exec(index.replace('CREATE INDEX', 'CREATE INDEX IF NOT EXISTS'))
  }).immediate()
  return true
}

/** Whether `table` exists in `file`, without creating the file (for dry runs). */
export function existsReadOnly(file: string, table: string): boolean {
  if (file === ':memory:') return false
  const Driver = sqliteDriver()
  let db: Database.Database
  try {
    db = new Driver(file, { readonly: true, fileMustExist: true })
  } catch {
    return false // no file yet: nothing exists in it
  }
  try {
    return tableExists(db, table)
  } finally {
    db.close()
  }
}

/**
 * Create `table` (and its `expires` index) in every database `routing` allows (`allowMigrate`),
 * or only in `opts.database`; existing tables are left alone. With `dryRun`, nothing is created
 * or opened for writing and the DDL is returned instead. `translated` turns SQLite's errors into
 * the cache's (rule 15).
 */
export function createTables(
  alias: string,
  table: string,
  routing: DatabaseRouting,
  translated: <T>(fn: () => T) => T,
  opts: { dryRun?: boolean; database?: string } = {},
): TableReport[] {
  const out: TableReport[] = []
  const files = routing.files
  if (opts.database !== undefined && !files.has(opts.database)) {
    throw new ImproperlyConfigured(
      `CACHES['${alias}'] has no database '${opts.database}' (it has: ${[...files.keys()].join(', ')})`,
    )
  }
  for (const [database, file] of files) {
    if (opts.database !== undefined && database !== opts.database) continue
    const base = { database, file, table }
    if (!routing.allowMigrate(database)) {
      out.push({ ...base, status: 'not-allowed' })
      continue
    }
    if (opts.dryRun) {
      const exists = translated(() => existsReadOnly(file, table))
      out.push(
        exists
          ? { ...base, status: 'exists' }
          : { ...base, status: 'would-create', sql: createTableSql(table) },
      )
      continue
    }
    const created = translated(() => {
      const db = openDatabase(file)
      try {
        return ensureTable(db, table)
      } finally {
        db.close()
      }
    })
    out.push({ ...base, status: created ? 'created' : 'exists' })
  }
  return out
}
