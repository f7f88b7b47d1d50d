/**
 * The `cachework` command line (`npx cachework …`). Today one command, Django's
 * `createcachetable` (django/core/cache/backends/db.py): create the SQLite table of every `db` cache in a
 * configuration, leaving existing tables alone, or print the SQL with `--dry-run`.
 */
import { existsSync, readFileSync } from 'node:fs'
import { extname, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CacheError, type CachesConfig } from '@cachework/core'
import { type AnyCacheConfig, normalizeConfig } from '@cachework/core/backend'
import { DatabaseCache, type TableReport } from './db.ts'
import { DEFAULT_DATABASE } from './db-routing.ts'

/** Config files looked for in the working directory when `--config` is not given, in order. */
export const CONFIG_FILES = ['cachework.config.json', 'cachework.config.mjs', 'cachework.config.js']

const USAGE = `Usage: cachework <command> [options]

Commands:
  createcachetable   Create the SQLite table of every 'db' cache in the configuration
                     (existing tables are left alone).

Options for createcachetable:
  --config FILE      JSON file with the caches config (camelCase or Django's upper-case
                     fields), or an ES module (.mjs/.js/.ts) whose default export is it.
                     Default: ${CONFIG_FILES.join(' or ')} in the working directory.
  --database ALIAS   Only this database of each cache (default: every database the
                     cache's router allows migrations on).
  --dry-run          Print the SQL instead of running it.
  -h, --help         Show this help.
`

/** Where `main` writes; tests pass their own. */
export interface CliIO {
  cwd?: string
  stdout?: (line: string) => void
  stderr?: (line: string) => void
}

class UsageError extends Error {}

interface Args {
  command: string | undefined
  config: string | undefined
  database: string | undefined
  dryRun: boolean
  help: boolean
}

function parseArgs(argv: string[]): Args {
  const a: Args = { command: undefined, config: undefined, database: undefined, dryRun: false, help: false }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined]
    const value = (): string => {
      const v = inline ?? argv[++i]
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`)
      return v
    }
    if (flag === '--dry-run') a.dryRun = true
    else if (flag === '--config') a.config = value()
    else if (flag === '--database') a.database = value()
    else if (flag === '-h' || flag === '--help') a.help = true
    else if (flag?.startsWith('-')) throw new UsageError(`Unknown option ${flag}`)
    else if (a.command === undefined) a.command = flag
    else throw new UsageError(`Unexpected argument '${flag}'`)
  }
  return a
}

/** Read the caches config from `file` (JSON, or an ES module's default export). */
export async function loadConfig(file: string): Promise<CachesConfig> {
  if (!existsSync(file)) throw new UsageError(`Config file '${file}' not found`)
  let raw: unknown
  if (extname(file) === '.json') {
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'))
    } catch (e) {
      throw new UsageError(`Config file '${file}' is not valid JSON: ${(e as Error).message}`)
    }
  } else {
    let mod: Record<string, unknown>
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
    } catch (e) {
      throw new UsageError(
        `Could not load config module '${file}': ${(e as Error).message}${extname(file) === '.ts' ? ' (a .ts config needs the CLI to run from source with tsx; use .mjs or .json)' : ''}`,
      )
    }
    raw = mod.default ?? mod.caches ?? mod.CACHES
  }
  return unwrap(raw, file)
}

// Accept `{ "CACHES": {...} }` (a Django settings excerpt) as well as the caches object itself.
function unwrap(raw: unknown, file: string): CachesConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UsageError(`Config file '${file}' must hold an object of cache alias → config`)
  }
  const r = raw as Record<string, unknown>
  const looksLikeAlias = (v: unknown) =>
    typeof v === 'object' && v !== null && ('backend' in v || 'BACKEND' in v)
  for (const wrapper of ['CACHES', 'caches']) {
    if (wrapper in r && !Object.values(r).some(looksLikeAlias)) return unwrap(r[wrapper], file)
  }
  return r as CachesConfig
}

function isDbBackend(backend: unknown): boolean {
  if (backend === 'db' || backend === 'django.core.cache.backends.db.DatabaseCache') return true
  return (
    typeof backend === 'function' &&
    (backend === DatabaseCache || (backend as { prototype?: unknown }).prototype instanceof DatabaseCache)
  )
}

// Relative SQLite paths are relative to the working directory, as at run time.
function absolutePaths(options: Record<string, unknown>, cwd: string): Record<string, unknown> {
  const abs = (f: unknown) => (typeof f === 'string' && f !== ':memory:' && f !== '' ? resolve(cwd, f) : f)
  const out = { ...options }
  if (out.database === undefined && out.databases === undefined) out.database = DEFAULT_DATABASE
  out.database = abs(out.database)
  const dbs = out.databases
  if (typeof dbs === 'object' && dbs !== null && !Array.isArray(dbs)) {
    out.databases = Object.fromEntries(Object.entries(dbs).map(([k, f]) => [k, abs(f)]))
  }
  return out
}

function report(r: TableReport, alias: string, out: (l: string) => void): void {
  const where = `${r.file}${r.database === 'default' ? '' : ` (database '${r.database}')`}`
  if (r.status === 'created') out(`Cache table '${r.table}' created in ${where}.`)
  else if (r.status === 'exists') out(`Cache table '${r.table}' already exists in ${where}.`)
  else if (r.status === 'not-allowed')
    out(`Cache '${alias}': skipped ${where}: the router does not allow migrations there.`)
  else {
    out(`-- Cache '${alias}': ${where}`)
    for (const s of r.sql ?? []) out(s)
  }
}

async function createCacheTable(args: Args, cwd: string, out: (l: string) => void): Promise<number> {
  let file = args.config === undefined ? undefined : resolve(cwd, args.config)
  if (file === undefined) {
    file = CONFIG_FILES.map((f) => resolve(cwd, f)).find((f) => existsSync(f))
    if (file === undefined) {
      throw new UsageError(
        `No cache configuration found: looked for ${CONFIG_FILES.join(', ')} in ${cwd}. Pass --config FILE.`,
      )
    }
  }
  const config = await loadConfig(file)
  let tables = 0
  for (const [alias, raw] of Object.entries(config)) {
    const n = normalizeConfig(alias, raw as AnyCacheConfig)
    if (!isDbBackend(n.backend)) continue
    const { backend, ...init } = n
    init.options = absolutePaths(init.options ?? {}, cwd)
    const cls = (typeof backend === 'function' ? backend : DatabaseCache) as typeof DatabaseCache
    const c = new cls(init, alias)
    const opts =
      args.database === undefined ? { dryRun: args.dryRun } : { dryRun: args.dryRun, database: args.database }
    for (const r of c.createTables(opts)) {
      report(r, alias, out)
      tables++
    }
  }
  if (tables === 0) out(`No 'db' caches in ${file}: nothing to do.`)
  return 0
}

/** Run the CLI with `argv` (without `node` and the script); resolves with the exit code. */
export async function main(argv: string[], io: CliIO = {}): Promise<number> {
  const out = io.stdout ?? ((l: string) => process.stdout.write(`${l}\n`))
  const err = io.stderr ?? ((l: string) => process.stderr.write(`${l}\n`))
  try {
    const args = parseArgs(argv)
    if (args.help || args.command === undefined || args.command === 'help') {
      out(USAGE)
      return args.command === undefined && !args.help ? 2 : 0
    }
    if (args.command === 'createcachetable') return await createCacheTable(args, io.cwd ?? process.cwd(), out)
    throw new UsageError(`Unknown command '${args.command}'. Run 'cachework --help'.`)
  } catch (e) {
    if (e instanceof UsageError) {
      err(`cachework: ${e.message}`)
      return 2
    }
    if (e instanceof CacheError) {
      err(`cachework: ${e.message}`)
      return 1
    }
    throw e
  }
}
