/**
 * The playground's service worker: cachework's response cache for the site's pages and API, as a
 * private HTTP cache in IndexedDB (`courier-sw`). Pages and API answers that HTTP allows to be
 * stored keep working offline once seen.
 */
import { installResponseCache } from '@cachework/browser/sw'

/** Pages and the JSON API; not Vite's own modules, which change while you edit. */
function isSiteRequest(request: Request): boolean {
  const { pathname } = new URL(request.url)
  return (
    pathname === '/' ||
    pathname === '/about' ||
    pathname === '/saved' ||
    pathname.startsWith('/articles/') ||
    pathname.startsWith('/api/')
  )
}

installResponseCache({ location: 'courier-sw', match: isSiteRequest })
