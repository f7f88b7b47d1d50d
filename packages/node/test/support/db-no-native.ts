// Child process for db-backend.test.ts: better-sqlite3 without its native binary ('binary': the
// real `bindings` lookup of an addon that is not there) or not installed at all ('package').
// Prints what get/set/incr did, as JSON.
import { mkdtempSync } from 'node:fs'
import Module, { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const mode = process.argv[2] as 'binary' | 'package'
const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown }
const load = M._load
const realBindings = createRequire(import.meta.url)('bindings') as (name: string) => unknown
M._load = (request: string, ...rest: unknown[]) => {
  if (mode === 'binary' && request === 'bindings') return () => realBindings('cachework_missing_addon.node')
  if (mode === 'package' && request === 'better-sqlite3') {
    throw Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: 'MODULE_NOT_FOUND' })
  }
  return load(request, ...rest)
}

const { DatabaseCache } = await import('../../src/db.ts')
const c = new DatabaseCache({
  location: 't',
  options: { database: join(mkdtempSync(join(tmpdir(), 'cachework-nonative-')), 'x.sqlite3') },
})
const errors: string[] = []
c.on('error', (e) => errors.push(String((e as { error?: Error }).error?.message)))
const settle = async (p: Promise<unknown>) =>
  p.then(
    (value) => ({ value: value ?? null }),
    (e: Error & { code?: string }) => ({ name: e.name, code: e.code, message: e.message }),
  )
const out = {
  get: await settle(c.get('k', 'default')),
  set: await settle(c.set('k', 1)),
  incr: await settle(c.incr('k')),
  errors,
}
process.stdout.write(JSON.stringify(out))
