/**
 * Django's `{% cache %}` template tag for Nunjucks (django/templatetags/cache.py):
 * `{% cache 500 sidebar request.user.username using="localcache" %}…{% endcache %}`.
 * Parsing follows Django's token rules; rendering goes through core's `cacheFragment`.
 */
import { CacheError, caches } from '@cachework/core'
import { cacheFragment } from '@cachework/core/http'
import { createRequire } from 'node:module'

/** A `{% cache %}` tag used or resolved wrongly; the message is Django's (django/templatetags/cache.py). */
export class TemplateSyntaxError extends CacheError {
  constructor(message: string) {
    super('ERR_CACHE_TEMPLATE_SYNTAX', message)
  }
}

/**
 * A template holding `{% cache %}` was rendered synchronously (`env.render(name, ctx)` or
 * `renderString(src, ctx)` without a callback). The tag reads and writes a cache, which is
 * asynchronous, so nunjucks' synchronous render could only return `null`: render with a callback.
 */
export class SyncRenderError extends CacheError {
  constructor(tagName: string) {
    super(
      'ERR_CACHE_TEMPLATE_SYNC_RENDER',
      `The {% ${tagName} %} tag needs nunjucks' asynchronous render: pass a callback, as in env.render(name, ctx, (err, html) => …) or env.renderString(src, ctx, (err, html) => …); the synchronous form cannot wait for the cache`,
    )
  }
}

/** Options of `installCacheTag`. */
export interface CacheTagOptions {
  /** The tag's name; default `'cache'` (its closing tag is `end<name>`). */
  tagName?: string
}

/** What `installCacheTag` needs of a Nunjucks `Environment` (so these types never name nunjucks'). */
export interface NunjucksEnvironment {
  addExtension(name: string, extension: object): unknown
}

type SafeStringClass = new (value: string) => object
type RenderFn = (this: unknown, ...args: unknown[]) => unknown
interface NunjucksModule {
  runtime: { SafeString: SafeStringClass }
  Template: { prototype: { render: RenderFn } }
}
let SafeString: SafeStringClass | undefined
/** How many synchronous (callback-less) top-level renders are on the stack right now. */
let syncRenders = 0
/** The error the tag raised inside the current synchronous render, rethrown as itself. */
let syncFailure: SyncRenderError | undefined

/** nunjucks' `runtime.SafeString`, loaded on first use (nunjucks is an optional peer dependency). */
function safeString(): SafeStringClass {
  if (SafeString === undefined) {
    let nunjucks: NunjucksModule
    try {
      nunjucks = createRequire(import.meta.url)('nunjucks') as NunjucksModule
    } catch (e) {
      throw new Error('installCacheTag needs nunjucks: run `npm install nunjucks`', { cause: e })
    }
    countSyncRenders(nunjucks)
    SafeString = nunjucks.runtime.SafeString
  }
  return SafeString
}

/**
 * Wrap `Template.prototype.render` so the tag can tell a synchronous render (no callback in
 * any position: nunjucks' `render(ctx, parentFrame, cb)`) from an asynchronous one. Every
 * `env.render`/`renderString`/`getTemplate().render` goes through it.
 */
function countSyncRenders(nunjucks: NunjucksModule): void {
  const proto = nunjucks.Template.prototype
  const original = proto.render
  proto.render = function render(this: unknown, ...args: unknown[]): unknown {
    if (args.some((a) => typeof a === 'function')) return original.apply(this, args)
    syncRenders++
    try {
      return original.apply(this, args)
    } catch (e) {
      // Nunjucks wraps it in a TemplateError that keeps only the text: throw the tag's own error.
      const own = syncFailure
      throw own ?? e
    } finally {
      syncRenders--
      if (syncRenders === 0) syncFailure = undefined
    }
  }
}

interface Token {
  type: string
  value: string
  lineno: number
  colno: number
}
interface Parser {
  nextToken(withWhitespace?: boolean): Token | null
  peekToken(): Token | null
  pushToken(tok: Token): void
  parseExpression(): unknown
  parsePostfix(node: unknown): unknown
  parseUntilBlocks(...names: string[]): unknown
  advanceAfterBlockEnd(name?: string): Token
  fail(msg: string, lineno?: number, colno?: number): never
}
interface Nodes {
  Literal: new (lineno: number, colno: number, value: unknown) => unknown
  Symbol: new (lineno: number, colno: number, value: string) => unknown
  NodeList: new (lineno: number, colno: number, children: unknown[]) => unknown
  CallExtensionAsync: new (ext: object, prop: string, args: unknown, contentArgs: unknown[]) => unknown
}
interface Lexer {
  TOKEN_BLOCK_END: string
  TOKEN_WHITESPACE: string
  TOKEN_STRING: string
  TOKEN_SYMBOL: string
  TOKEN_OPERATOR: string
}
type Callback = (err: unknown, result?: unknown) => void
type Body = (cb: (err: unknown, out?: string) => void) => void

/** Python's `int()` on a resolved timeout: ints, floats (truncated), integer strings, booleans. */
function toIntTimeout(v: unknown): number | null {
  if (v === null) return null // Django: None caches forever.
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v)
  if (typeof v === 'string' && /^\s*[+-]?\d+\s*$/.test(v)) return Number.parseInt(v, 10)
  // A missing variable is Django's string_if_invalid (''), which int() rejects too.
  const shown = v === undefined ? "''" : typeof v === 'string' ? `'${v}'` : (JSON.stringify(v) ?? String(v))
  throw new TemplateSyntaxError(`"cache" tag got a non-integer timeout value: ${shown}`)
}

class CacheTagExtension {
  readonly tags: string[]
  private readonly tagName: string

  constructor(tagName: string) {
    this.tagName = tagName
    this.tags = [tagName]
  }

  parse(parser: Parser, nodes: Nodes, lexer: Lexer): unknown {
    const tag = parser.nextToken() as Token
    const at = (t: Token | null) => [t?.lineno ?? tag.lineno, t?.colno ?? tag.colno] as const
    const isEnd = (t: Token | null) => !t || t.type === lexer.TOKEN_BLOCK_END
    const tooFew = () =>
      parser.fail(`'${this.tagName}' tag requires at least 2 arguments.`, tag.lineno, tag.colno)
    // Django's `None` literal; Nunjucks itself spells it `none`/`null`.
    const parseArg = (): unknown => {
      const t = parser.peekToken()
      if (t && t.type === lexer.TOKEN_SYMBOL && t.value === 'None') {
        parser.nextToken()
        return new nodes.Literal(...at(t), null)
      }
      return parser.parseExpression()
    }

    if (isEnd(parser.peekToken())) tooFew()
    const timeout = parseArg()
    const first = parser.nextToken()
    if (isEnd(first)) tooFew()
    // The fragment name is the raw token up to the next space, never resolved (Django keeps
    // quotes: `"quoted"` names the fragment `"quoted"`).
    let name = first?.type === lexer.TOKEN_STRING ? `"${first.value}"` : (first?.value ?? '')
    for (;;) {
      const t = parser.nextToken(true)
      if (!t || t.type === lexer.TOKEN_WHITESPACE) break
      if (t.type === lexer.TOKEN_BLOCK_END) {
        parser.pushToken(t)
        break
      }
      name += t.type === lexer.TOKEN_STRING ? `"${t.value}"` : t.value
    }
    const vary: unknown[] = []
    // Keyword arguments close the tag: Django's using="…", and tags="a b" (docs/contract.md rule 17).
    const keywords: Record<string, unknown> = {}
    while (!isEnd(parser.peekToken())) {
      const t = parser.peekToken() as Token
      if (t.type === lexer.TOKEN_SYMBOL && (t.value === 'using' || t.value === 'tags')) {
        parser.nextToken()
        const eq = parser.peekToken()
        if (eq && eq.type === lexer.TOKEN_OPERATOR && eq.value === '=') {
          parser.nextToken()
          keywords[t.value] = parser.parseExpression()
          continue
        }
        if (Object.keys(keywords).length > 0)
          parser.fail(`'${this.tagName}' tag: using="…" and tags="…" must be the last arguments.`)
        vary.push(parser.parsePostfix(new nodes.Symbol(...at(t), t.value)))
        continue
      }
      if (Object.keys(keywords).length > 0)
        parser.fail(`'${this.tagName}' tag: using="…" and tags="…" must be the last arguments.`)
      vary.push(parseArg())
    }
    const using = keywords.using
    const tagsArg = keywords.tags
    parser.advanceAfterBlockEnd(tag.value)
    const body = parser.parseUntilBlocks(`end${this.tagName}`)
    parser.advanceAfterBlockEnd()
    const meta = JSON.stringify({ name, hasUsing: using !== undefined, hasTags: tagsArg !== undefined })
    const args = [
      new nodes.Literal(...at(tag), meta),
      timeout,
      ...(using === undefined ? [] : [using]),
      ...(tagsArg === undefined ? [] : [tagsArg]),
      ...vary,
    ]
    return new nodes.CallExtensionAsync(this, 'run', new nodes.NodeList(...at(tag), args), [body])
  }

  /** Nunjucks calls this with (context, meta, timeout, [using], [tags], ...varyOn, body, callback). */
  run(_context: unknown, meta: string, ...rest: unknown[]): void {
    const callback = rest.pop() as Callback
    const body = rest.pop() as Body
    // A synchronous render would return null before the cache answers: say so instead.
    if (syncRenders > 0) {
      syncFailure = new SyncRenderError(this.tagName)
      callback(syncFailure)
      return
    }
    this.render(meta, rest, body).then(
      (out) => callback(null, new (safeString())(out)),
      (err: unknown) => callback(err),
    )
  }

  private async render(meta: string, rest: unknown[], body: Body): Promise<string> {
    const { name, hasUsing, hasTags } = JSON.parse(meta) as {
      name: string
      hasUsing: boolean
      hasTags: boolean
    }
    const timeout = toIntTimeout(rest[0])
    let alias: string
    if (hasUsing) {
      const u = rest[1]
      if (typeof u !== 'string' || !caches.has(u)) {
        throw new TemplateSyntaxError(`Invalid cache name specified for cache tag: '${String(u)}'`)
      }
      alias = u
    } else {
      // Django: the `template_fragments` alias when configured, else `default`.
      alias = caches.has('template_fragments') ? 'template_fragments' : 'default'
    }
    // A missing variable resolves to Django's string_if_invalid, ''.
    const first = 1 + (hasUsing ? 1 : 0)
    let tags: string[] | undefined
    if (hasTags) {
      const raw = rest[first]
      // A space-separated string ("article:42 list"), as Surrogate-Key headers are, or a list.
      tags =
        typeof raw === 'string' ? raw.split(/\s+/).filter(Boolean) : Array.isArray(raw) ? raw.map(String) : []
    }
    const varyOn = rest.slice(first + (hasTags ? 1 : 0)).map((v) => (v === undefined ? '' : v))
    const render = () =>
      new Promise<string>((resolve, reject) => body((err, out) => (err ? reject(err) : resolve(out ?? ''))))
    return cacheFragment({ timeout, name, varyOn, using: alias, ...(tags ? { tags } : {}) }, render)
  }
}

/**
 * Add Django's `{% cache <timeout> <name> [varyOn…] [using="alias"] [tags="a b"] %}…{% endcache %}` tag to a
 * Nunjucks environment. Rendering is asynchronous: use `env.render(name, ctx, cb)` or
 * `env.renderString(src, ctx, cb)` with a callback. Returns `env`.
 */
export function installCacheTag<E extends NunjucksEnvironment>(env: E, options: CacheTagOptions = {}): E {
  const tagName = options.tagName ?? 'cache'
  safeString() // fail here, not at render time, when nunjucks is missing
  env.addExtension(`cachework:${tagName}`, new CacheTagExtension(tagName))
  return env
}
