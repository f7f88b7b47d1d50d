import { once } from 'node:events'
import { mkdirSync, mkdtempSync, readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CacheUnavailableError, type CacheEvent, ImproperlyConfigured, createCaches } from '@cachework/core'
import { uniqueKey } from '@cachework/core/testing'
import { describe, expect, it, vi } from 'vitest'
import { FileBasedCache } from '../src/file.ts'
import { runTs, spawnTs, supportFile } from './support/db-child.ts'

const root = mkdtempSync(join(tmpdir(), 'cachework-filex-'))
const freshDir = () => join(root, uniqueKey('d'))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('file backend specifics', () => {
  it('names files as Django does: md5 of the made key plus .djcache, in a 0700 directory, 0600 files', async () => {
    const dir = join(freshDir(), 'nested', 'deeper')
    const c = new FileBasedCache({ location: dir })
    await c.set('foo', 'bar')
    expect(readdirSync(dir)).toEqual(['9fe685f2d059d8a11303e9e64be4cc7b.djcache'])
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    expect(statSync(join(dir, '9fe685f2d059d8a11303e9e64be4cc7b.djcache')).mode & 0o777).toBe(0o600)
  })

  it('is configured by name and by Django dotted path; an empty location is an error', () => {
    const caches = createCaches({
      a: { backend: 'file', location: freshDir() },
      b: { BACKEND: 'django.core.cache.backends.filebased.FileBasedCache', LOCATION: freshDir() },
    })
    expect(caches.get('a')).toBeInstanceOf(FileBasedCache)
    expect(caches.get('b')).toBeInstanceOf(FileBasedCache)
    expect(() => new FileBasedCache({ location: '' })).toThrow(ImproperlyConfigured)
  })

  it('warns about a relative location and resolves it against the working directory', () => {
    const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const c = new FileBasedCache({ location: 'relative-cache-dir' })
    expect(c.dir).toBe(join(process.cwd(), 'relative-cache-dir'))
    expect(String(spy.mock.calls[0]?.[0])).toMatch(/relative.*W003/)
    spy.mockRestore()
  })

  it('clear() removes only .djcache files', async () => {
    const dir = freshDir()
    const c = new FileBasedCache({ location: dir })
    await c.setMany({ a: 1, b: 2 })
    writeFileSync(join(dir, 'keep.txt'), 'mine')
    await c.clear()
    expect(readdirSync(dir)).toEqual(['keep.txt'])
  })

  it('reads a truncated or garbage file as a miss and removes it', async () => {
    const dir = freshDir()
    const c = new FileBasedCache({ location: dir })
    await c.set('t', { long: 'x'.repeat(1000) })
    await c.set('g', 'fine')
    const [t, g] = [join(dir, readdirSync(dir)[0] as string), join(dir, readdirSync(dir)[1] as string)]
    truncateSync(t, 40)
    writeFileSync(g, 'garbage that is not a cache file at all')
    expect(await c.get('t', 'miss')).toBe('miss')
    expect(await c.get('g', 'miss')).toBe('miss')
    expect(readdirSync(dir)).toEqual([])
  })

  it('touch on an expired file returns false (Django raises)', async () => {
    const c = new FileBasedCache({ location: freshDir() })
    await c.set('k', 1, 0.05)
    await sleep(120)
    expect(await c.touch('k', 100)).toBe(false)
    expect(await c.has('k')).toBe(false)
  })

  it('counts entries instead of listing the directory on every set', async () => {
    const dir = freshDir()
    const c = new FileBasedCache({ location: dir, options: { maxEntries: 50 } })
    await c.set('first', 0)
    // Another process (simulated by a second directory writer) cannot change what we count:
    // fill to the limit and check the store never grows past it.
    for (let i = 0; i < 120; i++) await c.set(`k${i}`, i)
    expect(readdirSync(dir).filter((n) => n.endsWith('.djcache')).length).toBeLessThanOrEqual(50)
    expect(await c.get('k119')).toBe(119)
  })

  it('concurrent sets of new keys into a full store cull once, not once each', async () => {
    const dir = freshDir()
    const c = new FileBasedCache({ location: dir, options: { maxEntries: 30, cullFrequency: 3 } })
    for (let i = 0; i < 30; i++) await c.set(`k${i}`, i)
    await Promise.all(Array.from({ length: 5 }, (_, i) => c.set(`new${i}`, i)))
    expect(readdirSync(dir).filter((n) => n.endsWith('.djcache')).length).toBe(25)
    expect(c.stats().evictions).toBe(10)
  })

  it('breaks a lock left by a dead process, and gives up on a live one with CacheUnavailableError', async () => {
    const dir = freshDir()
    const c = new FileBasedCache({ location: dir, options: { timeoutMs: 300 } })
    await c.set('n', 1)
    const lock = join(dir, `${(readdirSync(dir)[0] as string).replace('.djcache', '')}.djlock`)
    const { hostname } = await import('node:os')
    writeFileSync(lock, `999999 ${hostname()}`) // no such pid
    expect(await c.incr('n')).toBe(2)
    writeFileSync(lock, `${process.pid} ${hostname()}`) // alive: this very process
    await expect(c.incr('n')).rejects.toBeInstanceOf(CacheUnavailableError)
    expect(await c.get('n')).toBe(2)
  })

  it('a location that is not a directory: reads miss with an error event, writes reject', async () => {
    const notDir = join(root, uniqueKey('file'))
    writeFileSync(notDir, 'x')
    const c = new FileBasedCache({ location: join(notDir, 'sub') })
    const errors: CacheEvent[] = []
    c.on('error', (e) => errors.push(e))
    expect(await c.get('k', 'd')).toBe('d')
    await expect(c.set('k', 1)).rejects.toBeInstanceOf(CacheUnavailableError)
    const lenient = new FileBasedCache({ location: join(notDir, 'sub'), options: { ignoreErrors: true } })
    expect(await lenient.set('k', 1)).toBe(false)
    expect(errors.length).toBeGreaterThanOrEqual(1)
  })

  it('four processes incrementing one key lose nothing', { timeout: 180_000 }, async () => {
    const dir = freshDir()
    mkdirSync(dir, { recursive: true })
    const c = new FileBasedCache({ location: dir })
    await c.set('n', 0, null)
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => runTs(supportFile('file-incr-worker.ts'), [dir, 'n', '250'])),
    )
    for (const r of results) {
      expect(r.stderr).toBe('')
      expect(JSON.parse(r.stdout)).toEqual({ errors: 0, messages: [] })
    }
    expect(await c.get('n')).toBe(1000)
  })

  it('four processes racing add() on 8 × 100 keys over expired files: exactly one winner per key', {
    timeout: 60_000,
  }, async () => {
    const dir = freshDir()
    // Files that expired an hour ago: written through a clock set back by two hours.
    const past = new FileBasedCache({
      location: dir,
      options: { maxEntries: 100_000, clock: { now: () => Date.now() - 7_200_000 } },
    })
    const [perRound, rounds] = [100, 8]
    const keys = Array.from(
      { length: rounds * perRound },
      (_, i) => `r${Math.floor(i / perRound)}k${i % perRound}`,
    )
    const n = keys.length
    await past.setMany(Object.fromEntries(keys.map((k) => [k, 'old'])), 3600)
    const startAt = String(Date.now() + 2000) // every child has loaded by then
    const args = (id: string) => [dir, id, String(perRound), String(rounds), startAt]
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((id) => runTs(supportFile('file-add-worker.ts'), args(id))),
    )
    const winners = new Map<string, string[]>()
    for (const [i, r] of results.entries()) {
      expect(r.stderr).toBe('')
      for (const k of JSON.parse(r.stdout) as string[])
        winners.set(k, [...(winners.get(k) ?? []), 'abcd'[i] as string])
    }
    const c = new FileBasedCache({ location: dir, options: { maxEntries: 100_000 } })
    const stored = await c.getMany(keys)
    const multi = [...winners].filter(([, w]) => w.length !== 1)
    expect(multi).toEqual([])
    expect(winners.size).toBe(n)
    // The value on disk is the one winner's.
    for (const [k, [w]] of winners) expect(stored[k]).toBe(w)
  })

  it('temporary names are unique beyond the PID: stale temp files of this PID do not make set() fail', async () => {
    const dir = freshDir()
    mkdirSync(dir, { recursive: true })
    // A writer with the same PID (another container on the same volume, or this process before a
    // crash) left temp files under every name a PID-and-counter scheme would pick next.
    for (let i = 0; i < 2000; i++) writeFileSync(join(dir, `tmp-${process.pid}-${i.toString(36)}.djtmp`), '')
    const c = new FileBasedCache({ location: dir })
    for (let i = 0; i < 20; i++) expect(await c.set(`t${i}`, i)).toBe(true)
    expect(await c.get('t19')).toBe(19)
  })

  it('a writer SIGKILLed mid-write never leaves a corrupt value', { timeout: 180_000 }, async () => {
    const dir = freshDir()
    for (let round = 0; round < 6; round++) {
      const child = spawnTs(supportFile('file-writer.ts'), [dir, round % 3 === 2 ? 'incr' : 'set'])
      await new Promise<void>((resolve, reject) => {
        child.stdout?.once('data', () => resolve())
        child.once('exit', (code) => reject(new Error(`writer exited early (${code})`)))
      })
      await sleep(150 + round * 60)
      child.kill('SIGKILL')
      await once(child, 'exit')
      const c = new FileBasedCache({ location: dir, options: { maxEntries: 1000 } })
      for (let k = 0; k < 8; k++) {
        const v = (await c.get(`key${k}`)) as { i: number; big: string; list: number[] } | undefined
        if (v !== undefined) {
          expect(v.big.length).toBe(200_000)
          expect(v.list).toEqual([v.i, v.i + 1])
        }
      }
      const n = await c.get('counter')
      expect(n === undefined || Number.isInteger(n)).toBe(true)
      for await (const e of c.entries()) expect(e.value).toBeDefined()
    }
  })
})
