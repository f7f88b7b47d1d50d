/**
 * Interop with Django itself (docs/contract.md rule 12): Debian's Django 3.2 with `PyMemcacheCache` and
 * cachework share one memcached with the same key prefix and version, and read each other's
 * strings and integers; cachework's `delete`/`incr` change what Django sees. Django's pickled
 * objects are never loaded by cachework: they read as misses.
 */
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { uniqueKey } from '@cachework/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MemcachedCache } from '../src/memcached.ts'
import { MemcachedProcess } from './support/memcached-server.ts'

const run = promisify(execFile)
const PYTHON = '/usr/bin/python3'

// One Django process per call: configure CACHES, run the ops, print the results as JSON.
const SCRIPT = `
import json, sys
import django
from django.conf import settings
loc, prefix, ops = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
settings.configure(CACHES={'default': {
    'BACKEND': 'django.core.cache.backends.memcached.PyMemcacheCache',
    'LOCATION': loc, 'KEY_PREFIX': prefix, 'VERSION': 1, 'TIMEOUT': 300}})
django.setup()
from django.core.cache import cache
out = []
for op, *args in ops:
    if op == 'set': cache.set(args[0], args[1]); out.append(None)
    elif op == 'setobj': cache.set(args[0], {'a': [1, 2]}); out.append(None)
    elif op == 'get':
        v = cache.get(args[0], '<missing>'); out.append([type(v).__name__, v])
    elif op == 'incr': out.append(cache.incr(args[0], args[1]))
cache.close()
print(json.dumps(out))
`

async function django(location: string, prefix: string, ops: unknown[][]): Promise<unknown[]> {
  const { stdout } = await run(PYTHON, ['-c', SCRIPT, location, prefix, JSON.stringify(ops)], {
    timeout: 30_000,
  })
  return JSON.parse(stdout) as unknown[]
}

let server: MemcachedProcess

beforeAll(async () => {
  if (!existsSync(PYTHON)) {
    throw new Error('python3 is not installed: run `apt-get install -y python3-django python3-pymemcache`')
  }
  const check = await run(PYTHON, ['-c', 'import django, pymemcache; print(django.get_version())']).catch(
    () => {
      throw new Error(
        'Django or pymemcache is missing for /usr/bin/python3: run `apt-get install -y python3-django python3-pymemcache` (or `npm test`, which installs them)',
      )
    },
  )
  expect(check.stdout.trim()).toMatch(/^\d/)
  server = await MemcachedProcess.start()
})

afterAll(async () => {
  await server?.stop()
})

describe('Django PyMemcacheCache interop', () => {
  it('each reads the other, and cachework delete/incr change what Django sees', async () => {
    const prefix = uniqueKey('dj')
    const c = new MemcachedCache({
      location: server.location,
      keyPrefix: prefix,
      options: { timeoutMs: 5000 },
    })
    try {
      // Django writes str and int; cachework reads them.
      await django(server.location, prefix, [
        ['set', 'dj_str', 'héllo wörld 清'],
        ['set', 'dj_int', 42],
        ['setobj', 'dj_obj'],
      ])
      expect(await c.get('dj_str')).toBe('héllo wörld 清')
      expect(await c.get('dj_int')).toBe(42)
      // A pickled dict is never unpickled: a miss.
      expect(await c.get('dj_obj', 'dflt')).toBe('dflt')

      // cachework writes str and int; Django reads them with their Python types.
      await c.set('cw_str', 'from node ✓')
      await c.set('cw_int', 7)
      await c.delete('dj_str')
      expect(await c.incr('dj_int', 5)).toBe(47)
      const seen = await django(server.location, prefix, [
        ['get', 'cw_str'],
        ['get', 'cw_int'],
        ['get', 'dj_str'],
        ['get', 'dj_int'],
        ['incr', 'cw_int', 3],
      ])
      expect(seen).toEqual([['str', 'from node ✓'], ['int', 7], ['str', '<missing>'], ['int', 47], 10])
      // Django's native incr is visible to cachework.
      expect(await c.get('cw_int')).toBe(10)
    } finally {
      await c.close()
    }
  })
})
