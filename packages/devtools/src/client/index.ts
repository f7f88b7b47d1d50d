/**
 * `@cachework/devtools/client`: the inspector panel. The Vite plugin's virtual module calls
 * `mountDevtools` in `vite dev`; it can also be mounted by hand (tests, other dev servers).
 */
import type { Cache } from '@cachework/core'
import { Panel, type PanelOptions } from './panel.ts'
import {
  type HotChannel,
  HttpSource,
  PageSource,
  ServiceWorkerSource,
  type Source,
  ViteSource,
} from './sources.ts'

export type {
  EventBatch,
  InspectorOp as Op,
  InspectorSnapshot as Snapshot,
  WireCache,
  WireEntry,
  WireEvent,
} from '@cachework/core/inspect'
export { Panel, type PanelOptions } from './panel.ts'
export type { HotChannel, Source } from './sources.ts'
export { HttpSource, PageSource, ServiceWorkerSource, ViteSource } from './sources.ts'

/** Options of `mountDevtools`. */
export interface MountOptions {
  /** The page token the plugin generated; needed for the Vite and server sources. */
  token?: string
  /** `import.meta.hot` of the injected module: enables the Vite-process source. */
  hot?: HotChannel | undefined
  /** Path of the server proxy on the dev server (`/__cachework/server`), or null for none. */
  server?: string | null
  /** Keyboard shortcut toggling the panel. Default `'Alt+Shift+C'`. */
  shortcut?: string
  /** Include the service worker's response cache. Default: when the browser has service workers. */
  serviceWorker?: boolean
  /** More page caches to list besides core's `caches` and `inspectCache`d ones. */
  caches?: () => Cache[]
  /**
   * Mount inside this element, filling it, instead of docking over the page (how the TanStack
   * Devtools plugin and the Vite DevTools dock mount the panel). Default: none.
   */
  target?: HTMLElement
}

/** What `mountDevtools` returns. */
export interface DevtoolsHandle {
  panel: Panel
  /** Open the panel; resolves when the first list is rendered. */
  open(): Promise<void>
  close(): void
  /** Re-list every source; resolves when rendered. */
  refresh(): Promise<void>
  unmount(): void
}

/** Mount the panel into `document.body` (inside a shadow root on `<cachework-devtools>`). */
export function mountDevtools(options: MountOptions = {}): DevtoolsHandle {
  const sources: Source[] = []
  const token = options.token ?? ''
  if (options.hot) sources.push(new ViteSource(options.hot, token))
  if (options.server) sources.push(new HttpSource(options.server, token, 'server'))
  sources.push(new PageSource(options.caches))
  const sw = options.serviceWorker ?? (typeof navigator !== 'undefined' && 'serviceWorker' in navigator)
  if (sw) sources.push(new ServiceWorkerSource())
  const host = document.createElement('cachework-devtools')
  ;(options.target ?? document.body).append(host)
  const panelOpts: PanelOptions = {}
  if (options.shortcut) panelOpts.shortcut = options.shortcut
  if (options.target) panelOpts.embedded = true
  const panel = new Panel(host, sources, panelOpts)
  const handle: DevtoolsHandle = {
    panel,
    open: () => panel.open(),
    close: () => panel.close(),
    refresh: () => panel.refresh(),
    unmount: () => {
      panel.destroy()
      if (globalThis.__cacheworkDevtools === handle) globalThis.__cacheworkDevtools = undefined
    },
  }
  // Reachable from the browser console and from tests (dev only: this module never ships).
  // An embedded panel leaves the page's own panel as the console handle.
  if (!options.target || !globalThis.__cacheworkDevtools) globalThis.__cacheworkDevtools = handle
  return handle
}

/** What the Vite plugin's virtual module hands the page: the token, the server proxy, the channel. */
export type DevtoolsConfig = Pick<MountOptions, 'token' | 'hot' | 'server' | 'shortcut'>

declare global {
  /** The mounted devtools panel of this page, if any (`__cacheworkDevtools.open()` in the console). */
  var __cacheworkDevtools: DevtoolsHandle | undefined
  /** Set by the plugin's virtual module in `vite dev`: how shells (TanStack, Vite DevTools) mount the panel. */
  var __cacheworkDevtoolsConfig: DevtoolsConfig | undefined
}
