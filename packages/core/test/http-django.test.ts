/**
 * Cross-check against Django itself: Debian 12's python3-django 3.2 (with Debian's security
 * backports). Every case here gives the same output in Django 3.2 and
 * 6.1 (django/utils/cache.py), so 3.2's output is 6.1's. What only 6.1 (and later) does, the
 * netstring hashing of present Vary values and of template-fragment `vary_on`, cannot be run
 * here: those expected values are computed by Python's hashlib from the algorithm (django/utils/cache.py `_generate_cache_key`,
 * django/core/cache/utils.py `make_template_fragment_key`),
 * independently of our code, or taken from a table verified on Django 6.1.1.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  addNeverCacheHeaders,
  cacheHeaderKey,
  conditionalResponse,
  getMaxAge,
  hasVaryHeader,
  makeTemplateFragmentKey,
  md5Hex,
  pageCacheKey,
  patchCacheControl,
  patchResponseHeaders,
  patchVaryHeaders,
  varyHeaderList,
} from '../src/http/index.ts'

const PYTHON = '/usr/bin/python3'

const SCRIPT = `
import hashlib, json, sys, time
import django
from django.conf import settings
settings.configure(ALLOWED_HOSTS=['*'], USE_I18N=False, USE_TZ=False,
  CACHES={'default': {'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}})
django.setup()
import django.utils.cache as dc
from django.core.cache import caches
from django.core.cache.utils import make_template_fragment_key
from django.http import HttpResponse
from django.test import RequestFactory
FIXED = 1167616461
dc.time.time = lambda: FIXED
rf = RequestFactory()
cases = json.load(sys.stdin)

def resp(headers):
    r = HttpResponse()
    for k, v in (headers or {}).items():
        r[k] = v
    return r

def req(url, headers):
    scheme, rest = url.split('://', 1)
    host, _, path = rest.partition('/')
    meta = {'HTTP_' + k.upper().replace('-', '_'): v for k, v in (headers or {}).items()}
    r = rf.get('/' + path, HTTP_HOST=host, secure=(scheme == 'https'), **meta)
    if 'cookie' not in {k.lower() for k in (headers or {})}:
        del r.META['HTTP_COOKIE']  # RequestFactory adds an empty one; a Fetch Request has none
    return r

out = {'cc': [], 'maxage': [], 'vary': [], 'hasvary': [], 'uri': [], 'learn': [], 'frag': [],
       'prh': [], 'never': []}
for c in cases['cc']:
    r = resp({'Cache-Control': c['initial']} if c['initial'] is not None else {})
    dc.patch_cache_control(r, **c['kwargs'])
    out['cc'].append(r['Cache-Control'])
for v in cases['maxage']:
    out['maxage'].append(dc.get_max_age(resp({'Cache-Control': v})))
for c in cases['vary']:
    r = resp({'Vary': c['initial']} if c['initial'] is not None else {})
    dc.patch_vary_headers(r, c['add'])
    out['vary'].append(r['Vary'])
for c in cases['hasvary']:
    out['hasvary'].append(dc.has_vary_header(resp({'Vary': c['vary']}), c['name']))
for c in cases['uri']:
    r = req(c['url'], {})
    out['uri'].append({'abs': r.build_absolute_uri(),
                       'header': dc._generate_cache_header_key(c['prefix'], r),
                       'page': dc._generate_cache_key(r, 'GET', [], c['prefix'])})
for c in cases['learn']:
    r = req(c['url'], c['headers'])
    key = dc.learn_cache_key(r, resp({'Vary': c['vary']}), 60, 'lp', caches['default'])
    hl = caches['default'].get(dc._generate_cache_header_key('lp', r))
    # 6.1 netstring (present) / '-,' (absent), computed here from the algorithm (django/utils/cache.py).
    ctx = hashlib.md5()
    for h in hl:
        val = r.META.get(h)
        if val is None:
            ctx.update(b'-,')
        else:
            data = val.encode()
            ctx.update(b'%d:%s,' % (len(data), data))
    out['learn'].append({'headerList': hl, 'key32': key, 'netstring': ctx.hexdigest()})
for c in cases['frag']:
    out['frag'].append(make_template_fragment_key(c['name'], c['varyOn']))
for c in cases['prh']:
    r = resp(c['headers'])
    dc.patch_response_headers(r, c['timeout'])
    out['prh'].append({'expires': r['Expires'], 'cc': r['Cache-Control']})
for c in cases['never']:
    r = resp(c)
    dc.add_never_cache_headers(r)
    out['never'].append({'expires': r['Expires'], 'cc': r['Cache-Control']})
from django.utils.http import parse_http_date_safe
out['cond'] = []
for c in cases['cond']:
    meta = {'HTTP_' + k.upper().replace('-', '_'): v for k, v in c['headers'].items()}
    r = rf.generic(c['method'], '/', **meta)
    res = resp(c['response'])
    lm = res.get('Last-Modified')
    got = dc.get_conditional_response(r, etag=res.get('ETag'), last_modified=lm and parse_http_date_safe(lm), response=res)
    out['cond'].append(got.status_code)
json.dump(out, sys.stdout)
`

const cases = {
  cc: [
    { initial: 'max-age=100', kwargs: { max_age: 3600 } },
    { initial: 'max-age=7200', kwargs: { max_age: 3600 } },
    { initial: 'Public, Max-Age=10', kwargs: { private: true } },
    { initial: 'private', kwargs: { public: true } },
    { initial: 'no-cache=Set-Cookie', kwargs: { no_cache: true } },
    { initial: null, kwargs: { no_cache: true, no_store: true, must_revalidate: true, private: true } },
    { initial: 'must-revalidate', kwargs: { s_maxage: 10, stale_while_revalidate: 5 } },
    { initial: null, kwargs: { no_cache: 'Set-Cookie' } },
    { initial: 'public, max-age=300', kwargs: { max_age: 0 } },
    { initial: null, kwargs: {} },
    { initial: 'max-age=60, s-maxage=100', kwargs: { max_age: 30, immutable: true } },
    { initial: 'foo=bar, max-age=60', kwargs: { stale_if_error: 60, no_transform: true } },
    { initial: 'no-store, no-cache', kwargs: { proxy_revalidate: true, max_age: 5 } },
  ],
  maxage: [
    'max-age=5',
    'MAX-AGE=5',
    'public, max-age=abc',
    'max-age',
    's-maxage=5',
    'no-cache, max-age=7',
    'max-age=-3',
  ],
  vary: [
    { initial: 'Cookie', add: ['Accept-Encoding', 'COOKIE'] },
    { initial: '*', add: ['Cookie'] },
    { initial: 'Cookie', add: ['*'] },
    { initial: null, add: ['Cookie', 'Accept-Language'] },
    { initial: 'Accept-Encoding', add: ['accept-encoding', 'Cookie'] },
    { initial: 'Cookie,     Accept-Encoding', add: ['Accept-Encoding', 'cookie', 'X-Y'] },
  ],
  hasvary: [
    { vary: 'Cookie, Accept-Encoding', name: 'accept-encoding' },
    { vary: 'Cookie', name: 'Accept' },
    { vary: '*', name: '*' },
    { vary: 'Cookie,X-Foo', name: 'x-foo' },
  ],
  uri: [
    { url: 'http://www.example.com/cache/test/', prefix: 'settingsprefix' },
    { url: 'http://www.example.com/cache/test/?test=1', prefix: 'settingsprefix' },
    { url: 'http://testserver/cache/test/', prefix: '' },
    { url: 'https://example.com:8443/a/b?x=1&y=2+3', prefix: 'p' },
    { url: 'http://example.com/caf%C3%A9/?q=%C3%A9&q=2', prefix: '' },
  ],
  learn: [
    { url: 'http://example.com/l', headers: {}, vary: 'Accept-Encoding' },
    { url: 'http://example.com/l', headers: { 'Accept-Encoding': 'gzip' }, vary: 'Accept-Encoding, Cookie' },
    {
      url: 'http://example.com/l',
      headers: { Cookie: 'a=b', 'X-Custom': '' },
      vary: 'X-Custom, Cookie, Accept-Language',
    },
    { url: 'http://example.com/l?x=1', headers: { 'Accept-Language': 'fr' }, vary: 'accept-language' },
  ],
  frag: [
    { name: 'sidebar', varyOn: ['alice'] },
    { name: 'a.fragment', varyOn: null },
    { name: 'foo', varyOn: ['abc'] },
    { name: 'bar', varyOn: ['abc', 'def'] },
    { name: 'spam', varyOn: ['abc:def%'] },
    { name: 'foo', varyOn: [1, 2, 3, 4, 5] },
    { name: 'foo', varyOn: ['42º', '😀'] },
    { name: 'foo', varyOn: ['x'.repeat(10000)] },
    { name: 'n', varyOn: [null, true, false] },
  ],
  prh: [
    { headers: {}, timeout: 600 },
    { headers: { 'Cache-Control': 'max-age=100' }, timeout: 600 },
    { headers: { 'Cache-Control': 'public', Expires: 'Mon, 01 Jan 2007 00:00:00 GMT' }, timeout: 60 },
    { headers: {}, timeout: -5 },
  ],
  never: [{}, { 'Cache-Control': 'public, max-age=600' }],
  cond: (() => {
    const lm = 'Mon, 01 Jan 2007 01:54:21 GMT'
    const both = { ETag: '"abc"', 'Last-Modified': lm }
    const weak = { ETag: 'W/"abc"' }
    const rows: { method: string; headers: Record<string, string>; response: Record<string, string> }[] = []
    const requests: [string, Record<string, string>][] = [
      ['GET', { 'If-None-Match': '"abc"' }],
      ['GET', { 'If-None-Match': 'W/"abc"' }],
      ['GET', { 'If-None-Match': '"x", "abc"' }],
      ['GET', { 'If-None-Match': '*' }],
      ['GET', { 'If-None-Match': '"x"', 'If-Modified-Since': lm }],
      ['GET', { 'If-Modified-Since': lm }],
      ['GET', { 'If-Modified-Since': 'Sunday, 31-Dec-06 23:00:00 GMT' }],
      ['GET', { 'If-Modified-Since': 'Mon Jan  1 02:00:00 2007' }],
      ['HEAD', { 'If-None-Match': '"abc"' }],
      ['POST', { 'If-None-Match': '"abc"' }],
      ['GET', { 'If-Match': '"abc"' }],
      ['GET', { 'If-Match': '"zzz"' }],
      ['GET', { 'If-Match': '*' }],
      ['PUT', { 'If-Unmodified-Since': 'Mon, 01 Jan 2007 00:00:00 GMT' }],
      ['PUT', { 'If-Unmodified-Since': lm }],
      ['GET', { 'If-Modified-Since': 'garbage' }],
    ]
    for (const response of [both, weak, { 'Last-Modified': lm }]) {
      for (const [method, headers] of requests) rows.push({ method, headers, response })
    }
    return rows
  })(),
}

interface DjangoOut {
  cc: string[]
  maxage: (number | null)[]
  vary: string[]
  hasvary: boolean[]
  uri: { abs: string; header: string; page: string }[]
  learn: { headerList: string[]; key32: string; netstring: string }[]
  frag: string[]
  prh: { expires: string; cc: string }[]
  never: { expires: string; cc: string }[]
  cond: number[]
}

function runDjango(): DjangoOut {
  if (!existsSync(PYTHON)) {
    throw new Error(`${PYTHON} is missing: install Debian's Django with 'apt-get install -y python3-django'`)
  }
  const r = spawnSync(PYTHON, ['-c', SCRIPT], { input: JSON.stringify(cases), encoding: 'utf8' })
  if (r.status !== 0) {
    throw new Error(`Django 3.2 failed (install it with 'apt-get install -y python3-django'):\n${r.stderr}`)
  }
  return JSON.parse(r.stdout) as DjangoOut
}

const FIXED_MS = 1167616461 * 1000
const django = runDjango()
const headersFrom = (h: object): Headers => new Headers(h as Record<string, string>)

describe('django.utils.cache helpers match Django', () => {
  it('patchCacheControl', () => {
    cases.cc.forEach((c, i) => {
      const h = c.initial === null ? new Headers() : new Headers({ 'Cache-Control': c.initial })
      patchCacheControl(h, c.kwargs)
      expect(h.get('cache-control'), JSON.stringify(c)).toBe(django.cc[i])
    })
  })

  it('getMaxAge', () => {
    cases.maxage.forEach((v, i) => {
      expect(getMaxAge(new Headers({ 'Cache-Control': v })), v).toBe(django.maxage[i] ?? undefined)
    })
  })

  it('patchVaryHeaders and hasVaryHeader', () => {
    cases.vary.forEach((c, i) => {
      const h = c.initial === null ? new Headers() : new Headers({ Vary: c.initial })
      patchVaryHeaders(h, c.add)
      expect(h.get('vary'), JSON.stringify(c)).toBe(django.vary[i])
    })
    cases.hasvary.forEach((c, i) => {
      expect(hasVaryHeader(new Headers({ Vary: c.vary }), c.name), JSON.stringify(c)).toBe(django.hasvary[i])
    })
  })

  it('patchResponseHeaders and addNeverCacheHeaders (time fixed at 1167616461)', () => {
    cases.prh.forEach((c, i) => {
      const h = headersFrom(c.headers)
      patchResponseHeaders(h, c.timeout, FIXED_MS)
      expect({ expires: h.get('expires'), cc: h.get('cache-control') }).toEqual(django.prh[i])
    })
    cases.never.forEach((c, i) => {
      const h = headersFrom(c)
      addNeverCacheHeaders(h, FIXED_MS)
      expect({ expires: h.get('expires'), cc: h.get('cache-control') }).toEqual(django.never[i])
    })
    expect(django.never[0]).toEqual({
      expires: 'Mon, 01 Jan 2007 01:54:21 GMT',
      cc: 'max-age=0, no-cache, no-store, must-revalidate, private',
    })
  })
})

describe('conditional responses match Django get_conditional_response', () => {
  it('304 / 412 / 200 for If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since', () => {
    expect(django.cond.length).toBe(cases.cond.length)
    cases.cond.forEach((c, i) => {
      const req = new Request('http://example.com/', { method: c.method, headers: c.headers })
      const got = conditionalResponse(req, new Response(null, { headers: c.response }))
      expect(got.status, JSON.stringify(c)).toBe(django.cond[i])
    })
    expect(new Set(django.cond)).toEqual(new Set([200, 304, 412]))
  })
})

describe('page cache keys match Django', () => {
  it('absolute URL, header key and page key without Vary (identical in 3.2 and 6.1)', () => {
    cases.uri.forEach((c, i) => {
      const req = new Request(c.url)
      const opts = { keyPrefix: c.prefix }
      expect(cacheHeaderKey(req, opts), c.url).toBe(django.uri[i]?.header)
      expect(pageCacheKey(req, 'GET', [], opts), c.url).toBe(django.uri[i]?.page)
    })
    // Known keys (django/utils/cache.py `_generate_cache_key`).
    expect(django.uri[0]?.page).toBe(
      'views.decorators.cache.cache_page.settingsprefix.GET.18a03f9c9649f7d684af5db3524f5c99.d41d8cd98f00b204e9800998ecf8427e',
    )
    expect(django.uri[1]?.page).toContain('.GET.beaf87a9a99ee81c673ea2d67ccbec2a.d41d8')
    expect(django.uri[2]?.page).toContain('.GET.58a0a05c8a5620f813686ff969c26853.d41d8')
  })

  it('keys for prefixes and methods in turn are each Django’s format (the key heads follow the prefix)', () => {
    const req = new Request('http://example.com/turns?x=1')
    const digest = md5Hex('http://example.com/turns?x=1')
    for (const prefix of ['a', '', 'a', 'b.c', '']) {
      expect(cacheHeaderKey(req, { keyPrefix: prefix })).toBe(
        `views.decorators.cache.cache_header.${prefix}.${digest}`,
      )
      for (const method of ['GET', 'HEAD', 'POST']) {
        expect(pageCacheKey(req, method, [], { keyPrefix: prefix })).toBe(
          `views.decorators.cache.cache_page.${prefix}.${method}.${digest}.d41d8cd98f00b204e9800998ecf8427e`,
        )
      }
    }
  })

  it('learned header lists equal Django’s; Vary values hash as 6.1 netstrings, absent as "-,"', () => {
    cases.learn.forEach((c, i) => {
      const req = new Request(c.url, { headers: c.headers as Record<string, string> })
      const res = new Response('x', { headers: { Vary: c.vary } })
      const d = django.learn[i]
      const list = varyHeaderList(res)
      expect(list, c.vary).toEqual(d?.headerList)
      const key = pageCacheKey(req, 'GET', list, { keyPrefix: 'lp' })
      // Same URL part as Django 3.2; the Vary digest is 6.1's netstring algorithm (hashlib above).
      expect(key.split('.').slice(0, -1)).toEqual(d?.key32.split('.').slice(0, -1))
      expect(key.split('.').at(-1)).toBe(d?.netstring)
      // When every varying header is absent, Debian's 3.2 backport (`-,`) and 6.1+ agree.
      if (
        list.every(
          (m) => !Object.keys(c.headers).some((h) => `HTTP_${h.toUpperCase().replace(/-/g, '_')}` === m),
        )
      ) {
        expect(key).toBe(d?.key32)
      }
    })
    expect(django.learn[0]?.netstring).toBe('4792b9bac48c3f0441b0d9b0d7af8f2c') // md5(b'-,')
  })
})

describe('template fragment keys', () => {
  it('legacy (3.1–6.0) equals Django 3.2', () => {
    cases.frag.forEach((c, i) => {
      expect(makeTemplateFragmentKey(c.name, c.varyOn, { legacy: true }), c.name).toBe(django.frag[i])
    })
  })

  it('6.1 equals the table verified on Django 6.1.1 (django/core/cache/utils.py)', () => {
    const table: [string, unknown[] | null, string][] = [
      ['sidebar', ['alice'], '6496a001d04a089af74acbb2476031e4'],
      ['a.fragment', null, 'd41d8cd98f00b204e9800998ecf8427e'],
      ['a.fragment', [], 'd41d8cd98f00b204e9800998ecf8427e'],
      ['foo', ['abc'], 'a6360ec2c58ecc4b23fd5bd00216fccd'],
      ['bar', ['abc', 'def'], '250310c146db454966b64f5fc265a540'],
      ['spam', ['abc:def%'], 'bf6c24ef2576004284e0522c15314d8c'],
      ['foo', [1, 2, 3, 4, 5], '087c006c1b99e0d147f624b4921f8a13'],
      ['foo', ['42º', '😀'], 'ab66482052ab2084b9d25bdd04bc9b10'],
      ['foo', ['x'.repeat(10000)], 'abff8a6702abde497feae7f61de2ef1e'],
    ]
    for (const [name, varyOn, hash] of table) {
      expect(makeTemplateFragmentKey(name, varyOn)).toBe(`template.cache.${name}.${hash}`)
    }
    // 6.1 fixed the 3.1–6.0 collision of ['a:', 'b'] and ['a', ':b'].
    expect(makeTemplateFragmentKey('f', ['a:', 'b'], { legacy: true })).toBe(
      makeTemplateFragmentKey('f', ['a', ':b'], { legacy: true }),
    )
    expect(makeTemplateFragmentKey('f', ['a:', 'b'])).not.toBe(makeTemplateFragmentKey('f', ['a', ':b']))
  })
})
