/**
 * The wire format every devtools channel speaks; defined in core (`inspector-protocol.ts`) so
 * that `devtoolsEndpoint()` in `@cachework/node` and this package share one copy.
 */
export {
  type EventBatch,
  type InspectorOp as Op,
  type InspectorSnapshot as Snapshot,
  TOKEN_HEADER,
  type WireCache,
  type WireEntry,
  type WireEvent,
  type WireHttp,
  type WireHttpSummary,
  type WireValue,
  WS_EVENTS,
} from '@cachework/core/inspect'
