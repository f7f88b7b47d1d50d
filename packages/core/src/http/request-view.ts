/**
 * A request as page keys see it: `{ url, method, header(name) }`. Core's key functions
 * (keys.ts) take a Fetch `Request` or a view, so an adapter's hit path and core's store path
 * compute keys with one function (docs/contract.md rule 20). An adapter whose framework routes
 * on something a Fetch `Request` would rewrite (a raw path with `%2e%2e` or `\`, which WHATWG
 * URL parsing resolves as dot-segments) builds a view of what the framework routes on and binds
 * it to the `Request` it hands the engine, so every key of that request comes from the view.
 */

/** The parts of a request that page keys are made of. */
export interface RequestView {
  /** `scheme://host[:port]/path?query`, exactly as the application routes on it (no fragment). */
  readonly url: string
  /**
   * `url` in two parts, when the adapter has them apart: `origin` (`scheme://host[:port]`) and
   * `target` (`/path?query`, starting with `/`), with `url === origin + target`. A hit then finds
   * the URL's keys by them (an adapter keeps one `origin` string per host), without making and
   * hashing the whole URL. Default: none (`url` is used).
   */
  readonly origin?: string
  readonly target?: string
  /** The request method, upper case. */
  readonly method: string
  /** A request header's value as Fetch `Headers.get` gives it (occurrences joined with `, `), or `null`. */
  header(name: string): string | null
  /** The request as a Fetch `Request`, for the `i18n`/`timeZone` key options. Default: none. */
  toRequest?(): Request
}

const bound = new WeakMap<Request, RequestView>()

/** Make every page key of `request` come from `view` (see the file comment). */
export function bindRequestView(request: Request, view: RequestView): void {
  bound.set(request, view)
}

/** Whether `r` is a `RequestView` rather than a Fetch `Request`. */
export function isRequestView(r: Request | RequestView): r is RequestView {
  return typeof (r as Partial<RequestView>).header === 'function'
}

/** The view bound to a Fetch `Request`, or the view itself; `undefined` for a plain `Request`. */
export function boundView(r: Request | RequestView): RequestView | undefined {
  return isRequestView(r) ? r : bound.get(r)
}
