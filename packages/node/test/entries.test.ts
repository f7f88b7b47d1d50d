/**
 * Entry points per concern: each public entry's exported names are pinned (the snapshot beside
 * this file shows a reviewer every change), and importing an entry loads no native module and
 * neither optional peer (better-sqlite3, nunjucks, redis) until the code that needs it runs. Each probe
 * runs in a fresh Node process that records every native addon load (`process.dlopen`) and
 * every CommonJS module loaded.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../..', import.meta.url))

const ENTRIES = [
  '@cachework/core',
  '@cachework/core/http',
  '@cachework/core/backend',
  '@cachework/core/inspect',
  '@cachework/node',
  '@cachework/node/memcached',
  '@cachework/node/db',
  '@cachework/node/file',
  '@cachework/node/redis',
  '@cachework/node/fastify',
  '@cachework/node/koa',
  '@cachework/node/http',
  '@cachework/node/nunjucks',
  '@cachework/node/devtools',
  '@cachework/browser',
  '@cachework/browser/sw',
  '@cachework/devtools/vite',
  '@cachework/devtools/security',
]

interface Probe {
  /** Per entry: its exported names, and what had loaded once it was imported. */
  entries: Record<string, { names: string[]; dlopen: string[]; peers: string[] }>
}

/**
 * Import `entries` one after another in one fresh process, then run `after` (a snippet with `m`,
 * the last module), recording after each step the native addons and optional peers loaded so
 * far. Loads only accumulate, so an empty record after the last import clears every entry.
 */
function probe(entries: string[], after = ''): Probe {
  const script = `
    import { createRequire } from 'node:module'
    const dlopen = []
    const original = process.dlopen
    process.dlopen = function (module, filename, ...rest) { dlopen.push(filename); return original.call(this, module, filename, ...rest) }
    const cache = createRequire(import.meta.url).cache
    const peers = () => ['better-sqlite3', 'nunjucks', 'redis', '@redis'].filter((p) => Object.keys(cache).some((f) => f.includes('/node_modules/' + p + '/')))
    const out = { entries: {} }
    let m
    for (const e of ${JSON.stringify(entries)}) {
      m = await import(e)
      out.entries[e] = { names: Object.keys(m).sort(), dlopen: [...dlopen], peers: peers() }
    }
    ${after}
    out.after = { dlopen: [...dlopen], peers: peers() }
    process.stdout.write(JSON.stringify(out))
  `
  const r = spawnSync(
    process.execPath,
    ['--conditions=@cachework/source', '--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root, encoding: 'utf8', timeout: 120_000 },
  )
  if (r.status !== 0) throw new Error(`probe failed (${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout) as Probe
}

describe('entry points', { timeout: 120_000 }, () => {
  const all = probe(ENTRIES)

  it('pins the exported names of every public entry', () => {
    const surface = Object.fromEntries(ENTRIES.map((e) => [e, all.entries[e]?.names]))
    expect(surface).toMatchSnapshot()
  })

  it('no entry loads a native module or an optional peer at import', () => {
    for (const e of ENTRIES)
      expect({ e, ...all.entries[e], names: undefined }).toEqual({ e, dlopen: [], peers: [] })
  })

  it('the probe sees the loads: a db cache loads better-sqlite3 on first use, the tag loads nunjucks', () => {
    const used = probe(
      ['@cachework/node/db', '@cachework/node/nunjucks'],
      `const db = await import('@cachework/node/db')
      await new db.DatabaseCache({ location: 't', options: { database: ':memory:' } }).get('k')
      m.installCacheTag({ addExtension() {} })`,
    ) as Probe & { after: { dlopen: string[]; peers: string[] } }
    expect(used.entries['@cachework/node/nunjucks']?.peers).toEqual([])
    expect(used.after.peers).toEqual(['better-sqlite3', 'nunjucks'])
    expect(used.after.dlopen.some((f) => f.endsWith('better_sqlite3.node'))).toBe(true)
  })
})
