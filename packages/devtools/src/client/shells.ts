/**
 * The panel inside other devtools shells, in `vite dev` only (the plugin's virtual module sets
 * `globalThis.__cacheworkDevtoolsConfig`; production builds have neither):
 *
 * - TanStack Devtools: `new TanStackDevtoolsCore({ plugins: [cacheworkTanStackPlugin()] })`
 *   (`@tanstack/devtools`'s plugin shape: `{ id, name, render(el), destroy() }`);
 * - Vite DevTools: the plugin registers a `custom-render` dock whose renderer is
 *   `vite-devtools.ts` (`@vitejs/devtools-kit`'s `dom:panel:mounted` event).
 *
 * Both mount the same panel, embedded: it fills the shell's container instead of docking.
 */
import { type DevtoolsHandle, type MountOptions, mountDevtools } from './index.ts'

/** The plugin object TanStack Devtools expects (structurally `TanStackDevtoolsPlugin`). */
export interface TanStackPlugin {
  id: string
  name: string
  defaultOpen?: boolean
  render(el: HTMLDivElement, props?: unknown): void
  destroy?(pluginId: string): void
}

/** The Vite plugin's settings for this page, or none outside `vite dev` with the plugin. */
export function devtoolsConfig(): MountOptions {
  return { ...(globalThis.__cacheworkDevtoolsConfig ?? {}) }
}

/**
 * Run `fn` once the plugin's virtual module has set the config (at once when it has; a shell
 * may render before the module, injected at the end of `<body>`, has run).
 */
export function whenConfigured(fn: () => void): void {
  if (globalThis.__cacheworkDevtoolsConfig || typeof window === 'undefined') fn()
  else window.addEventListener('cachework-devtools:config', () => fn(), { once: true })
}

/** Mount the panel into a shell's container; the handle unmounts it. */
export function mountInto(target: HTMLElement, options: MountOptions = {}): DevtoolsHandle {
  return mountDevtools({ ...devtoolsConfig(), ...options, target })
}

/**
 * The cachework panel as a TanStack Devtools plugin. `options` add to (or replace) what the
 * Vite plugin configured (token, server proxy, Vite channel).
 */
export function cacheworkTanStackPlugin(
  options: MountOptions & { defaultOpen?: boolean } = {},
): TanStackPlugin {
  let handle: DevtoolsHandle | undefined
  const { defaultOpen, ...mount } = options
  const plugin: TanStackPlugin = {
    id: 'cachework',
    name: 'cachework',
    render(el) {
      whenConfigured(() => {
        handle?.unmount()
        handle = mountInto(el, mount)
        handle.panel.host.dataset.shell = 'tanstack'
      })
    },
    destroy() {
      handle?.unmount()
      handle = undefined
    },
  }
  if (defaultOpen !== undefined) plugin.defaultOpen = defaultOpen
  return plugin
}
