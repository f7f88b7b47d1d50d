/**
 * `@cachework/core/inspect`: what devtools reads (docs/contract.md rules 13 and 14, §6): the list
 * of inspected caches, the inspector that answers the panel's requests, the wire protocol's
 * types, and safe renderings of values (`describeValue`, `formatValue`).
 */
export { inspectCache, inspectedCaches, inspectSource } from './inspect.ts'
export { CacheInspector, httpSummary, httpView, InspectorError, type InspectorOptions } from './inspector.ts'
export {
  type EventBatch,
  type Op as InspectorOp,
  type Snapshot as InspectorSnapshot,
  TOKEN_HEADER,
  type WireCache,
  type WireEntry,
  type WireEvent,
  type WireHttp,
  type WireHttpSummary,
  type WireValue,
  WS_EVENTS,
} from './inspector-protocol.ts'
export { type FormatOptions, formatValue } from './preview.ts'
export { type DescribeOptions, describeValue, isJsonValue, type ValueNode } from './value-tree.ts'
