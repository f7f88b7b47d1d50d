import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { uniqueKey } from '@cachework/core/testing'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { main } from '../src/cli.ts'
import { DatabaseCache } from '../src/db.ts'

const root = mkdtempSync(join(tmpdir(), 'cachework-cli-'))

function project(files: Record<string, string>): string {
  const dir = join(root, uniqueKey('p'))
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  return dir
}

async function run(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(argv, { cwd, stdout: (l) => out.push(l), stderr: (l) => err.push(l) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}

function tables(file: string): string[] {
  const db = new Database(file, { readonly: true })
  const names = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all() as Array<{
    name: string
  }>
  db.close()
  return names.map((n) => n.name)
}

const twoCaches = JSON.stringify({
  default: { backend: 'db', location: 'cache_one', options: { database: 'a.sqlite3' } },
  sessions: {
    BACKEND: 'django.core.cache.backends.db.DatabaseCache',
    LOCATION: 'my cache table',
    OPTIONS: { database: 'b.sqlite3', MAX_ENTRIES: 100 },
  },
  local: { backend: 'locmem' },
})

describe('cachework createcachetable', () => {
  it('--dry-run prints the SQL and creates nothing', async () => {
    const dir = project({ 'cachework.config.json': twoCaches })
    const r = await run(['createcachetable', '--dry-run'], dir)
    expect(r.code).toBe(0)
    expect(r.out).toContain('CREATE TABLE "cache_one" (')
    expect(r.out).toContain('"cache_key" varchar(255) NOT NULL PRIMARY KEY,')
    expect(r.out).toContain('CREATE INDEX "my cache table_expires" ON "my cache table" ("expires");')
    expect(existsSync(join(dir, 'a.sqlite3'))).toBe(false)
    expect(existsSync(join(dir, 'b.sqlite3'))).toBe(false)
  })

  it('creates the table of every db alias (either spelling) and leaves existing ones alone', async () => {
    const dir = project({ 'cachework.config.json': twoCaches })
    const first = await run(['createcachetable'], dir)
    expect(first.code).toBe(0)
    expect(first.out).toMatch(/Cache table 'cache_one' created in .*a\.sqlite3/)
    expect(first.out).toMatch(/Cache table 'my cache table' created in .*b\.sqlite3/)
    expect(tables(join(dir, 'a.sqlite3'))).toEqual(['cache_one'])
    // A stored entry survives a second run, which reports the tables as existing.
    const c = new DatabaseCache({ location: 'cache_one', options: { database: join(dir, 'a.sqlite3') } })
    await c.set('kept', 42)
    const second = await run(['createcachetable'], dir)
    expect(second.out).toMatch(/Cache table 'cache_one' already exists/)
    expect(second.out).toMatch(/Cache table 'my cache table' already exists/)
    expect(await c.get('kept')).toBe(42)
    await c.close()
    const dry = await run(['createcachetable', '--dry-run'], dir)
    expect(dry.out).not.toContain('CREATE TABLE')
  })

  it('reads --config JSON wrapped as Django settings ({"CACHES": …})', async () => {
    const dir = project({
      'settings.json': JSON.stringify({
        CACHES: { default: { BACKEND: 'django.core.cache.backends.db.DatabaseCache', LOCATION: 'wrapped' } },
      }),
    })
    const r = await run(['createcachetable', '--config', 'settings.json'], dir)
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/'wrapped' created in/)
  })

  it('reads an ES module config, whose router decides where tables go', async () => {
    const dir = project({
      'caches.mjs': `export default {
        default: {
          backend: 'db',
          location: 'routed',
          options: {
            databases: { default: 'main.sqlite3', replica: 'replica.sqlite3' },
            router: { allowMigrate: (db, model) => model.modelName === 'CacheEntry' && db === 'default' },
          },
        },
      }`,
    })
    const r = await run(['createcachetable', '--config=caches.mjs'], dir)
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/'routed' created in .*main\.sqlite3/)
    expect(r.out).toMatch(/skipped .*replica\.sqlite3 \(database 'replica'\): the router does not allow/)
    expect(existsSync(join(dir, 'replica.sqlite3'))).toBe(false)
    const only = await run(
      ['createcachetable', '--config', 'caches.mjs', '--database', 'default', '--dry-run'],
      dir,
    )
    expect(only.out).toMatch(/already exists/)
  })

  it('says clearly when no config is found, and rejects bad usage', async () => {
    const dir = project({})
    const none = await run(['createcachetable'], dir)
    expect(none.code).toBe(2)
    expect(none.err).toMatch(
      /No cache configuration found: looked for cachework\.config\.json.*--config FILE/,
    )
    const missing = await run(['createcachetable', '--config', 'nope.json'], dir)
    expect(missing.err).toMatch(/Config file '.*nope\.json' not found/)
    writeFileSync(join(dir, 'broken.mjs'), 'export default {{{')
    const broken = await run(['createcachetable', '--config', 'broken.mjs'], dir)
    expect(broken.code).toBe(2)
    expect(broken.err).toMatch(/Could not load config module '.*broken\.mjs'/)
    expect((await run(['frobnicate'], dir)).code).toBe(2)
    expect((await run(['createcachetable', '--bogus'], dir)).err).toMatch(/Unknown option --bogus/)
    expect((await run(['--help'], dir)).out).toMatch(/createcachetable/)
  })

  it('reports a config error (bad table name) with exit code 1', async () => {
    const dir = project({
      'cachework.config.json': JSON.stringify({ default: { backend: 'db', location: '' } }),
    })
    const r = await run(['createcachetable'], dir)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/location/)
  })

  it('runs as `cachework` through bin/cachework.mjs without a build', { timeout: 60_000 }, () => {
    const dir = project({ 'cachework.config.json': twoCaches })
    const bin = fileURLToPath(new URL('../bin/cachework.mjs', import.meta.url))
    const r = spawnSync(process.execPath, [bin, 'createcachetable'], { cwd: dir, encoding: 'utf8' })
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/Cache table 'cache_one' created/)
    expect(tables(join(dir, 'b.sqlite3'))).toEqual(['my cache table'])
  })
})
