/**
 * The wire format every devtools channel speaks (Vite's WebSocket, the HTTP endpoint of a
 * separate Node server, the page itself, the service worker). JSON only: values travel as
 * text previews made by `formatValue` and typed trees made by `describeValue`, never as code.
 */
import type { CacheStats } from './events.ts'
import type { ValueNode } from './value-tree.ts'

/** One cache as the panel sees it; `id` is unique within its source. */
export interface WireCache {
  id: string
  alias: string
  backend: string
  stats: CacheStats
  /** True when the backend can invalidate tags (`invalidateTags`). */
  tags?: boolean
}

/** What a stored page (the response cache's value) stands for, shown instead of its hashed key. */
export interface WireHttpSummary {
  status: number
  url?: string
  method?: string
  /** Epoch ms it was stored. */
  storedAt: number
  /** The response's `Vary` header, when it has one. */
  vary?: string
  /** `max-age` / `s-maxage` of the stored response, in seconds. */
  maxAge?: number
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
  /** For stored pages: what the hashed key stands for. */
  http?: WireHttpSummary
  /** For a page cache's learned header list: the headers the page varies on. */
  headerList?: string[]
  /** Tags of the entry, where the backend keeps them. */
  tags?: string[]
  /**
   * `EntryInfo.state` (docs/contract.md rule 16): `fresh`, `stale` (soft-expired, served under
   * staleWhileRevalidate / staleIfError), `refreshing` (its source process recomputes it now) or
   * `leased` (a lease item: someone computes `key`).
   */
  state?: 'fresh' | 'stale' | 'refreshing' | 'leased'
  /** End of the fresh lifetime (epoch ms) of an entry stored with metadata. */
  softExpiresAt?: number
  /** For `leased`: who holds the lease (`pid<pid>-…` in Node, `page-…` in a browser). */
  leaseHolder?: string
}

/** What `list` answers. `truncated` is true when a cache held more than the limit. */
export interface Snapshot {
  caches: WireCache[]
  entries: WireEntry[]
  truncated?: boolean
}

/** A stored HTTP response in full, for the entry view. */
export interface WireHttp {
  status: number
  statusText: string
  headers: Array<[string, string]>
  storedAt: number
  url?: string
  method?: string
  size: number
  /** The body as UTF-8 text (first 256 KiB), or null when it is not text. */
  text: string | null
  /** Images (first 512 KiB): the body in base64, for a preview. */
  base64?: string
}

/** What `value` answers. */
export interface WireValue {
  /** The value pretty-printed (`formatValue`), or null when the entry is gone. */
  text: string | null
  /** The value as a typed tree. */
  tree?: ValueNode
  /** Bytes of the value (the list leaves sizes out where measuring costs an encoding). */
  size?: number
  /** The value as JSON, when it survives JSON unchanged (then `edit` may rewrite it). */
  json?: string
  /** For stored pages: status, headers and body. */
  http?: WireHttp
}

/** One cache event as it crosses the wire (rule 13's `CacheEvent` minus `error`). */
export interface WireEvent {
  /** Cache id; `''` for page-cache decisions whose cache is not listed. */
  cache: string
  /** A cache event type, or `page:hit` / `page:miss` / `page:store` / `page:not-stored`. */
  type: string
  key?: string
  rawKey?: string
  version?: number
  at: number
  message?: string
  /** Page-cache decisions: method + URL, status, and why a response was not stored. */
  url?: string
  status?: number
  reason?: string
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
  /** Extend the entry's lifetime: `timeout` seconds from now (null: never expires). */
  | { op: 'touch'; cache: string; key: string; version?: number; timeout: number | null }
  /** Replace a JSON-representable value, keeping its expiry. */
  | { op: 'edit'; cache: string; key: string; version?: number; json: string }
  | { op: 'invalidateTags'; cache: string; tags: string[] }

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
