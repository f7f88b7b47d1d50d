/**
 * The `RequestView` of a Fetch `Request` for an adapter's direct hit path (Hono): the URL
 * exactly as `absoluteUri` spells it for the `Request` itself, so the hit and core's store path
 * key alike (docs/contract.md rule 20), once the host passed the engine's check.
 */
import { isAcceptableRequestHost } from './hosts.ts'
import { absoluteUri } from './keys.ts'
import type { RequestView } from './request-view.ts'

// Bounded; a plain function of the URL and the allowed hosts, so there is nothing to invalidate.
const MAX_URIS = 1024

/** Views of Fetch `Request`s for one set of allowed hosts (an engine's `allowedHosts`). */
export class FetchRequestViews {
  // request.url → its absolute URI, or null for a host to answer 400. Parsing a URL twice per
  // hit (the host check, the key) is most of what a hit costs in a Fetch adapter.
  private readonly uris = new Map<string, string | null>()

  /** Views checked against `allowedHosts` (Django's `ALLOWED_HOSTS`; default any well-formed host). */
  constructor(private readonly allowedHosts: readonly string[] | undefined) {}

  /** The view of `request`, or `undefined` when its host must be answered 400 (rule 20). */
  view(request: Request): RequestView | undefined {
    const raw = request.url
    let uri = this.uris.get(raw)
    if (uri === undefined) {
      uri = isAcceptableRequestHost(request, this.allowedHosts) ? absoluteUri(request) : null
      if (this.uris.size >= MAX_URIS) this.uris.clear()
      this.uris.set(raw, uri)
    }
    return uri === null ? undefined : new FetchRequestView(request, uri)
  }
}

// A class, so a hit allocates one object and no closures.
class FetchRequestView implements RequestView {
  readonly method: string

  constructor(
    private readonly request: Request,
    readonly url: string,
  ) {
    this.method = request.method
  }

  header(name: string): string | null {
    return this.request.headers.get(name)
  }

  toRequest(): Request {
    return this.request
  }
}
