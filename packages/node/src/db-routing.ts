/**
 * Which SQLite database a `db` cache call goes to: the alias's files (`options.database`, or
 * `options.databases` with a `default`) and Django-style routers (`dbForRead`, `dbForWrite`,
 * `allowMigrate`; Django's `ConnectionRouter`, django/db/utils.py, as django/core/cache/backends/db.py
 * asks it about its `CacheEntry` model).
 */
import { resolve } from 'node:path'
import { ImproperlyConfigured } from '@cachework/core'
import type { CacheModel, CacheRouter } from './db-types.ts'

/** The SQLite file used when `options.database` is not given (in the working directory). */
export const DEFAULT_DATABASE = 'cachework-cache.sqlite3'

/** The SQLite files of an alias: `databases` (alias → file) or `{ default: database }`, absolute. */
export function databaseFiles(options: Readonly<Record<string, unknown>>): Map<string, string> {
  const out = new Map<string, string>()
  const dbs = options.databases as Record<string, string> | undefined
  if (dbs !== undefined) {
    for (const [alias, file] of Object.entries(dbs)) out.set(alias, absolute(file))
  } else out.set('default', absolute((options.database as string | undefined) ?? DEFAULT_DATABASE))
  return out
}

function absolute(file: string): string {
  return file === ':memory:' ? file : resolve(file)
}

/** Why the db options are wrong, or undefined (used by `DatabaseCache.validateOptions`). */
export function dbOptionsProblem(options: Record<string, unknown>): string | undefined {
  const { database, databases, router } = options
  if (database !== undefined && (typeof database !== 'string' || database === '')) {
    return 'database must be a SQLite file path (a non-empty string)'
  }
  if (databases !== undefined) {
    if (database !== undefined) return "give either 'database' or 'databases', not both"
    if (typeof databases !== 'object' || databases === null || Array.isArray(databases)) {
      return 'databases must be an object of database alias → SQLite file path'
    }
    for (const [alias, file] of Object.entries(databases)) {
      if (typeof file !== 'string' || file === '') return `databases.${alias} must be a SQLite file path`
    }
    if (!('default' in databases)) return "databases must include a 'default' database"
  }
  if (router !== undefined) {
    const list = Array.isArray(router) ? router : [router]
    for (const r of list) {
      if (typeof r !== 'object' || r === null) return 'router must be an object (or an array of them)'
      for (const m of ['dbForRead', 'dbForWrite', 'allowMigrate']) {
        const f = (r as Record<string, unknown>)[m]
        if (f !== undefined && typeof f !== 'function') return `router.${m} must be a function`
      }
    }
  }
  return undefined
}

/** Ask the routers in order, as Django's `ConnectionRouter` does; the first answer wins. */
export function route<T>(router: unknown, ask: (r: CacheRouter) => T | null | undefined, fallback: T): T {
  if (router === undefined) return fallback
  for (const r of (Array.isArray(router) ? router : [router]) as CacheRouter[]) {
    const answer = ask(r)
    if (answer !== undefined && answer !== null) return answer
  }
  return fallback
}

/** One alias's databases and routers, asked the way Django asks them about its cache model. */
export class DatabaseRouting {
  /** Database alias → absolute SQLite file. */
  readonly files: ReadonlyMap<string, string>
  /** The model Django's routers are asked about. */
  readonly model: CacheModel
  /** Whether any router is configured (without one every call goes to `default`). */
  readonly routed: boolean
  private readonly router: unknown

  constructor(
    private readonly alias: string,
    table: string,
    options: Readonly<Record<string, unknown>>,
  ) {
    this.files = databaseFiles(options)
    this.model = { appLabel: 'django_cache', modelName: 'CacheEntry', dbTable: table }
    this.router = options.router
    this.routed = this.router !== undefined
  }

  /** The database alias a read or a write goes to; throws when a router names an unknown one. */
  databaseFor(kind: 'read' | 'write'): string {
    const db = route(
      this.router,
      (r) => (kind === 'read' ? r.dbForRead?.(this.model) : r.dbForWrite?.(this.model)),
      'default',
    )
    if (!this.files.has(db)) {
      throw new ImproperlyConfigured(
        `CACHES['${this.alias}']: the router chose database '${db}', which options.databases does not name`,
      )
    }
    return db
  }

  /** Whether the routers let the table be created in `db` (default: yes). */
  allowMigrate(db: string): boolean {
    return route(this.router, (r) => r.allowMigrate?.(db, this.model), true)
  }
}
