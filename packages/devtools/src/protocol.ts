/**
 * The wire format every devtools channel speaks (Vite's WebSocket, the HTTP endpoint of a
 * separate Node server, the page itself, the service worker). JSON only: values travel as
 * text previews made by `formatValue`, never as code.
 */
import type { CacheStats } from '@cachework/core'

/** One cache as the panel sees it; `id` is unique within its source. */
export interface WireCache {
  id: string
  alias: string
  backend: string
  stats: CacheStats
}

/** One live entry. `preview` is a one-line, length-capped rendering of the value. */
export interface WireEntry {
  cache: string
  rawKey: string
  key?: string
  version?: number
  /** Epoch ms, or null for never. */
  expiresAt: number | null
  size?: number
  preview: string
}

/** What `list` answers. `truncated` is true when a cache held more than the limit. */
export interface Snapshot {
  caches: WireCache[]
  entries: WireEntry[]
  truncated?: boolean
}

/** One cache event as it crosses the wire (docs/contract.md rule 13's `CacheEvent` minus `error`). */
export interface WireEvent {
  cache: string
  type: string
  key?: string
  rawKey?: string
  version?: number
  at: number
}

/** What a live subscription delivers, batched: new events and the current counters. */
export interface EventBatch {
  events: WireEvent[]
  stats: Record<string, CacheStats>
}

/** The operations a source answers. */
export type Op =
  | { op: 'list' }
  | { op: 'value'; cache: string; rawKey: string }
  | { op: 'delete'; cache: string; key: string; version?: number }
  | { op: 'clear'; cache: string }
  | { op: 'bump'; cache: string; key: string; version?: number }

/** Name of the header carrying the token on HTTP channels. */
export const TOKEN_HEADER = 'x-cachework-token'

/** Vite WebSocket event names (`import.meta.hot.send` / `server.ws.on`). */
export const WS_EVENTS = {
  request: 'cachework:request',
  response: 'cachework:response',
  subscribe: 'cachework:subscribe',
  unsubscribe: 'cachework:unsubscribe',
  events: 'cachework:events',
} as const
