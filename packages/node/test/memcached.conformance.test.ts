/**
 * The shared conformance suite (docs/contract.md §2) against one real memcached process of its own, so
 * the suite's `clear()` (flush_all) cannot wipe other test files' keys.
 */
import { memcachedConformanceSuite } from './support/memcached-conformance.ts'

memcachedConformanceSuite('memcached', 1)
