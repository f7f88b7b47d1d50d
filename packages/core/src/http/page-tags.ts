/**
 * Tags on cached pages (docs/contract.md rule 17): `cachePage(…, { tags })` and
 * `cacheMiddleware({ tags })` store each page with tags, so `cache.invalidateTags([...])` drops
 * every page about a thing without knowing their URLs. Optionally the tags are also sent in a
 * response header for a CDN in front (`Surrogate-Key` for Fastly and others, `Cache-Tag` for
 * Cloudflare), space-separated as those CDNs read them.
 */
import { normalizeTags } from '../tags.ts'

/** The tags of a page: a fixed list, or a function of the request. */
export type PageTags = Iterable<string> | ((request: Request) => Iterable<string> | undefined)

/** Response header carrying the tags to a CDN, or `false` (default) to send none. */
export type TagHeader = 'Surrogate-Key' | 'Cache-Tag' | false

/**
 * Fastly's documented limits: a key at most 1024 bytes, the whole header at most 16384 bytes.
 * Cloudflare documents the same 16 KiB total for `Cache-Tag`. Our tags are already at most
 * 128 characters (`MAX_TAG_LENGTH`), so only the total needs a check: tags past it are left
 * out of the header (they still tag the stored page).
 */
export const MAX_TAG_HEADER_BYTES = 16_384

/** The normalised tags of `request`'s page (sorted, deduplicated); `[]` when none. */
export function pageTags(option: PageTags | undefined, request: Request): string[] {
  if (option === undefined) return []
  const tags = typeof option === 'function' ? option(request) : option
  return normalizeTags(tags ?? [])
}

/** Set `header` on `headers` to the space-separated tags that fit in `MAX_TAG_HEADER_BYTES`. */
export function writeTagHeader(
  headers: Headers,
  header: TagHeader | undefined,
  tags: readonly string[],
): void {
  if (!header || tags.length === 0) return
  const enc = new TextEncoder()
  const kept: string[] = []
  let bytes = 0
  for (const t of tags) {
    const n = enc.encode(t).byteLength + (kept.length > 0 ? 1 : 0)
    if (bytes + n > MAX_TAG_HEADER_BYTES) break
    kept.push(t)
    bytes += n
  }
  headers.set(header, kept.join(' '))
}
