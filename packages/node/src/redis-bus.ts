/**
 * The tiered backend's bus on Redis pub/sub (docs/contract.md rule 18): one publishing and one
 * subscribed connection (node-redis, the optional `redis` peer, loaded on first use). Messages
 * are JSON `{ from, keys }` or `{ from, clear }`: raw keys, never values.
 *
 * Pub/sub keeps no backlog: a subscriber that was disconnected has missed whatever was sent
 * meanwhile, so every reconnection after the first connect is reported (`onReconnect`) and the
 * tiered cache empties its L1. Publishing never waits: with the server away a message is
 * dropped (the offline queue is off), since every subscriber flushes when it is back anyway.
 */
import {
  type BusMessage,
  type CacheBus,
  ImproperlyConfigured,
  isBusMessage,
  registerBus,
} from '@cachework/core'

/** Options of `RedisBus`. */
export interface RedisBusOptions {
  /** `redis://host:port[/db]`. Default `redis://127.0.0.1:6379`. */
  url?: string
  /** The pub/sub channel. Default `'cachework:tiered'` (the tiered cache passes its own). */
  channel?: string
  /** Longest wait between reconnection attempts, ms. Default 1000. */
  maxReconnectDelayMs?: number
}

interface Client {
  isOpen: boolean
  connect(): Promise<unknown>
  destroy(): void
  publish(channel: string, message: string): Promise<unknown>
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>
  on(event: string, fn: (...a: unknown[]) => void): unknown
}

/** A `CacheBus` over Redis pub/sub. */
export class RedisBus implements CacheBus {
  private pub: Client | undefined
  private sub: Client | undefined
  private opening: Promise<void> | undefined
  private readonly listeners = new Set<(m: BusMessage) => void>()
  private readonly reconnects = new Set<() => void>()
  private connectedOnce = false
  private lost = false
  private closed = false
  readonly channel: string

  constructor(private readonly options: RedisBusOptions = {}) {
    this.channel = options.channel ?? 'cachework:tiered'
  }

  private async open(): Promise<void> {
    let redis: { createClient(o: unknown): Client }
    try {
      redis = (await import('redis')) as unknown as typeof redis
    } catch (e) {
      throw new ImproperlyConfigured(
        `the redis bus needs the 'redis' package: npm install redis (${(e as Error).message})`,
      )
    }
    const max = this.options.maxReconnectDelayMs ?? 1000
    const make = () =>
      redis.createClient({
        url: this.options.url ?? 'redis://127.0.0.1:6379',
        disableOfflineQueue: true,
        socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, max) },
      })
    const pub = make()
    const sub = make()
    // node-redis emits 'error' on every failed attempt; an unhandled one would crash the process.
    pub.on('error', () => {})
    sub.on('error', () => {
      this.lost = true
    })
    sub.on('end', () => {
      this.lost = true
    })
    sub.on('reconnecting', () => {
      this.lost = true
    })
    sub.on('ready', () => {
      if (this.connectedOnce && this.lost) for (const r of this.reconnects) r()
      this.connectedOnce = true
      this.lost = false
    })
    this.pub = pub
    this.sub = sub
    await Promise.all([pub.connect(), sub.connect()])
    await sub.subscribe(this.channel, (text) => {
      let m: unknown
      try {
        m = JSON.parse(text)
      } catch {
        return
      }
      if (isBusMessage(m)) for (const l of this.listeners) l(m)
    })
  }

  /** Connect (once); later calls wait for the same connection. */
  ready(): Promise<void> {
    this.closed = false
    this.opening ??= this.open().catch((e) => {
      this.opening = undefined
      throw e
    })
    return this.opening
  }

  publish(message: BusMessage): void {
    void this.ready()
      .then(() => this.pub?.publish(this.channel, JSON.stringify(message)))
      .catch(() => {
        // Server away: the message is lost, and every subscriber flushes L1 when it is back.
      })
  }

  subscribe(onMessage: (message: BusMessage) => void, onReconnect: () => void): () => void {
    this.listeners.add(onMessage)
    this.reconnects.add(onReconnect)
    void this.ready().catch(() => {
      // First connect failed: node-redis keeps retrying; the first 'ready' after that counts
      // as a reconnect only if a connection was lost, so mark it.
      this.lost = true
    })
    return () => {
      this.listeners.delete(onMessage)
      this.reconnects.delete(onReconnect)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const clients = [this.pub, this.sub]
    this.pub = this.sub = undefined
    this.opening = undefined
    this.connectedOnce = false
    for (const c of clients) {
      if (!c) continue
      // destroy, not close: close waits for replies a dead server never sends.
      c.destroy()
    }
  }
}

registerBus('redis', (o, channel) => {
  const opts: RedisBusOptions = { channel: typeof o.channel === 'string' ? o.channel : channel }
  if (typeof o.url === 'string') opts.url = o.url
  if (typeof o.maxReconnectDelayMs === 'number') opts.maxReconnectDelayMs = o.maxReconnectDelayMs
  return new RedisBus(opts)
})
