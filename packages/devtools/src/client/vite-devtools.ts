/**
 * The renderer of the cachework dock in Vite DevTools (`custom-render`, registered by the
 * plugin's `devtools.setup`): when the shell mounts the dock's panel element, the cachework
 * panel fills it (`@vitejs/devtools-kit`: `ctx.current.events.on('dom:panel:mounted', …)`).
 */
import type { DevtoolsHandle } from './index.ts'
import { mountInto, whenConfigured } from './shells.ts'

/** The part of `DevToolsClientScriptContext` the renderer uses. */
export interface DockRendererContext {
  current: {
    events: { on(event: string, fn: (panel: HTMLElement) => void): unknown }
    /** The dock's elements once the shell has mounted them (`domElements.panel` for custom-render). */
    domElements?: { panel?: HTMLElement | undefined }
  }
}

/** Vite DevTools calls this once per dock entry (`renderer.importName: 'default'`). */
export default function setup(ctx: DockRendererContext): void {
  let handle: DevtoolsHandle | undefined
  let mountedIn: HTMLElement | undefined
  const mount = (panel: HTMLElement): void => {
    if (panel === mountedIn && panel.isConnected && handle?.panel.host.isConnected) return
    mountedIn = panel
    whenConfigured(() => {
      handle?.unmount()
      handle = mountInto(panel)
      handle.panel.host.dataset.shell = 'vite-devtools'
    })
  }
  // The shell (@devframes/hub-ui) mounts the panel element while it still imports this module,
  // so on the first open `dom:panel:mounted` has already fired: use the element it set.
  const already = ctx.current.domElements?.panel
  if (already) mount(already)
  ctx.current.events.on('dom:panel:mounted', mount)
}
