/** The inspector of every in-process channel; one implementation, in `@cachework/core`. */
export { CacheInspector, InspectorError, type InspectorOptions } from '@cachework/core/inspect'
