/** The shared conformance suite (docs/contract.md §2) on one real redis-server of this file's own. */
import { redisConformanceSuite } from './support/redis-conformance.ts'

redisConformanceSuite('redis', 'single')
