/**
 * `@cachework/node`: memcached, SQLite and file backends, node:http/Express/Connect middleware,
 * the Nunjucks `{% cache %}` tag and the devtools endpoint. Importing this entry registers the
 * `memcached`, `db`, `file` and `redis` backends and the `redis` bus of the `tiered` backend (`redis` loads the optional `redis` package on first use).
 */
export * from './db.ts'
export * from './devtools-endpoint.ts'
export * from './file.ts'
export * from './http.ts'
export {
  condition,
  etag,
  lastModified,
  type NodeConditionOptions,
  type NodeValidatorFn,
} from './http-conditional.ts'
export * from './memcached.ts'
export * from './nunjucks.ts'
export { RedisCache } from './redis.ts'
export { RedisBus, type RedisBusOptions } from './redis-bus.ts'
