/**
 * How a hit's head goes out (http-write.ts): a shared page's fields, validated once, go to the
 * socket in the stored order with `Age` last, each hit with its own `Age`, and the response
 * keeps no headers afterwards, as when the fields are handed to `writeHead` as a list.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { cachePage } from '../src/http.ts'
import { listen, type Running, uniquePath } from './http-support.ts'

const running: Running[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.close()))
})

/** The response head for GET `path`, byte for byte, over a new socket. */
function rawHead(url: string, path: string, close = true): Promise<string> {
  const u = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname)
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (c: string) => {
      data += c
      const end = data.indexOf('\r\n\r\n')
      if (end !== -1) {
        socket.destroy()
        resolve(data.slice(0, end))
      }
    })
    socket.on('error', reject)
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\n${close ? 'Connection: close\r\n' : ''}\r\n`)
  })
}

describe('a hit written from a stored page', () => {
  it('sends the stored fields in order, Age last, and keeps none on the response', async () => {
    let clock = Date.now()
    const left: Record<string, unknown>[] = []
    const view = cachePage(60, { now: () => clock })((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('X-Zed', 'z')
      res.setHeader('content-type', 'text/plain')
      res.setHeader('x-alpha', 'a')
      res.end('body')
    })
    const r = await listen((req, res) => {
      res.on('finish', () => left.push(res.getHeaders()))
      void view(req, res)
    })
    running.push(r)
    const path = uniquePath()
    const fields = (head: string) =>
      head
        .split('\r\n')
        .slice(1)
        .filter((l) => !/^(date|connection):/i.test(l))
    await rawHead(r.url, path)
    const first = fields(await rawHead(r.url, path))
    clock += 7000
    const second = fields(await rawHead(r.url, path))
    const stored = first.slice(0, -1)
    // The stored order (Fetch `Headers` order, the length the cache added last), names as stored.
    expect(stored.map((l) => l.slice(0, l.indexOf(':')))).toEqual([
      'cache-control',
      'content-type',
      'expires',
      'x-alpha',
      'x-zed',
      'content-length',
    ])
    expect(stored).toContain('x-zed: z')
    expect(stored).toContain('content-length: 4')
    expect(first.at(-1)).toBe('age: 0')
    expect(second).toEqual([...stored, 'age: 7'])
    // The miss kept the view's headers; the two hits kept none.
    expect(left.slice(1)).toEqual([{}, {}])
  })

  it('sends each field on its own line around the fields Node acts on, and keeps the connection as a list would', async () => {
    let clock = Date.now()
    const view = cachePage(60, { now: () => clock })((_req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('x-b', 'b2')
      res.setHeader('content-disposition', 'inline')
      res.setHeader('x-a', 'a1')
      res.setHeader('content-length', '4')
      res.setHeader('content-type', 'text/plain')
      res.end('body')
    })
    const r = await listen((req, res) => void view(req, res))
    running.push(r)
    const path = uniquePath()
    await rawHead(r.url, path)
    clock += 3000
    for (const close of [true, false]) {
      const lines = (await rawHead(r.url, path, close)).split('\r\n')
      const expires = lines.find((l) => l.startsWith('expires: ')) as string
      expect(lines[0]).toBe('HTTP/1.1 200 OK')
      expect(lines.slice(1, 9)).toEqual([
        'cache-control: max-age=60',
        'content-disposition: inline',
        'content-length: 4',
        'content-type: text/plain',
        expires,
        'x-a: a1',
        'x-b: b2',
        'age: 3',
      ])
      expect(lines[9]).toMatch(/^Date: /)
      // Node saw the Content-Length: no chunked framing, and a kept-alive connection when asked.
      expect(lines.slice(10)).toEqual(
        close ? ['Connection: close'] : ['Connection: keep-alive', 'Keep-Alive: timeout=5'],
      )
    }
  })
})
