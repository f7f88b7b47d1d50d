/**
 * `@cachework/node`: a convenience entry that registers the `memcached`, `db`, `file` and `redis`
 * backends (and the `redis` bus of the `tiered` backend) and re-exports the memcached, db, file, redis, http and nunjucks entries. Each concern has an entry of its own, which loads
 * only what it needs (no native module unless it is the `db` backend's, and only on first use):
 * `@cachework/node/memcached`, `/db`, `/file`, `/redis`, `/http` (node:http, Connect, Express), `/nunjucks`,
 * `/fastify`, `/koa`, `/devtools` (not re-exported here: it needs `@cachework/devtools`). better-sqlite3 (db),
 * redis and nunjucks (the template tag) are optional peer dependencies, loaded on first use.
 */
export {
  type CacheModel,
  type CacheRouter,
  DatabaseCache,
  type DatabaseOptions,
  type TableReport,
} from './db.ts'
export { FileBasedCache, type FileOptions } from './file.ts'
export {
  absoluteUrl,
  type Apply,
  cacheControl,
  cacheMiddleware,
  cachePage,
  captureResponse,
  decorator,
  fetchFromCacheMiddleware,
  fetchHeaderValue,
  neverCache,
  type NextFunction,
  type NodeCacheMiddlewareOptions,
  type NodeCacheOptions,
  type NodeCachePageOptions,
  type NodeDecorator,
  type NodeHandler,
  NodePageCache,
  nodeRequestView,
  type RequestTrustOptions,
  toFetchRequest,
  updateCacheMiddleware,
  varyOnCookie,
  varyOnHeaders,
} from './http.ts'
export { MemcachedCache, type MemcachedOptions } from './memcached.ts'
export {
  type CacheTagOptions,
  installCacheTag,
  type NunjucksEnvironment,
  SyncRenderError,
  TemplateSyntaxError,
} from './nunjucks.ts'
export { RedisCache, type RedisOptions, type RedisTlsOptions } from './redis.ts'
export { RedisBus, type RedisBusOptions } from './redis-bus.ts'
export {
  condition,
  etag,
  lastModified,
  type NodeConditionOptions,
  type NodeValidatorFn,
} from './http-conditional.ts'
