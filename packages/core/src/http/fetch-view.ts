/**
 * The `RequestView` of a Fetch `Request` for an adapter's direct hit path (Hono): the URL
 * exactly as `absoluteUri` spells it for the `Request` itself, so the hit and core's store path
 * key alike (docs/contract.md rule 20), once the host passed the engine's check.
 */
import { parseFetchUrl } from './fetch-url.ts'
import { isAcceptableUrlHost } from './hosts.ts'
import { absoluteUri } from './keys.ts'
import { boundView, type RequestView } from './request-view.ts'

/** Views of Fetch `Request`s for one set of allowed hosts (an engine's `allowedHosts`). */
export class FetchRequestViews {
  // No memo of URLs (issue 19): a one-entry "last URL" memo only helped when consecutive
  // requests shared one URL, and a site of many URLs paid its comparison and stores on every
  // request. Each request's URL is worked out afresh.

  /** Views checked against `allowedHosts` (Django's `ALLOWED_HOSTS`; default any well-formed host). */
  constructor(private readonly allowedHosts: readonly string[] | undefined) {}

  /**
   * The view of `request`, or `undefined` when its host must be answered 400 (rule 20).
   * `host`: `request.headers.get('host')` when the adapter has it already (default: read here).
   */
  view(request: Request, host: string | null = request.headers.get('host')): RequestView | undefined {
    // One parse of the URL for the host check and the key (`isAcceptableRequestHost`, then
    // `absoluteUri`, which a view bound to the request overrides).
    const url = parseFetchUrl(request.url)
    if (!isAcceptableUrlHost(url, host, this.allowedHosts)) return undefined
    return new FetchRequestView(request, boundView(request) === undefined ? url.uri : absoluteUri(request))
  }
}

/**
 * The view of a Fetch `Request` keyed by `url`, with `url` in its two parts when the adapter has
 * them apart (`origin + target === url`, see `RequestView`). A class, so a hit allocates one
 * object and no closures.
 */
export class FetchRequestView implements RequestView {
  readonly method: string

  constructor(
    private readonly request: Request,
    readonly url: string,
    readonly origin: string | undefined = undefined,
    readonly target: string | undefined = undefined,
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
