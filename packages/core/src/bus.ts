/**
 * The invalidation bus of the `tiered` backend (docs/contract.md rule 18): after a write, delete
 * or tag invalidation, every other process or tab drops its L1 copy of the keys named. Messages
 * carry raw keys only, never values (as bentocache's bus), so nothing cached travels on it.
 *
 * A bus that loses its connection loses the messages sent meanwhile (Redis pub/sub keeps no
 * backlog), so it reports each reconnection and the tiered cache then empties its L1.
 */

/** One bus message: raw keys to drop from L1, or `clear` for all of it. */
export interface BusMessage {
  /** The sending tiered cache's id; a cache ignores its own messages. */
  from: string
  keys?: string[]
  clear?: boolean
}

/** What a tiered cache needs from a bus. */
export interface CacheBus {
  /** Send a message to every other subscriber of the channel; never throws, never waits for delivery. */
  publish(message: BusMessage): void
  /**
   * Receive messages; `onReconnect` runs after the bus was disconnected and is connected again
   * (messages may have been lost). Returns the unsubscribe function.
   */
  subscribe(onMessage: (message: BusMessage) => void, onReconnect: () => void): () => void
  /** Release connections. */
  close(): Promise<void>
}

/** Makes a bus from the config's `bus` object (`{ type, …options }`) for a channel. */
export type BusFactory = (options: Record<string, unknown>, channel: string) => CacheBus

const factories = new Map<string, BusFactory>()

/** Register a bus type for configs: `'broadcast'` (core) and `'redis'` (`@cachework/node`). */
export function registerBus(type: string, factory: BusFactory): void {
  factories.set(type, factory)
}

/** The factory registered for `type`, if any. */
export function busFactory(type: string): BusFactory | undefined {
  return factories.get(type)
}

/** Whether `v` is a message this module sends (anything else on the channel is ignored). */
export function isBusMessage(v: unknown): v is BusMessage {
  if (typeof v !== 'object' || v === null) return false
  const m = v as Record<string, unknown>
  if (typeof m.from !== 'string') return false
  if (m.keys !== undefined && !(Array.isArray(m.keys) && m.keys.every((k) => typeof k === 'string')))
    return false
  return m.clear === undefined || typeof m.clear === 'boolean'
}

interface ChannelLike {
  postMessage(m: unknown): void
  close(): void
  onmessage: ((e: { data: unknown }) => void) | null
}

/**
 * A bus over `BroadcastChannel`: between the tabs, workers and service worker of one origin in
 * a browser, or the worker threads of one Node process. It never disconnects.
 */
export class BroadcastChannelBus implements CacheBus {
  private channel: ChannelLike | undefined
  private readonly listeners = new Set<(m: BusMessage) => void>()

  /** `name`: the channel name (default `'cachework:tiered'`). */
  constructor(private readonly name = 'cachework:tiered') {}

  private open(): ChannelLike {
    if (this.channel) return this.channel
    const BC = (globalThis as { BroadcastChannel?: new (n: string) => ChannelLike }).BroadcastChannel
    if (!BC) throw new TypeError('BroadcastChannel is not available here: use another bus, or none')
    const ch = new BC(this.name)
    ch.onmessage = (e) => {
      if (!isBusMessage(e.data)) return
      for (const l of this.listeners) l(e.data)
    }
    this.channel = ch
    return ch
  }

  publish(message: BusMessage): void {
    try {
      this.open().postMessage(message)
    } catch {
      // A closed channel: nothing to tell.
    }
  }

  subscribe(onMessage: (message: BusMessage) => void): () => void {
    this.open()
    this.listeners.add(onMessage)
    return () => this.listeners.delete(onMessage)
  }

  async close(): Promise<void> {
    this.channel?.close()
    this.channel = undefined
  }
}
