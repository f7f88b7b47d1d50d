/**
 * What the browser backends (`indexeddb`, `localforage`) share across tabs: `getOrSet`
 * single-flighted within the page and under a Web Lock across the origin (docs/contract.md
 * rule 9), and leases on Web Locks (rule 16), each named after the backend's own store.
 */
import type { GetOrSetOptions, Timeout } from '@cachework/core'
import { BaseCache, CallDeadlines, leaseToken } from '@cachework/core/backend'
import {
  crossTabDefault,
  crossTabGetOrSet,
  NO_WEB_LOCKS,
  usesStampedeOptions,
  WebLockLeases,
} from './web-locks.ts'

/** A `BaseCache` whose store is shared by every tab and worker of an origin. */
export abstract class CrossTabCache extends BaseCache {
  private readonly flights = new Map<string, Promise<unknown>>()
  private webLeases?: WebLockLeases
  private deadlines?: CallDeadlines

  /** The prefix of this store's lease lock names (a raw key follows it). */
  protected abstract leaseLockPrefix(): string

  /** The name of the lock held around compute-and-`add` of `rawKey` in `getOrSet`. */
  protected abstract flightLockName(rawKey: string): string

  /** Rule 15's `timeoutMs` on one timer for all calls instead of a timer per call (core's `CallDeadlines`). */
  protected override withTimeout<T>(op: Promise<T>, what: string): Promise<T> {
    this.deadlines ??= new CallDeadlines(this.timeoutMs, `${this.backendName} cache '${this.alias}'`)
    return this.deadlines.run(op, what)
  }

  /**
   * Leases on Web Locks (rule 16): exclusive across the origin's tabs and workers, and freed by
   * the browser when the holding tab dies; where Web Locks are missing, the default `add` lease.
   */
  override async acquireLease(rawKey: string, ttlMs: number): Promise<string | undefined> {
    this.webLeases ??= new WebLockLeases(this.leaseLockPrefix())
    const got = await this.webLeases.acquire(rawKey, ttlMs, leaseToken())
    return got === NO_WEB_LOCKS ? super.acquireLease(rawKey, ttlMs) : got
  }

  /** Release a Web Lock lease (or the default one). */
  override async releaseLease(rawKey: string, token: string): Promise<void> {
    if (!this.webLeases?.release(token)) await super.releaseLease(rawKey, token)
  }

  /**
   * Rule 9 across tabs: besides the in-page single flight, the computation runs under a Web Lock
   * named after the store and key, and the cache is read again once the lock is held, so tabs of
   * one origin racing on a miss run the factory once in total.
   */
  override async getOrSet<T>(
    key: string,
    defaultValue: T | (() => T | Promise<T>),
    timeout?: Timeout,
    opts?: GetOrSetOptions,
  ): Promise<T> {
    // The stampede options (docs/contract.md rule 16) take core's path, on this backend's leases.
    if (usesStampedeOptions(opts)) return super.getOrSet(key, defaultValue, timeout, crossTabDefault(opts))
    const raw = this.rawKey(key, opts?.version)
    return crossTabGetOrSet(
      this,
      (k, o) => this.getQuietly(k, o),
      this.flights,
      this.flightLockName(raw),
      raw,
      key,
      defaultValue,
      timeout,
      opts,
    )
  }
}
