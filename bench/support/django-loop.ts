/**
 * The Django side of the `db` and `file` benches: one /usr/bin/python3 process (Debian
 * python3-django) configures a Django cache backend, fills it with the shared fixture, times
 * `cache.get` (hit) and `cache.set` (overwrite) in its own loop and prints ops/s as JSON.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { N, PY_FIXTURE } from './fixtures.ts'

const run = promisify(execFile)

/** Django's ops/s for `cache.get` (hit) and `cache.set` (overwrite), as its own loop timed them. */
export interface DjangoOps {
  get: number
  set: number
}

/** What differs between the Django backends timed: everything else is the shared loop. */
interface DjangoSetup {
  /** Python statements run before `django.setup()`: a `settings.configure(...)` call. */
  configure: string
  /** Python statements run after `cache` is imported, before the fixture is stored. */
  afterSetup?: string
  /** Calls between two reads of the clock (fewer for slow backends, so windows stay short). */
  batch: number
}

function script({ configure, afterSetup = '', batch }: DjangoSetup): string {
  return `
import json, sys, time
import django
from django.conf import settings
${configure}
django.setup()
from django.core.cache import cache
${afterSetup}
${PY_FIXTURE}
for i, k in enumerate(keys):
    cache.set(k, val(i))
def loop(fn, seconds):
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for i in range(${batch}):
            fn(n + i)
        n += ${batch}
    return n / (time.perf_counter() - t0)
get = lambda i: cache.get(keys[i % ${N}])
put = lambda i: cache.set(keys[i % ${N}], val(i))
out = {}
for name, fn in (('get', get), ('set', put)):
    loop(fn, 0.2)
    out[name] = max(loop(fn, 0.4) for _ in range(3))
print(json.dumps(out))
`
}

async function timeDjango(setup: DjangoSetup, args: string[]): Promise<DjangoOps | undefined> {
  try {
    const { stdout } = await run('/usr/bin/python3', ['-c', script(setup), ...args], { timeout: 120_000 })
    return JSON.parse(stdout) as DjangoOps
  } catch {
    return undefined
  }
}

const DATABASE_CACHE: DjangoSetup = {
  configure: `settings.configure(
    DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': sys.argv[1]}},
    CACHES={'default': {'BACKEND': 'django.core.cache.backends.db.DatabaseCache', 'LOCATION': 'bench_cache',
                        'TIMEOUT': None, 'OPTIONS': {'MAX_ENTRIES': 1000000}}},
)`,
  afterSetup: `from django.core.management import call_command
from django.db import connection
call_command('createcachetable', verbosity=0)
with connection.cursor() as c:
    # The same file settings as the Node rows (Django 3.2 has no init_command for SQLite).
    c.execute('PRAGMA journal_mode=WAL')
    c.execute('PRAGMA synchronous=NORMAL')`,
  batch: 100,
}

const FILE_BASED_CACHE: DjangoSetup = {
  configure: `settings.configure(CACHES={'default': {'BACKEND': 'django.core.cache.backends.filebased.FileBasedCache',
                                       'LOCATION': sys.argv[1], 'TIMEOUT': None,
                                       'OPTIONS': {'MAX_ENTRIES': int(sys.argv[2])}}})`,
  batch: 50,
}

/**
 * Django's DatabaseCache on the SQLite file `file` (WAL, synchronous=NORMAL, MAX_ENTRIES 1,000,000,
 * no timeout); `undefined` when /usr/bin/python3 with Django is missing or the run fails.
 */
export function djangoDatabaseCache(file: string): Promise<DjangoOps | undefined> {
  return timeDjango(DATABASE_CACHE, [file])
}

/**
 * Django's FileBasedCache in directory `dir` with MAX_ENTRIES `maxEntries` (no timeout);
 * `undefined` when /usr/bin/python3 with Django is missing or the run fails.
 */
export function djangoFileBasedCache(dir: string, maxEntries: number): Promise<DjangoOps | undefined> {
  return timeDjango(FILE_BASED_CACHE, [dir, String(maxEntries)])
}
