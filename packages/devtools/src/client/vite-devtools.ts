/**
 * The renderer of the cachework dock in Vite DevTools (`custom-render`, registered by the
 * plugin's `devtools.setup`): when the shell mounts the dock's panel element, the cachework
 * panel fills it (`@vitejs/devtools-kit`: `ctx.current.events.on('dom:panel:mounted', …)`).
 */
import type { DevtoolsHandle } from './index.ts'
import { mountInto, whenConfigured } from './shells.ts'

/** The part of `DevToolsClientScriptContext` the renderer uses. */
export interface DockRendererContext {
  current: { events: { on(event: string, fn: (panel: HTMLElement) => void): unknown } }
}

/** Vite DevTools calls this once per dock entry (`renderer.importName: 'default'`). */
export default function setup(ctx: DockRendererContext): void {
  let handle: DevtoolsHandle | undefined
  ctx.current.events.on('dom:panel:mounted', (panel) => {
    whenConfigured(() => {
      handle?.unmount()
      handle = mountInto(panel)
      handle.panel.host.dataset.shell = 'vite-devtools'
    })
  })
}
