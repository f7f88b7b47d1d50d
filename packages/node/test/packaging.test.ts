/**
 * The packages as a user outside this repository gets them: `npm pack` all four (their
 * `prepack` builds `dist`), install the tarballs into a fresh project under the OS tmpdir, and
 * there, with plain `node` and no `@cachework/source` condition: strict `tsc` with `nodenext`
 * and `bundler` resolution on a file using each public entry; a script against locmem, file, db
 * and a real memcached; an Express page served twice (a miss, then a hit with `Age`); and a
 * `vite build` of a page with the service-worker cache and the devtools plugin whose output holds
 * no devtools code.
 *
 * One pack and one install serve every test: from npm's cache (`--prefer-offline`: the
 * workspace's install filled it) and without install scripts; better-sqlite3's native binary is
 * then copied from the workspace's build of the same version for this same Node, instead of
 * compiling it again (~90 s). The compiler is the workspace's own TypeScript (the same version a
 * user installs; it resolves every import from the app's node_modules), so the install skips it.
 * npm runs with node_modules/.bin off the PATH (an npm 6 pulled in by a dev dependency must not
 * pack or install here).
 */
import { execFile, type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcachedProcess } from './support/memcached-server.ts'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const PACKAGES = ['core', 'node', 'browser', 'devtools']

const work = mkdtempSync(join(tmpdir(), 'cachework-packaging-'))
const app = join(work, 'app')

function version(pkg: string): string {
  return (
    JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }
  ).version
}

// The system's npm, not one a dependency links into node_modules/.bin (vitest puts those first).
const PATH = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((d) => !d.endsWith(`node_modules${sep}.bin`))
  .join(delimiter)
const env = { ...process.env, NODE_OPTIONS: '', PATH }

function run(cmd: string, args: string[], cwd: string, timeout = 240_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env })
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`)
  }
  return r
}

const write = (file: string, text: string) => {
  mkdirSync(join(app, file, '..'), { recursive: true })
  writeFileSync(join(app, file), text)
}

let memcached: MemcachedProcess | undefined

beforeAll(async () => {
  memcached = await MemcachedProcess.start()
  const packs = join(work, 'packs')
  mkdirSync(packs)
  const packed = JSON.parse(
    run(
      'npm',
      ['pack', ...PACKAGES.flatMap((p) => ['-w', `packages/${p}`]), '--pack-destination', packs, '--json'],
      root,
    ).stdout,
  ) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>
  const tarballs = Object.fromEntries(packed.map((p) => [p.name, join(packs, p.filename)]))
  writeFileSync(join(work, 'packed.json'), JSON.stringify(packed))
  mkdirSync(app)
  write(
    'package.json',
    JSON.stringify({
      name: 'cachework-user',
      private: true,
      type: 'module',
      dependencies: {
        ...Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`])),
        'better-sqlite3': version('better-sqlite3'),
        nunjucks: version('nunjucks'),
        express: version('express'),
      },
      devDependencies: {
        vite: version('vite'),
        fastify: version('fastify'),
        '@types/node': version('@types/node'),
        '@types/express': version('@types/express'),
        '@types/koa': version('@types/koa'),
      },
    }),
  )
  run(
    'npm',
    ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
    app,
  )
  // The same better-sqlite3 version as the workspace's, built there for this Node: reuse its binary.
  expect(version('better-sqlite3')).toBe(
    (
      JSON.parse(readFileSync(join(app, 'node_modules/better-sqlite3/package.json'), 'utf8')) as {
        version: string
      }
    ).version,
  )
  cpSync(join(root, 'node_modules/better-sqlite3/build'), join(app, 'node_modules/better-sqlite3/build'), {
    recursive: true,
  })
}, 600_000)

afterAll(async () => {
  await memcached?.stop()
  rmSync(work, { recursive: true, force: true })
})

describe('packed packages, installed outside the workspace', { timeout: 240_000 }, () => {
  it('ship dist (JS, .d.ts, maps), a README and the LICENSE, and no tests or fixtures', () => {
    const packed = JSON.parse(readFileSync(join(work, 'packed.json'), 'utf8')) as Array<{
      name: string
      files: Array<{ path: string }>
    }>
    expect(packed.map((p) => p.name).sort()).toEqual([
      '@cachework/browser',
      '@cachework/core',
      '@cachework/devtools',
      '@cachework/node',
    ])
    for (const p of packed) {
      const files = p.files.map((f) => f.path)
      for (const f of [
        'README.md',
        'LICENSE',
        'package.json',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/index.js.map',
      ]) {
        if (p.name === '@cachework/devtools' && f.startsWith('dist/index')) continue
        expect(files, `${p.name} ships ${f}`).toContain(f)
      }
      expect(
        files.filter((f) => /(^|\/)(test|tests|fixtures|__snapshots__)\//.test(f) || /\.test\.ts$/.test(f)),
      ).toEqual([])
      const manifest = JSON.parse(
        readFileSync(join(app, 'node_modules', p.name, 'package.json'), 'utf8'),
      ) as Record<string, unknown>
      expect(manifest.engines).toEqual({ node: '>=20.19' })
      expect(manifest.repository).toBeTruthy()
    }
  })

  it('typecheck a file using every public entry, strict, with nodenext and bundler resolution', async () => {
    write(
      'src/entries.ts',
      `import { cache, caches, configureCaches, createCaches, type Cache, CacheUnavailableError, LocMemCache } from '@cachework/core'
import { cachePage as fetchCachePage, getCacheKey, makeTemplateFragmentKey, patchCacheControl, rfc9111 } from '@cachework/core/http'
import { BaseCache, encodeValue, type StoredEntry } from '@cachework/core/backend'
import { CacheInspector, describeValue } from '@cachework/core/inspect'
import { cacheConformanceSuite, type ConformanceOptions } from '@cachework/core/testing'
import { MemcachedCache } from '@cachework/node/memcached'
import { DatabaseCache } from '@cachework/node/db'
import { FileBasedCache } from '@cachework/node/file'
import { RedisCache, type RedisOptions } from '@cachework/node/redis'
import { cacheMiddleware, cachePage } from '@cachework/node/http'
import { fastifyCache } from '@cachework/node/fastify'
import { cacheMiddleware as koaCacheMiddleware } from '@cachework/node/koa'
import { installCacheTag } from '@cachework/node/nunjucks'
import { devtoolsEndpoint } from '@cachework/node/devtools'
import { IndexedDBCache, registerResponseCache } from '@cachework/browser'
import { installResponseCache } from '@cachework/browser/sw'
import cachework from '@cachework/devtools/vite'

interface Session { user: string }
configureCaches({
  default: { backend: 'locmem' },
  mc: { backend: 'memcached', location: '127.0.0.1:11211', options: { retryMs: 500 } },
  redis: { backend: 'redis', location: 'redis://127.0.0.1:6379', options: { clear: 'prefix' } },
  db: { backend: 'db', location: 't', options: { database: 'c.sqlite3' } },
})
const c: Cache = caches.get('default')
const sessions: Cache<Session> = caches.get<Session>('default')
const n: number | undefined = await cache.get<number>('n')
const d: string = await cache.get('k', 'fallback')
const s: Session | null = await sessions.get('s', null)
// The published types refuse what the run time refuses (the backends' names come from their entries).
// @ts-expect-error a misspelt backend
configureCaches({ default: { backend: 'locmen' } })
// @ts-expect-error a misspelt option of an entry's backend
configureCaches({ mc: { backend: 'memcached', options: { retryMS: 1 } } })
// @ts-expect-error a function is not storable
await cache.set('f', () => 1)
// @ts-expect-error a misspelt alias of a typed registry
createCaches({ default: { backend: 'file', location: '/tmp/x' } }).get('defualt')
const key: string = makeTemplateFragmentKey('sidebar', ['a'])
const options: ConformanceOptions | RedisOptions | undefined = undefined
export const used = [c, n, d, s, key, options, CacheUnavailableError, LocMemCache, fetchCachePage, getCacheKey,
  patchCacheControl, rfc9111, BaseCache, encodeValue, CacheInspector, describeValue, cacheConformanceSuite,
  MemcachedCache, DatabaseCache, FileBasedCache, RedisCache, cacheMiddleware({ seconds: 60 }), cachePage(60),
  fastifyCache, koaCacheMiddleware({ seconds: 60 }), installCacheTag, devtoolsEndpoint, IndexedDBCache,
  registerResponseCache, installResponseCache, cachework()]
export type Entry = StoredEntry
`,
    )
    const base = {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      target: 'ES2022',
      lib: ['ES2023', 'DOM', 'DOM.Iterable'],
      types: ['node'],
      // Not cachework's: @types/koa's `require('content-disposition')` meets content-disposition
      // 2's own (different) types, which win over @types/content-disposition, so any strict Koa
      // project hits TS2694 in @types/koa. Point it at the types @types/koa was written for.
      paths: { 'content-disposition': ['./node_modules/@types/content-disposition/index.d.ts'] },
    }
    const resolutions = [
      ['nodenext', { module: 'nodenext', moduleResolution: 'nodenext' }],
      ['bundler', { module: 'esnext', moduleResolution: 'bundler' }],
    ] as const
    for (const [name, opts] of resolutions)
      write(
        `tsconfig.${name}.json`,
        JSON.stringify({ compilerOptions: { ...base, ...opts }, include: ['src'] }),
      )
    // The two resolutions at once: two compiler processes.
    const results = await Promise.all(
      resolutions.map(
        ([name]) =>
          new Promise<{ name: string; code: number; output: string }>((resolve) => {
            execFile(
              join(root, 'node_modules/.bin/tsc'),
              ['-p', `tsconfig.${name}.json`],
              { cwd: app, encoding: 'utf8', env, timeout: 200_000 },
              (error, stdout, stderr) =>
                resolve({ name, code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
            )
          }),
      ),
    )
    for (const r of results) {
      expect(r.output, `tsc (${r.name})`).toBe('')
      expect(r.code, `tsc (${r.name})`).toBe(0)
    }
  })

  it('run with plain node against locmem, file, db and memcached', () => {
    write(
      'backends.mjs',
      `import { createCaches } from '@cachework/core'
import '@cachework/node/memcached'
import '@cachework/node/db'
import '@cachework/node/file'
const [dir, location] = process.argv.slice(2)
const caches = createCaches({
  loc: { backend: 'locmem' },
  file: { backend: 'file', location: dir + '/files' },
  db: { backend: 'db', location: 'cache_table', options: { database: dir + '/cache.sqlite3' } },
  mc: { backend: 'memcached', location },
})
const out = {}
for (const alias of caches.aliases()) {
  const c = caches.get(alias)
  await c.set('v', { when: new Date(0), tags: new Set(['a']) }, 60)
  await c.set('n', 41)
  const v = await c.get('v')
  out[alias] = { date: v.when.toISOString(), tags: [...v.tags], n: await c.incr('n'), miss: await c.get('nope', 'dflt') }
}
await caches.closeAll()
console.log(JSON.stringify(out))
`,
    )
    const r = run(process.execPath, ['backends.mjs', work, memcached?.location ?? ''], app, 60_000)
    const expected = { date: '1970-01-01T00:00:00.000Z', tags: ['a'], n: 42, miss: 'dflt' }
    expect(JSON.parse(r.stdout)).toEqual({ loc: expected, file: expected, db: expected, mc: expected })
  })

  it('serve an Express page from the cache: a miss, then a hit with Age', async () => {
    write(
      'server.mjs',
      `import express from 'express'
import { configureCaches } from '@cachework/core'
import { cachePage } from '@cachework/node/http'
configureCaches({ default: { backend: 'locmem' } })
let runs = 0
const app = express()
app.get('/news', cachePage(60), (req, res) => { runs++; res.type('text/plain').send('run ' + runs) })
const server = app.listen(0, '127.0.0.1', () => console.log('port ' + server.address().port))
`,
    )
    const child = spawn(process.execPath, ['server.mjs'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] })
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString()
          const m = /port (\d+)/.exec(out)
          if (m) resolve(Number(m[1]))
        })
        child.once('exit', (code) => reject(new Error(`server exited (${code})`)))
      })
      const first = await fetch(`http://127.0.0.1:${port}/news`)
      expect(await first.text()).toBe('run 1')
      expect(first.headers.get('age')).toBeNull()
      const second = await fetch(`http://127.0.0.1:${port}/news`)
      expect(await second.text()).toBe('run 1')
      expect(second.headers.get('age')).toMatch(/^\d+$/)
    } finally {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid)
    }
  })

  it('vite build a page with the service-worker cache and the devtools plugin: no devtools code in the output', () => {
    write(
      'web/index.html',
      '<!doctype html><html><body><p>user page</p><script type="module" src="./main.js"></script></body></html>',
    )
    write(
      'web/main.js',
      `import { registerResponseCache } from '@cachework/browser'
registerResponseCache('/sw.js').then(() => console.log('cw-page-marker'))
`,
    )
    write(
      'web/sw.js',
      `import { installResponseCache } from '@cachework/browser/sw'
installResponseCache({})
console.log('cw-sw-marker')
`,
    )
    write(
      'vite.config.mjs',
      `import cachework from '@cachework/devtools/vite'
export default {
  root: 'web',
  logLevel: 'error',
  plugins: [cachework()],
  build: {
    outDir: '../out',
    emptyOutDir: true,
    minify: false,
    rollupOptions: { input: { main: 'web/index.html', sw: 'web/sw.js' }, output: { entryFileNames: '[name].js' } },
  },
}
`,
    )
    run(join(app, 'node_modules/.bin/vite'), ['build'], app, 120_000)
    const outDir = join(app, 'out')
    const text = (readdirSync(outDir, { recursive: true }) as string[])
      .filter((f) => /\.(js|html)$/.test(f))
      .map((f) => readFileSync(join(outDir, f), 'utf8'))
      .join('\n')
    // The build holds the page, the worker and cachework's code (so an empty build cannot pass)…
    expect(text).toContain('cw-page-marker')
    expect(text).toContain('cw-sw-marker')
    expect(text).toContain('indexeddb')
    // …and none of the devtools panel, whose markers the installed package does contain.
    const devtools = (
      readdirSync(join(app, 'node_modules/@cachework/devtools/dist'), { recursive: true }) as string[]
    )
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(app, 'node_modules/@cachework/devtools/dist', f), 'utf8'))
      .join('\n')
    for (const marker of ['mountDevtools', 'virtual:cachework-devtools', 'cw-toggle']) {
      expect(devtools, `devtools itself has ${marker}`).toContain(marker)
      expect(text, `build output has ${marker}`).not.toContain(marker)
    }
  })
})
