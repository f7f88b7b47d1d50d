/**
 * fetch-url.ts: the one parse of a Fetch `Request`'s URL that the host check and page keys
 * share. A URL that `new URL` would leave unchanged is read by slicing; every answer must be
 * exactly `new URL`'s (docs/contract.md rule 20: the hit path and the store path key alike).
 */
import { absoluteUri, isAcceptableRequestHost } from '@cachework/core/http'
import { describe, expect, it } from 'vitest'
import { canonicalHostEnd, parseFetchUrl } from '../src/http/fetch-url.ts'

/** What the host check and `absoluteUri` read of `url`, from `new URL` alone (or 'throws'). */
function reference(url: string): { protocol: string; host: string; uri: string } | 'throws' {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return 'throws'
  }
  return { protocol: u.protocol, host: u.host, uri: `${u.protocol}//${u.host}${u.pathname}${u.search}` }
}

function parsed(url: string): { protocol: string; host: string; uri: string } | 'throws' {
  try {
    const { protocol, host, uri } = parseFetchUrl(url)
    return { protocol, host, uri }
  } catch {
    return 'throws'
  }
}

// biome-ignore format: a list of cases
const SCHEMES = ['http://', 'https://', 'HTTP://', 'Https://', 'hTtp://', 'ftp://', 'ws://', 'httpx://', 'http:/', 'http:', 'https:\\\\', 'http:\\/']
// biome-ignore format: a list of cases
const HOSTS = [
  'example.com', 'EXAMPLE.com', 'Example.Com', 'a', 'a-b', '-a', 'a-', '-', 'a..b', '.a', 'a.', '.', 'a.b.c.d.e',
  'localhost', 'LOCALHOST', 'www.example.co.uk', 'a1.b2', '1a.b', 'a.1', 'a.1b', 'a.0x1', 'foo.123', 'a.-1', 'a.0',
  '127.0.0.1', '0.0.0.0', '255.255.255.255', '1.2.3.4.', '1.2.3', '1.2', '1', '0', '4294967295', '4294967296',
  '010.0.0.1', '01.2.3.4', '1.02.3.4', '0x7f.0.0.1', '0x7f000001', '256.0.0.1', '1.2.3.256', '1.2.3.4.5', '1..2.3.4',
  'xn--nxasmq6b', 'xn--a', 'a.xn--b', 'xn--', 'xna', 'x-n--a', 'ab--c', 'XN--nxasmq6b', 'xn--a.com', 'xn--.com',
  'a.xn--zz.b', 'xn--ls8h.la', 'xn--nxasmq6b.com',
  '[::1]', '[::ffff:1.2.3.4]', '[0:0::1]', '[::1', 'user@h', 'user:pw@h', '@h', 'u@', 'a%41', 'a%2e', '%61',
  'a_b', 'é.com', 'EXAMPLE.COM', 'ex ample', 'a\tb', 'a\nb', 'a\rb', 'ß.de', '', 'a b', 'a#b', 'a?b', 'a\\b',
  'a*b', 'a<b', 'a^b', 'a|b', 'ａ.com', '\u00ad', 'a\u200bb',
]
// biome-ignore format: a list of cases
const PORTS = ['', ':', ':80', ':443', ':8080', ':8443', ':0', ':00', ':080', ':0443', ':1', ':65535', ':65536',
  ':99999', ':123456', ':3000', ':a', ':80a', ': 80', ':+80']
// biome-ignore format: a list of cases
const PATHS = [
  '', '/', '/page', '/a/b', '/a/b/', '/a/./b', '/a/../b', '/..', '/.', '/a/.', '/a/..', '/./', '/../', '/%2e/',
  '/%2E/', '/%2e%2e/', '/%2E%2e', '/.%2e', '/%2e.', '/a%2eb', '/a%2', '/a%', '/%zz', '/%41', '/%7e', '/a b',
  '/a\tb', '/a\nb', '/a\rb', '/a\\b', '/\\', '/a"b', "/a'b", '/a<b>', '/a{b}', '/a|b', '/a^b', '/a`b', '/é',
  '/a~b', '/a;b=c', '/a:b@c', "/a!$&()*+,", '/a[b]', '//', '/a//b', '/...', '/.a', '/a.', '/..a', '/a..',
  '/A/B', '/page\u0000', '/\u007f', '/a\u0085', '/\ud83d\ude00', '/a/%2e%2E/b', '/C:', '/c|/x',
]
// biome-ignore format: a list of cases
const QUERIES = ['', '?', '??', '?a=1', '?a=1&b=2', '?a b', "?a'b", '?a"b', '?a<b', '?a>b', '?a?b', '?a/b', '?%2e',
  '?/../', '?é', '?a\\b', '?a|b', '?a^b', '?a`b', '?{}', '?a\tb', '?a\nb', '?%zz', '?a=%20', '?[]', '?a:b@c']
// biome-ignore format: a list of cases
const FRAGMENTS = ['', '#', '#x', '#x y', '#?a', '#/..']
// biome-ignore format: a list of cases
const AROUND = [['', ''], [' ', ''], ['', ' '], ['\t', ''], ['', '\n'], ['\u0000', ''], ['', '\u001f']]

/** Each part varied on its own around a canonical URL, then a seeded sample of every combination. */
function cases(): string[] {
  const out = new Set<string>()
  const base = ['http://', 'example.com', ':8080', '/a/b', '?q=1', '']
  const dims = [SCHEMES, HOSTS, PORTS, PATHS, QUERIES, FRAGMENTS]
  dims.forEach((values, d) => {
    for (const v of values) out.add(base.map((b, i) => (i === d ? v : b)).join(''))
  })
  for (const [before, after] of AROUND) out.add(`${before}http://example.com/a?b${after}`)
  // A fixed generator (mulberry32), so a failure is reproducible.
  let seed = 0x5eed
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T
  // Mostly canonical parts, so the fast path is taken often and its edges are met.
  const mostly = <T>(canonical: readonly T[], all: readonly T[]): T =>
    random() < 0.6 ? pick(canonical) : pick(all)
  for (let i = 0; i < 30_000; i++) {
    out.add(
      mostly(['http://', 'https://'], SCHEMES) +
        mostly(['example.com', 'a', '127.0.0.1', 'a-b.c'], HOSTS) +
        mostly([''], ['.com', '.1', '.a', '.xn--a', '.', '..b']) +
        mostly(['', ':8080', ':3000'], PORTS) +
        mostly(['/', '/page', '/a/b'], PATHS) +
        pick(PATHS).slice(1) +
        mostly(['', '?a=1'], QUERIES) +
        mostly([''], FRAGMENTS),
    )
  }
  return [...out]
}

describe('parseFetchUrl', () => {
  const all = cases()

  it('gives exactly what new URL gives, and throws where it throws, for every tricky URL', () => {
    const wrong: string[] = []
    for (const url of all) {
      if (JSON.stringify(parsed(url)) !== JSON.stringify(reference(url))) wrong.push(JSON.stringify(url))
    }
    expect(wrong.slice(0, 20)).toEqual([])
  })

  it('reads by slicing only URLs that new URL leaves exactly as they are', () => {
    const wrong: string[] = []
    let sliced = 0
    for (const url of all) {
      const end = canonicalHostEnd(url)
      if (end === -1) continue
      sliced++
      const u = new URL(url)
      if (
        u.href !== url ||
        u.hash !== '' ||
        u.username !== '' ||
        u.password !== '' ||
        url.slice(0, end) !== u.origin
      )
        wrong.push(JSON.stringify(url))
    }
    expect(wrong.slice(0, 20)).toEqual([])
    // The cases reach the fast path often enough to test it (and the fallback too).
    expect(sliced).toBeGreaterThan(1000)
    expect(all.length - sliced).toBeGreaterThan(1000)
  })

  it('slices the URLs requests usually have', () => {
    for (const url of [
      'http://127.0.0.1:3000/page',
      'http://example.com/',
      'https://example.com/a/b?c=d&e=f',
      'https://www.example.co.uk:8443/%7Euser/x.html?q=a%20b',
      'http://localhost/a;b/c:d@e/~f?g/h?i',
      'http://10.0.0.255:65535/.well-known/x',
      'https://a-b.c/page/9999',
    ]) {
      expect(canonicalHostEnd(url), url).not.toBe(-1)
      expect(parsed(url)).toEqual(reference(url))
    }
  })

  it('is what absoluteUri and isAcceptableRequestHost read of a Fetch Request', () => {
    const request = (url: string): Request => new Request(url)
    expect(absoluteUri(request('http://EXAMPLE.com:80/a/../b?'))).toBe('http://example.com/b')
    expect(absoluteUri(request('https://example.com:8443/a?b=c#d'))).toBe('https://example.com:8443/a?b=c')
    expect(absoluteUri(request('http://example.com/%2e%2e/a'))).toBe('http://example.com/a')
    expect(isAcceptableRequestHost(request('http://example.com:8000/'), ['example.com'])).toBe(true)
    // A host WHATWG keeps but Django's host_validation_re refuses.
    expect(isAcceptableRequestHost(request('http://exa_mple.com/'), undefined)).toBe(false)
    expect(isAcceptableRequestHost(request('http://other.com/'), ['example.com'])).toBe(false)
  })
})
