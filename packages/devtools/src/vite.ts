/**
 * `@cachework/devtools/vite`: the Vite plugin (`plugins: [cachework()]`). It applies only to
 * `vite dev` (`apply: 'serve'`), so nothing of devtools reaches a `vite build` output
 * (docs/contract.md §6).
 */
import { fileURLToPath } from 'node:url'
import type { Cache } from '@cachework/core'
import { inspectedCaches } from '@cachework/core/inspect'
import type { Plugin } from 'vite'
import { CacheInspector, type InspectorOptions } from './inspector.ts'
import { PROXY_PATH, serverProxy } from './node/proxy.ts'
import { isProduction, randomToken, sharedToken, sharedTokenSource } from './node/security.ts'
import { attachWsChannel } from './node/ws-channel.ts'

/** Options of the `cachework()` Vite plugin. */
export interface CacheworkDevtoolsOptions {
  /**
   * A separate Node server that mounts `devtoolsEndpoint()` from `@cachework/node`, e.g.
   * `'http://127.0.0.1:3000'`. Default: none (only the Vite process, page and worker).
   */
  server?: string
  /** More caches of the Vite process to list, besides core's `caches` and `inspectCache`d ones. */
  caches?: () => Cache[]
  /**
   * The secret shared with `server`. Default: `CACHEWORK_DEVTOOLS_TOKEN`, else the file
   * `node_modules/.cache/cachework/devtools-token` (created on first use).
   */
  serverToken?: string
  /** Keyboard shortcut toggling the panel. Default `'Alt+Shift+C'`. */
  shortcut?: string
  /** Limits of the Vite-process inspector (entries per cache, preview lengths). */
  inspector?: InspectorOptions
  /**
   * Mount the docked panel on every page. Default true; `false` when the panel should live only
   * inside TanStack Devtools (`cacheworkTanStackPlugin()`) or the Vite DevTools dock.
   */
  standalone?: boolean
}

/** The virtual module the plugin injects into served HTML. */
export const VIRTUAL_ID = 'virtual:cachework-devtools'
const RESOLVED_ID = `\0${VIRTUAL_ID}`

function clientFile(name: string): string {
  // Source checkouts run this file as .ts; the published package runs dist/*.js.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js'
  return fileURLToPath(new URL(`./client/${name}.${ext}`, import.meta.url)).replace(/\\/g, '/')
}

// A database drum in the panel's accent colour.
const DOCK_ICON = `data:image/svg+xml,${encodeURIComponent(
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#0b6e4f" stroke-width="2"><ellipse cx="12" cy="5" rx="8" ry="3"/><path d="M4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5"/><path d="M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"/></svg>',
)}`

/** A `custom-render` dock entry of Vite DevTools (structurally `@vitejs/devtools-kit`'s type). */
export interface ViteDevtoolsDockEntry {
  id: string
  title: string
  icon: string
  category: string
  type: 'custom-render'
  renderer: { importFrom: string; importName: string }
}

/** The dock entry the plugin registers with Vite DevTools (`@vitejs/devtools-kit`'s `custom-render`). */
export function viteDevtoolsDock(): ViteDevtoolsDockEntry {
  return {
    id: 'cachework',
    title: 'cachework',
    // Inline, so the dock needs no icon service (Iconify names are fetched from api.iconify.design).
    icon: DOCK_ICON,
    category: 'data',
    type: 'custom-render',
    renderer: { importFrom: `/@fs/${clientFile('vite-devtools').replace(/^\//, '')}`, importName: 'default' },
  }
}

/** The Vite plugin: in `vite dev`, adds the cachework inspector panel to every served page. */
export default function cachework(options: CacheworkDevtoolsOptions = {}): Plugin {
  let token = ''
  let active = false
  const plugin: Plugin & {
    devtools: { setup(ctx: { docks: { register(entry: ViteDevtoolsDockEntry): unknown } }): void }
  } = {
    name: 'cachework-devtools',
    // Vite DevTools (when installed) gives its plugins' `devtools.setup` a context: add the dock.
    devtools: {
      setup(ctx) {
        ctx.docks.register(viteDevtoolsDock())
      },
    },
    apply: (_config, env) => env.command === 'serve' && !env.isSsrBuild && !env.isPreview,
    configureServer(server) {
      if (isProduction()) {
        server.config.logger.warn('cachework devtools: NODE_ENV=production, the panel stays off')
        return
      }
      active = true
      // A fresh token per dev-server start; only pages served by this server learn it.
      token = randomToken()
      const inspector = new CacheInspector(() => {
        const extra = options.caches?.() ?? []
        return [...new Set([...inspectedCaches(), ...extra])]
      }, options.inspector)
      attachWsChannel(server, inspector, token)
      if (options.server) {
        const target = options.server
        let secret: string | undefined
        server.middlewares.use(
          PROXY_PATH,
          serverProxy(
            target,
            token,
            () => {
              secret ??= sharedToken(options.serverToken)
              return secret
            },
            () => sharedTokenSource(options.serverToken),
          ),
        )
      }
    },
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : undefined
    },
    load(id, opts) {
      if (id !== RESOLVED_ID) return undefined
      if (!active || opts?.ssr) return 'export {}'
      const config = {
        token,
        server: options.server ? PROXY_PATH : null,
        shortcut: options.shortcut ?? 'Alt+Shift+C',
      }
      // The config stays on globalThis for the shells (TanStack Devtools, Vite DevTools dock).
      return [
        `import { mountDevtools } from ${JSON.stringify(clientFile('index'))}`,
        `const config = { ...${JSON.stringify(config)}, hot: import.meta.hot }`,
        // Loaded twice (injected, and imported by an SSR client entry): mount once.
        'if (!globalThis.__cacheworkDevtoolsConfig) {',
        '  globalThis.__cacheworkDevtoolsConfig = config',
        "  globalThis.dispatchEvent?.(new Event('cachework-devtools:config'))",
        options.standalone === false ? '' : '  mountDevtools(config)',
        '}',
      ].join('\n')
    },
    transformIndexHtml() {
      if (!active) return []
      return [{ tag: 'script', attrs: { type: 'module', src: `/@id/${VIRTUAL_ID}` }, injectTo: 'body' }]
    },
  }
  return plugin
}
