/**
 * RFC 9111 (HTTP Caching) in one place, for the service worker (a private cache) and the
 * server's `mode: 'shared'` (a shared cache): Cache-Control, dates, freshness and age,
 * storability, validation, reuse and ranges.
 */
export { parseHttpDateStrict, type DateOptions } from './dates.ts'
export {
  type Directives,
  directiveFields,
  directiveSeconds,
  MAX_DELTA_SECONDS,
  parseDirectives,
  splitList,
} from './directives.ts'
export {
  currentAge,
  dateOf,
  type Evaluation,
  evaluate,
  type FreshnessPolicy,
  freshnessLifetime,
  HEURISTIC_STATUSES,
  type HeaderList,
  headerValue,
  heuristicLifetime,
  parseAge,
  responseDirectives,
  type StoredMessage,
  type StoredTiming,
} from './freshness.ts'
export { type ByteRange, parseRange, rangeAnswer } from './range.ts'
export { isStorable, type StorableRequest } from './storable.ts'
export {
  conditionalHeaders,
  fieldsToOmit,
  HOP_BY_HOP,
  KEEP_ON_304,
  mergeNotModified,
  withoutFields,
} from './validation.ts'
export { varyNames, varyValues } from './vary.ts'
