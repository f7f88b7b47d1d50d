/**
 * What every group of the conformance suite shares: the backend's options, how to make a cache
 * for one test, how to let a short timeout pass (on injected time or by sleeping), and small
 * helpers. A new group is a file exporting `(ctx: SuiteContext) => void`, listed in `index.ts`.
 */
import type { Clock } from '../clock.ts'
import type { Cache, CacheInit, EntryInfo } from '../types.ts'

/** How a backend plugs into the suite. */
export interface ConformanceOptions {
  /**
   * Make a cache for one test. Each call must give a cache on a fresh, empty location (a new
   * store name, table, directory or database), with `overrides` applied to its config
   * (including `overrides.options`, which carries the injected clock when `clock` is 'fake').
   */
  create(overrides?: CacheInit): Cache | Promise<Cache>
  /**
   * Time for the expiry rules. 'fake': each test's caches get a `ManualClock` (frozen at the
   * test's start) through `options.clock`, and the suite moves it forward instead of sleeping;
   * right for every backend that reads time from its clock (all but memcached and redis, whose
   * servers expire entries themselves). 'real': the suite sleeps `expiryWaitMs`. Default 'real'.
   */
  clock?: 'fake' | 'real'
  /** A timeout (seconds) short enough to wait out. Default 0.2; memcached needs whole seconds. */
  shortTimeout?: number
  /** How long (ms) to wait (or move the fake clock) for `shortTimeout` to have passed. Default 450. */
  expiryWaitMs?: number
  /** Whether rule 11 applies. Default true. */
  culls?: boolean
  /** Culling order: 'lru' (locmem, indexeddb) or 'expiry' (soonest to expire first). Default 'expiry'. */
  cullOrder?: 'lru' | 'expiry'
  /** False for the dummy backend, which stores nothing. Default true. */
  stores?: boolean
  /** memcached floors `decr` at 0. Default false. */
  decrFloorsAtZero?: boolean
  /** memcached rejects bad keys with `InvalidCacheKey` instead of warning. Default false. */
  rejectsBadKeys?: boolean
  /**
   * The server expires entries itself and cannot tell an expired key from a missing one, so no
   * `expire` event is required (memcached, redis). Default: true for backend 'memcached', else false.
   */
  expiresOnServer?: boolean
  /**
   * Rule 15: make a cache of this backend whose storage cannot be reached (a closed port, a
   * database file in a missing directory, a cache directory under a regular file), with
   * `overrides` applied. When given, the suite runs the rule-15 group against it. Default: none.
   */
  unreachable?(overrides?: CacheInit): Cache | Promise<Cache>
  /**
   * How many random cases each property of the fast-check group runs (the model-based check
   * runs half as many sequences). Default 20; keep it small for backends with slow round trips.
   */
  propertyRuns?: number
}

/** A clock that moves only when told: `now()` is `start` plus every `advance`. */
export class ManualClock implements Clock {
  private t: number
  /** @param start epoch ms to start at (default: the real time now) */
  constructor(start: number = Date.now()) {
    this.t = start
  }
  now(): number {
    return this.t
  }
  /** Move time forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.t += ms
  }
}

/** What a group receives. */
export interface SuiteContext {
  /** The backend's label, as given to `cacheConformanceSuite`. */
  readonly name: string
  readonly options: ConformanceOptions
  /** The short timeout in seconds (`options.shortTimeout`, default 0.2). */
  readonly short: number
  /** The running test's clock when `options.clock` is 'fake', else `undefined`. */
  readonly clock: ManualClock | undefined
  /** Make a cache on a fresh location, on the test's clock. */
  make(overrides?: CacheInit): Promise<Cache>
  /** Let `short` seconds pass: move the fake clock, or sleep `expiryWaitMs`. */
  waitOut(): Promise<void>
  /** Let `ms` milliseconds pass: move the fake clock, or sleep. */
  pass(ms: number): Promise<void>
  /** Start a test: a fresh clock when time is fake. The suite calls it before each test. */
  startTest(): void
}

/** Build the context that `cacheConformanceSuite` hands to every group. */
export function createSuiteContext(name: string, options: ConformanceOptions): SuiteContext {
  const fake = options.clock === 'fake'
  const wait = options.expiryWaitMs ?? 450
  let clock: ManualClock | undefined
  return {
    name,
    options,
    short: options.shortTimeout ?? 0.2,
    get clock() {
      return clock
    },
    async make(overrides?: CacheInit): Promise<Cache> {
      if (clock === undefined) return options.create(overrides)
      return options.create({ ...overrides, options: { ...overrides?.options, clock } })
    },
    waitOut(): Promise<void> {
      return this.pass(wait)
    },
    async pass(ms: number): Promise<void> {
      if (clock === undefined) return sleep(ms)
      clock.advance(ms)
      // Let timers and pending I/O callbacks run, as a real wait would.
      await sleep(0)
    },
    startTest(): void {
      if (fake) clock = new ManualClock()
    },
  }
}

let counter = 0
/** A key unique within this run, so tests never collide. */
export function uniqueKey(label = 'k'): string {
  counter++
  return `${label}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`
}

/** Wait `ms` milliseconds of real time. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Every entry `c.entries(opts)` yields, as an array. */
export async function collect(c: Cache, opts?: { prefix?: string; limit?: number }): Promise<EntryInfo[]> {
  const out: EntryInfo[] = []
  for await (const e of c.entries(opts)) out.push(e)
  return out
}

/** Poll `read` until it gives `want` (bounded: 100 looks, 20 ms apart); the last value read. */
export async function eventually(read: () => Promise<unknown>, want: unknown): Promise<unknown> {
  let got: unknown
  for (let i = 0; i < 100; i++) {
    got = await read()
    if (got === want) return got
    await sleep(20)
  }
  return got
}
