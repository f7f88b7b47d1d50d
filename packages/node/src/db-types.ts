/**
 * The public types of the `db` backend: its routing (Django's database routers,
 * django/core/cache/backends/db.py) and `createTables`' report, kept apart from the SQLite code so that the declarations
 * a user compiles against never name better-sqlite3's types.
 */

/** The model Django's routers are asked about (django/core/cache/backends/db.py `cache_model_class`). */
export interface CacheModel {
  appLabel: 'django_cache'
  modelName: 'CacheEntry'
  /** The table (the alias's `location`). */
  dbTable: string
}

/**
 * A Django-style database router. Every method is optional; returning `undefined`/`null` lets
 * the next router (or the default, `'default'` and "allowed") decide, as Django's do.
 */
export interface CacheRouter {
  dbForRead?(model: CacheModel): string | null | undefined
  dbForWrite?(model: CacheModel): string | null | undefined
  allowMigrate?(db: string, model: CacheModel): boolean | null | undefined
}

/** What `createTables` did (or would do) in one database. */
export interface TableReport {
  /** The database alias (`default` unless `options.databases` names others). */
  database: string
  /** The SQLite file. */
  file: string
  table: string
  status: 'created' | 'exists' | 'would-create' | 'not-allowed'
  /** The DDL, for `would-create` (dry run). */
  sql?: string[]
}
