/**
 * HTTP caching on Fetch API objects (docs/contract.md §3): Django's `django.utils.cache` helpers, the
 * response-cache engine, the fetch-style wrappers, and template fragment caching.
 */
export {
  DEFAULT_STREAM_AFTER_MS,
  type StoredResponse,
  isStoredResponse,
  mutableResponse,
  type ReadBody,
  readBody,
  responseFrom,
  storeResponse,
} from './body.ts'
export {
  type CacheControlDirectives,
  cacheControlNames,
  getMaxAge,
  type HeadersTarget,
  headersOf,
  parseCacheControl,
  patchCacheControl,
  splitHeaderValue,
} from './cache-control.ts'
export { conditionalResponse, notModified, parseEtags } from './conditional.ts'
export {
  applyValidators,
  type ConditionOptions,
  computeValidators,
  condition,
  etag,
  lastModified,
  preconditionStatus,
  quoteEtag,
  type ValidatorFn,
  type Validators,
  validatorsOf,
} from './conditional-views.ts'
export {
  type SharedCacheOptions,
  type SharedEntry,
  type SharedHandleOptions,
  type SharedPlan,
  SharedResponseCache,
  type SharedVariant,
} from './shared-cache.ts'
export { SharedHalfPlans } from './shared-mode.ts'
export { FORWARDED_FIELDS } from './shared-variants.ts'
export {
  DEFAULT_SURROGATE_ID,
  parseSurrogateControl,
  type SurrogateDirectives,
  surrogateCapability,
  surrogateView,
  withoutSurrogateControl,
} from './surrogate-control.ts'
// RFC 9111 (the service worker's private cache, the server's shared mode): `rfc9111.evaluate(…)`.
export * as rfc9111 from './rfc9111/index.ts'
export {
  DEFAULT_FLIGHT_WAIT_MS,
  DEFAULT_MAX_BODY_BYTES,
  type NextHandler,
  ResponseCache,
  type ResponseCacheOptions,
} from './engine.ts'
export {
  type CacheFragmentOptions,
  cacheFragment,
  type FragmentKeyOptions,
  makeTemplateFragmentKey,
} from './fragments.ts'
export {
  addNeverCacheHeaders,
  DEFAULT_CACHE_SECONDS,
  hasVaryHeader,
  httpDate,
  parseHttpDate,
  patchResponseHeaders,
  patchVaryHeaders,
} from './headers.ts'
export {
  badHostResponse,
  checkedHost,
  isAcceptableRequestHost,
  isAllowedHost,
  type SplitHost,
  splitHost,
} from './hosts.ts'
export {
  absoluteUri,
  cacheHeaderKey,
  getCacheKey,
  isHeaderList,
  type KeyOptions,
  type KeyRequest,
  learnCacheKey,
  pageCacheKey,
  varyDigest,
  varyHeaderList,
} from './keys.ts'
export { md5Hex } from './md5.ts'
export {
  hitAge,
  isConditionalRequest,
  lookupPage,
  type PageLookup,
  type PreparedPage,
  peekPage,
  preparePage,
} from './page-hit.ts'
export { bindRequestView, boundView, isRequestView, type RequestView } from './request-view.ts'
export { isServablePage } from './stored-page.ts'
export { MAX_TAG_HEADER_BYTES, type PageTags, pageTags, type TagHeader, writeTagHeader } from './page-tags.ts'
export {
  DEFAULT_PAGE_LEASE_MS,
  isErrorStatus,
  isStalePage,
  type PageStampedeOptions,
  type StalePageFields,
  staleWindows,
} from './page-stampede.ts'
export {
  type CacheMiddlewareOptions,
  type CachePageOptions,
  cacheControl,
  cacheMiddleware,
  cachePage,
  type FetchHandler,
  type FetchMiddleware,
  fetchFromCacheMiddleware,
  neverCache,
  updateCacheMiddleware,
  varyOnCookie,
  varyOnHeaders,
} from './wrappers.ts'
export {
  type NotStoredReason,
  onPageCacheReport,
  type PageCacheListener,
  type PageCacheReport,
  pageCacheReporting,
  reportPageCache,
} from './report.ts'
