/**
 * Registers the service-worker response cache (src/sw.ts) and shows in the footer whether the
 * page is online and controlled by the worker.
 */
import { registerResponseCache } from '@cachework/browser'

function show(text: string): void {
  const status = document.getElementById('offline-status')
  if (status) status.textContent = text
}

function describe(controlled: boolean): string {
  const net = navigator.onLine ? 'online' : 'offline'
  return controlled
    ? `${net} · pages and /api answers you have seen are kept by the service worker (IndexedDB "courier-sw")`
    : `${net} · the service worker does not control this page yet`
}

/** Register the worker (the server names its URL: Vite's /src/sw.ts, or the built /sw.js), scope /. */
export async function startOfflineCache(): Promise<void> {
  if (!('serviceWorker' in navigator)) {
    show('This browser has no service workers: nothing is kept for offline use.')
    return
  }
  try {
    const url = document.documentElement.dataset.swUrl || '/src/sw.ts'
    const handle = await registerResponseCache(url, { scope: '/', type: 'module' })
    const update = () => show(describe(handle.controlled))
    update()
    document.documentElement.dataset.swReady = 'true'
    window.addEventListener('online', update)
    window.addEventListener('offline', update)
  } catch (e) {
    show(`Service worker not registered: ${(e as Error).message}`)
  }
}
