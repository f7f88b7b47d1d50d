/**
 * The `RequestView` of a Fetch `Request` for an adapter's direct hit path (Hono): the URL
 * exactly as `absoluteUri` spells it for the `Request` itself, so the hit and core's store path
 * key alike (docs/contract.md rule 20), once the host passed the engine's check.
 */
import { isAcceptableRequestHost } from './hosts.ts'
import { absoluteUri } from './keys.ts'
import type { RequestView } from './request-view.ts'

/** Views of Fetch `Request`s for one set of allowed hosts (an engine's `allowedHosts`). */
export class FetchRequestViews {
  // The last request.url and its absolute URI (null: a host to answer 400). Parsing a URL twice
  // per hit (the host check, the key) is most of what a hit costs in a Fetch adapter, and a site
  // under load sees the same URL again and again. One entry, not a table: a table of URLs is
  // defeated by a larger working set (issue 19) and then costs an insert and garbage per request;
  // this costs one comparison when it misses.
  private lastUrl: string | undefined
  private lastUri: string | null = null

  /** Views checked against `allowedHosts` (Django's `ALLOWED_HOSTS`; default any well-formed host). */
  constructor(private readonly allowedHosts: readonly string[] | undefined) {}

  /** The view of `request`, or `undefined` when its host must be answered 400 (rule 20). */
  view(request: Request): RequestView | undefined {
    const raw = request.url
    let uri = this.lastUri
    if (raw !== this.lastUrl) {
      uri = isAcceptableRequestHost(request, this.allowedHosts) ? absoluteUri(request) : null
      this.lastUrl = raw
      this.lastUri = uri
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
