/**
 * getOrSet's stampede options on locmem with an injected clock (docs/contract.md rule 16): no
 * sleeps decide an outcome; factories are held open with deferred promises so "during a
 * refresh" is a state the test controls, and results are counted, never timed.
 */
import { describe, expect, it } from 'vitest'
import { type CacheEvent, LocMemCache } from '../src/index.ts'
import { ENVELOPE_MARK, leaseKeyFor } from '../src/backend.ts'
import { uniqueKey } from '../src/testing/index.ts'

function deferred<T>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Let queued microtasks and immediate callbacks run. */
const flush = () => new Promise((r) => setTimeout(r, 0))

function setup() {
  const clock = { t: 1_700_000_000_000, now: () => clock.t }
  const location = uniqueKey('gos')
  const c = new LocMemCache({ location, options: { clock } })
  const events: CacheEvent[] = []
  c.on('*', (e) => events.push(e))
  const count = (type: string) => events.filter((e) => e.type === type).length
  return { clock, c, events, count, location }
}

describe('getOrSet: staleWhileRevalidate', () => {
  it('serves the stale value to every caller at once while one refresh runs, then the new one', async () => {
    const { clock, c, count } = setup()
    const k = uniqueKey()
    expect(await c.getOrSet(k, 'v1', 10, { staleWhileRevalidate: 30 })).toBe('v1')
    clock.t += 11_000
    expect(await c.get(k)).toBeUndefined() // stale: a miss for plain get (rule 16)
    expect(await c.has(k)).toBe(false)
    const gate = deferred<string>()
    let runs = 0
    const factory = () => {
      runs++
      return gate.promise
    }
    // The factory has not finished, yet all 10 callers already have their answer.
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => c.getOrSet(k, factory, 10, { staleWhileRevalidate: 30 })),
    )
    expect(answers).toEqual(Array(10).fill('v1'))
    expect(runs).toBe(1)
    expect(count('stale')).toBe(10)
    expect(count('refresh')).toBe(1)
    const refreshing = []
    for await (const e of c.entries()) refreshing.push(e.state)
    expect(refreshing).toEqual(['refreshing'])
    gate.resolve('v2')
    await flush()
    expect(await c.getOrSet(k, factory, 10, { staleWhileRevalidate: 30 })).toBe('v2')
    expect(await c.get(k)).toBe('v2')
    expect(runs).toBe(1)
  })

  it('past the stale window the caller waits for the factory', async () => {
    const { clock, c, count } = setup()
    const k = uniqueKey()
    await c.getOrSet(k, 'v1', 10, { staleWhileRevalidate: 5 })
    clock.t += 15_001
    expect(await c.getOrSet(k, () => 'v2', 10, { staleWhileRevalidate: 5 })).toBe('v2')
    expect(count('stale')).toBe(0)
  })

  it('keeps the physical entry for fresh + stale seconds only', async () => {
    const { clock, c } = setup()
    const k = uniqueKey()
    await c.getOrSet(k, 'v1', 10, { staleWhileRevalidate: 5 })
    const [e] = await (async () => {
      const out = []
      for await (const x of c.entries()) out.push(x)
      return out
    })()
    expect(e?.expiresAt).toBe(clock.t + 15_000)
    expect(e?.softExpiresAt).toBe(clock.t + 10_000)
    expect(e?.value).toBe('v1')
  })
})

describe('getOrSet: staleIfError', () => {
  it('returns the stale value and emits error when the factory throws inside the window', async () => {
    const { clock, c, count, events } = setup()
    const k = uniqueKey()
    await c.getOrSet(k, { n: 1 }, 10, { staleIfError: 60 })
    clock.t += 20_000
    const boom = new Error('backend down')
    const got = await c.getOrSet(
      k,
      () => {
        throw boom
      },
      10,
      { staleIfError: 60 },
    )
    expect(got).toEqual({ n: 1 })
    expect(count('error')).toBe(1)
    expect(events.find((e) => e.type === 'error')?.error).toBe(boom)
    expect(c.stats().errors).toBe(1)
  })

  it('throws once the window is over, and stores nothing', async () => {
    const { clock, c } = setup()
    const k = uniqueKey()
    await c.getOrSet(k, 1, 10, { staleIfError: 5 })
    clock.t += 15_001
    await expect(
      c.getOrSet(k, () => Promise.reject(new Error('still down')), 10, { staleIfError: 5 }),
    ).rejects.toThrow('still down')
  })

  it('a background refresh that fails keeps the stale value and reports the error', async () => {
    const { clock, c, count } = setup()
    const k = uniqueKey()
    const opts = { staleWhileRevalidate: 30, staleIfError: 30 }
    await c.getOrSet(k, 'old', 10, opts)
    clock.t += 11_000
    expect(await c.getOrSet(k, () => Promise.reject(new Error('nope')), 10, opts)).toBe('old')
    await flush()
    expect(count('error')).toBe(1)
    expect(await c.getOrSet(k, 'x', 10, opts)).toBe('old')
  })
})

describe('getOrSet: beta (XFetch early refresh)', () => {
  // Δ = 2000 ms, measured on the injected clock; expiry at t0 + 10 s.
  async function seeded(beta: number) {
    const s = setup()
    const k = uniqueKey()
    await s.c.getOrSet(
      k,
      () => {
        s.clock.t += 2000
        return 'v1'
      },
      10,
      { beta },
    )
    return { ...s, k }
  }

  it('refreshes before expiry when now − Δ·β·ln(random) reaches the expiry', async () => {
    const { clock, c, k, count } = await seeded(1)
    // Stored at t0+2000 with soft expiry t0+12000. At t0+11000: −Δ·ln(e^-1) = 2000 ≥ 1000 left.
    clock.t += 9000
    let runs = 0
    const v = await c.getOrSet(k, () => `v${++runs + 1}`, 10, { beta: 1, random: () => Math.exp(-1) })
    expect(v).toBe('v1') // still fresh: the caller is not kept waiting
    await flush()
    expect(runs).toBe(1)
    expect(count('refresh')).toBe(1)
    expect(await c.get(k)).toBe('v2')
  })

  it('does not refresh when the draw is far from expiry, nor with beta 0', async () => {
    const { clock, c, k } = await seeded(1)
    clock.t += 9000
    let runs = 0
    const f = () => `v${++runs}`
    // ln(1) = 0: no head start at all, and 1000 ms remain.
    expect(await c.getOrSet(k, f, 10, { beta: 1, random: () => 1 })).toBe('v1')
    // β = 0 switches XFetch off whatever the draw.
    expect(await c.getOrSet(k, f, 10, { beta: 0, random: () => 1e-9 })).toBe('v1')
    await flush()
    expect(runs).toBe(0)
  })

  it('a larger beta refreshes earlier', async () => {
    const { clock, c, k } = await seeded(3)
    clock.t += 5000 // 5000 ms left; 3 · 2000 · 1 = 6000 ≥ 5000
    let runs = 0
    await c.getOrSet(k, () => `v${++runs}`, 10, { beta: 3, random: () => Math.exp(-1) })
    await flush()
    expect(runs).toBe(1)
  })
})

describe('expire (soft invalidation)', () => {
  it('marks a plain entry stale: get misses, getOrSet with SWR serves it and refreshes once', async () => {
    const { c, count } = setup()
    const k = uniqueKey()
    await c.set(k, 'plain', 60)
    expect(await c.expire(k)).toBe(true)
    expect(await c.get(k)).toBeUndefined()
    let runs = 0
    expect(await c.getOrSet(k, () => `new${++runs}`, 60, { staleWhileRevalidate: 60 })).toBe('plain')
    await flush()
    expect(runs).toBe(1)
    expect(await c.get(k)).toBe('new1')
    expect(count('stale')).toBe(1)
  })

  it('without staleWhileRevalidate the next getOrSet computes; expire of a missing key is false', async () => {
    const { c } = setup()
    const k = uniqueKey()
    await c.set(k, 'a', 60)
    await c.expire(k)
    expect(await c.getOrSet(k, 'b', 60)).toBe('b')
    expect(await c.get(k)).toBe('b')
    expect(await c.expire(uniqueKey())).toBe(false)
  })

  it('keeps the physical expiry', async () => {
    const { clock, c } = setup()
    const k = uniqueKey()
    await c.set(k, 'a', 60)
    clock.t += 10_000
    await c.expire(k)
    const list = []
    for await (const e of c.entries()) list.push(e)
    expect(list[0]?.expiresAt).toBe(clock.t + 50_000)
    expect(list[0]?.state).toBe('stale')
  })
})

describe('the envelope stays invisible', () => {
  it('a plain getOrSet stores the plain value (no envelope)', async () => {
    const { c, location, clock } = setup()
    const k = uniqueKey()
    await c.getOrSet(k, { a: 1 }, 60)
    // Read through another cache on the same store with the lowest-level read there is.
    const raw = c.makeKey(k)
    const other = new LocMemCache({ location, options: { clock } }) as unknown as {
      _get(r: string): Promise<{ value: unknown }>
    }
    expect((await other._get(raw)).value).toEqual({ a: 1 })
  })

  it('a user value that looks like an envelope round-trips exactly', async () => {
    const { c } = setup()
    const k = uniqueKey()
    const tricky = { [ENVELOPE_MARK]: 1, value: 'inner', softExpiresAt: 0 }
    await c.set(k, tricky)
    expect(await c.get(k)).toEqual(tricky)
    await c.setMany({ [`${k}b`]: tricky })
    expect(await c.getMany([`${k}b`])).toEqual({ [`${k}b`]: tricky })
  })

  it('rejects bad options', async () => {
    const { c } = setup()
    await expect(c.getOrSet('k', 1, 1, { lock: 'global' as never })).rejects.toThrow(TypeError)
    await expect(c.getOrSet('k', 1, 1, { staleWhileRevalidate: -1 })).rejects.toThrow(TypeError)
    await expect(c.getOrSet('k', 1, 1, { lockTimeoutMs: 0 })).rejects.toThrow(TypeError)
  })
})

describe("lock: 'distributed' (two caches on one store stand in for two processes)", () => {
  it('runs the factory once across caches that share only the store', async () => {
    const location = uniqueKey('shared')
    const caches = Array.from({ length: 4 }, () => new LocMemCache({ location }))
    const k = uniqueKey()
    const gate = deferred<string>()
    let runs = 0
    const factory = () => {
      runs++
      return gate.promise
    }
    const all = Promise.all(
      caches.flatMap((c) =>
        Array.from({ length: 5 }, () => c.getOrSet(k, factory, 60, { lock: 'distributed' })),
      ),
    )
    await flush()
    gate.resolve('once')
    expect(await all).toEqual(Array(20).fill('once'))
    expect(runs).toBe(1)
  })

  it('a lease whose holder vanished blocks the others only until it runs out', async () => {
    const location = uniqueKey('dead')
    const a = new LocMemCache({ location })
    const b = new LocMemCache({ location })
    const k = uniqueKey()
    // "a" takes the lease and never computes nor releases (as if SIGKILLed).
    const token = await a.acquireLease(a.makeKey(k), 150)
    expect(token).toBeTypeOf('string')
    const leases = []
    for await (const e of b.entries()) leases.push(e)
    expect(leases).toEqual([
      expect.objectContaining({
        key: k,
        state: 'leased',
        leaseHolder: token,
        rawKey: leaseKeyFor(a.makeKey(k)),
      }),
    ])
    let runs = 0
    expect(await b.getOrSet(k, () => `b${++runs}`, 60, { lock: 'distributed', lockTimeoutMs: 150 })).toBe(
      'b1',
    )
    expect(runs).toBe(1)
  })

  it('staleWhileRevalidate: a cache that finds the refresh leased elsewhere does not ask again on every stale hit', async () => {
    const clock = { t: 1_700_000_000_000, now: () => clock.t }
    const location = uniqueKey('elsewhere')
    const a = new LocMemCache({ location, options: { clock } })
    const b = new LocMemCache({ location, options: { clock } })
    const k = uniqueKey()
    const opts = { lock: 'distributed' as const, staleWhileRevalidate: 300 }
    await a.getOrSet(k, 'v1', 10, opts)
    clock.t += 11_000
    let runs = 0
    const gate = deferred<string>()
    // "a" takes the refresh lease and holds its refresh open.
    const fromA = () => {
      runs++
      return gate.promise
    }
    expect(await a.getOrSet(k, fromA, 10, opts)).toBe('v1')
    await flush()
    let attempts = 0
    const acquire = b.acquireLease.bind(b)
    b.acquireLease = (raw: string, ms: number) => {
      attempts++
      return acquire(raw, ms)
    }
    const fromB = () => {
      runs++
      return 'b'
    }
    for (let i = 0; i < 10; i++) {
      expect(await b.getOrSet(k, fromB, 10, opts)).toBe('v1')
      await flush()
    }
    expect(attempts).toBe(1)
    // A second later "b" looks again; the lease is still held, so still no second refresh.
    clock.t += 1001
    expect(await b.getOrSet(k, fromB, 10, opts)).toBe('v1')
    await flush()
    expect(attempts).toBe(2)
    gate.resolve('v2')
    await flush()
    expect(await b.getOrSet(k, fromB, 10, opts)).toBe('v2')
    expect(runs).toBe(1)
  })

  it('releasing with a stale token leaves the new holder alone', async () => {
    const c = new LocMemCache({ location: uniqueKey() })
    const raw = c.makeKey(uniqueKey())
    const t1 = await c.acquireLease(raw, 1000)
    expect(await c.acquireLease(raw, 1000)).toBeUndefined()
    await c.releaseLease(raw, 'someone-else')
    expect(await c.acquireLease(raw, 1000)).toBeUndefined()
    await c.releaseLease(raw, t1 as string)
    expect(await c.acquireLease(raw, 1000)).toBeTypeOf('string')
  })
})
