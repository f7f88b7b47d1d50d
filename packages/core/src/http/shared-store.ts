/**
 * Storing for `mode: 'shared'` (shared-cache.ts, docs/contract.md §3b): a response kept when
 * RFC 9111 §3 allows (never one that sets a cookie, rule 20), a `304` merged into the variant
 * it validates (§4.3.4), entries kept past their freshness for revalidation (`retainSeconds`),
 * and invalidation after an unsafe method (§4.4).
 */
import { freshnessLifetime, isStorable, mergeNotModified } from './rfc9111/index.ts'
import type { SharedPolicy } from './shared-policy.ts'
import {
  type SharedEntry,
  type SharedVariant,
  storedFields,
  stripFragment,
  toResponse,
  varyNames,
  varyValues,
} from './shared-variants.ts'

/** Write `entry`, kept for its freshest variant's lifetime plus `retainSeconds`; a failure is ignored. */
export async function writeEntry(p: SharedPolicy, entry: SharedEntry): Promise<void> {
  const now = p.now()
  let keep = 0
  for (const v of entry.variants) {
    const lifetime = freshnessLifetime({ ...v, headers: p.decisive(v.headers) }, p.policy())
    keep = Math.max(keep, (v.responseTime - now) / 1000 + lifetime)
  }
  try {
    await p.cache().set(p.key(entry.url), entry, Math.ceil(keep + (p.options.retainSeconds ?? 86_400)))
  } catch (error) {
    p.fail(error)
  }
}

/** Drop every stored response of `url` (RFC 9111 §4.4); failures are ignored as misses. */
export async function invalidateUrl(p: SharedPolicy, url: string): Promise<void> {
  try {
    await p.cache().delete(p.key(url))
  } catch (error) {
    p.fail(error)
  }
}

/** A `304` freshens the stored variant `v` (RFC 9111 §4.3.4) and it answers `request`. */
export async function freshen(
  p: SharedPolicy,
  request: Request,
  entry: SharedEntry,
  v: SharedVariant,
  notModified: Response,
  requestTime: number,
): Promise<Response> {
  const headers = mergeNotModified(v.headers, storedFields([...notModified.headers]))
  const vary = varyNames(headers)
  const fresh: SharedVariant = {
    ...v,
    headers,
    requestTime,
    responseTime: p.now(),
    vary,
    varyValues: varyValues(request, vary),
  }
  const others = entry.variants.filter((x) => x !== v && x.varyValues !== fresh.varyValues)
  // The 304 also stands for `v` under its own `Vary` values: keep it there, freshened too.
  const kept = v.varyValues === fresh.varyValues ? [] : [{ ...fresh, vary: v.vary, varyValues: v.varyValues }]
  await writeEntry(p, {
    ...entry,
    variants: [fresh, ...kept, ...others].slice(0, p.options.maxVariants ?? 8),
  })
  return p.serve(request, fresh, p.evaluate(fresh, request), false)
}

/** Store `response` when RFC 9111 §3 allows (GET only), and return what to send. */
export async function storeResponse(
  p: SharedPolicy,
  request: Request,
  url: string,
  response: Response,
  requestTime: number,
  entry: SharedEntry | undefined,
): Promise<Response> {
  const headers: Array<[string, string]> = [...response.headers]
  const length = Number(response.headers.get('content-length') ?? 0)
  const max = p.options.maxBodyBytes ?? 5 * 1024 * 1024
  const storable =
    request.method === 'GET' &&
    length <= max &&
    // A response that sets a cookie is never stored or replayed (docs/contract.md rule 20).
    !response.headers.has('set-cookie') &&
    isStorable(
      response.status,
      p.decisive(headers),
      {
        cacheControl: request.headers.get('cache-control'),
        authorization: request.headers.has('authorization'),
      },
      p.policy(),
    )
  if (!storable) return p.sendOn(response)
  const body = new Uint8Array(await response.arrayBuffer())
  const sent = toResponse(response.status, response.statusText, p.outgoing(headers), body)
  if (body.byteLength > max) return sent
  const vary = varyNames(headers)
  const variant: SharedVariant = {
    status: response.status,
    statusText: response.statusText,
    headers: storedFields(headers),
    body,
    requestTime,
    responseTime: p.now(),
    vary,
    varyValues: varyValues(request, vary),
  }
  const others = (entry?.variants ?? []).filter((x) => x.varyValues !== variant.varyValues)
  const variants = [variant, ...others].slice(0, p.options.maxVariants ?? 8)
  await writeEntry(p, { kind: 'cachework.shared', url, variants })
  return sent
}

/** RFC 9111 §4.4: an unsafe method's success invalidates its URL and same-host Location / Content-Location. */
export async function invalidateAfter(p: SharedPolicy, request: Request, response: Response): Promise<void> {
  const target = new URL(request.url)
  const urls = new Set([stripFragment(target.href)])
  for (const name of ['location', 'content-location']) {
    const v = response.headers.get(name)
    if (v === null) continue
    try {
      const u = new URL(v, target)
      if (u.host === target.host) urls.add(stripFragment(u.href))
    } catch {
      // Not a URL: nothing to invalidate.
    }
  }
  await Promise.all([...urls].map((u) => invalidateUrl(p, u)))
}
