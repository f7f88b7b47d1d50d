/**
 * Page side of the service-worker response cache: register the worker, wait until it controls
 * the page, and talk to it with the `cachework:*` message protocol (docs/service-worker.md).
 */
import type { EngineStats } from './sw/engine.ts'
import type { MessageReply, SwMessage } from './sw/messages.ts'
import type { SwEntryInfo } from './sw/store.ts'

/** Options of `registerResponseCache`. */
export interface RegisterOptions {
  /** The worker's scope. Default: the browser's (the script's directory). */
  scope?: string
  /** `'module'` for an ES-module worker (what Vite serves and builds). Default `'module'`. */
  type?: 'classic' | 'module'
  /** Give up waiting for activation/control after this many ms. Default 30000. */
  timeoutMs?: number
}

/** What `registerResponseCache` resolves with. */
export interface ResponseCacheHandle {
  registration: ServiceWorkerRegistration
  /** Whether the worker controls this page (false when the page is outside `scope`). */
  readonly controlled: boolean
  /** The worker's stored variants. */
  list(): Promise<SwEntryInfo[]>
  /** How the worker answered requests since it started (hits, misses, revalidations…). */
  stats(): Promise<EngineStats | undefined>
  /** One stored variant's status, headers and body text (UTF-8, up to 64 KiB), or `null`. */
  value(key: string): Promise<MessageReply['value']>
  /** Delete one entry (a `key` from `list`) or every variant of a URL; resolves with how many went. */
  delete(keyOrUrl: string): Promise<number>
  /** Delete every entry the worker stored. */
  clear(): Promise<number>
  /** Unregister the worker (its stored entries stay in IndexedDB). */
  unregister(): Promise<boolean>
}

/** The error `registerResponseCache` rejects with; `code` is stable. */
export class ServiceWorkerUnavailableError extends Error {
  readonly code = 'SERVICE_WORKER_UNAVAILABLE'
  override readonly name = 'ServiceWorkerUnavailableError'
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new ServiceWorkerUnavailableError(`${what} did not happen within ${ms} ms`)),
      ms,
    )
    p.then(resolve, reject).finally(() => clearTimeout(t))
  })
}

function activated(reg: ServiceWorkerRegistration): Promise<ServiceWorker> {
  return new Promise((resolve) => {
    const check = (): boolean => {
      // An already active worker is enough: a newer version waiting behind it may never activate
      // (a worker without skipWaiting), and the active one answers requests meanwhile.
      if (reg.active && reg.active.state === 'activated') {
        resolve(reg.active)
        return true
      }
      return false
    }
    if (check()) return
    const sw = reg.installing ?? reg.waiting ?? reg.active
    sw?.addEventListener('statechange', () => check())
    reg.addEventListener('updatefound', () => reg.installing?.addEventListener('statechange', () => check()))
  })
}

function inScope(reg: ServiceWorkerRegistration): boolean {
  return location.href.startsWith(reg.scope)
}

/**
 * Register the response-cache worker at `url` and resolve once it is active and, when this page
 * is inside its scope, controls the page: the worker claims clients on activation, so even the
 * first load is controlled, and an uncontrolled page of an already active worker (a hard reload)
 * asks it to claim with `cachework:claim`. If control does not come within `timeoutMs` (a worker
 * installed with `claim: false`), it resolves with `controlled` false. Rejects with
 * `ServiceWorkerUnavailableError` when the browser has no service workers (e.g. not a secure
 * context), refuses the script (a wrong MIME type, a 404, a parse error; the browser's reason is
 * in the message and `cause`) or the worker does not activate within `timeoutMs`.
 */
export async function registerResponseCache(
  url: string,
  options: RegisterOptions = {},
): Promise<ResponseCacheHandle> {
  const container = typeof navigator === 'undefined' ? undefined : navigator.serviceWorker
  if (!container) {
    throw new ServiceWorkerUnavailableError(
      'Service workers are unavailable here: serve the page over https or from http://127.0.0.1',
    )
  }
  const timeoutMs = options.timeoutMs ?? 30_000
  const init: RegistrationOptions = { type: options.type ?? 'module' }
  if (options.scope !== undefined) init.scope = options.scope
  let registration: ServiceWorkerRegistration
  try {
    registration = await container.register(url, init)
  } catch (e) {
    // The browser rejects with a DOMException (SecurityError: a script served with a MIME type
    // other than JavaScript, or outside the allowed scope) or a TypeError (a 404, a network
    // failure, a script that does not parse): one error class for all, with the browser's reason.
    const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e)
    throw new ServiceWorkerUnavailableError(
      `Could not register the service worker '${url}' (${reason}). Serve it as JavaScript (Content-Type: text/javascript) from this origin, inside the scope it claims`,
      { cause: e },
    )
  }
  const worker = await withTimeout(activated(registration), timeoutMs, 'service worker activation')
  if (inScope(registration) && container.controller === null) {
    const control = new Promise<void>((resolve) => {
      container.addEventListener('controllerchange', () => resolve(), { once: true })
    })
    // Without a reply port: the worker claims, and the controllerchange is the answer.
    worker.postMessage({ type: 'cachework:claim' } satisfies SwMessage)
    await withTimeout(control, timeoutMs, 'service worker control of this page').catch(() => undefined)
  }

  const ask = (msg: SwMessage): Promise<MessageReply> =>
    withTimeout(
      new Promise<MessageReply>((resolve) => {
        const channel = new MessageChannel()
        channel.port1.onmessage = (e: MessageEvent<MessageReply>) => {
          channel.port1.close()
          resolve(e.data)
        }
        ;(registration.active ?? worker).postMessage(msg, [channel.port2])
      }),
      timeoutMs,
      `service worker answer to ${msg.type}`,
    ).then((r) => {
      if (r.error !== undefined) throw new Error(`service worker: ${r.error}`)
      return r
    })

  return {
    registration,
    get controlled() {
      return container.controller !== null && inScope(registration)
    },
    list: async () => (await ask({ type: 'cachework:list' })).entries ?? [],
    stats: async () => (await ask({ type: 'cachework:list' })).stats,
    value: async (key) => (await ask({ type: 'cachework:value', key })).value ?? null,
    delete: async (key) => (await ask({ type: 'cachework:delete', key })).deleted ?? 0,
    clear: async () => (await ask({ type: 'cachework:clear' })).deleted ?? 0,
    unregister: () => registration.unregister(),
  }
}
