/**
 * The Fastify 5 conformance harness: each route of the table as a Fastify route (GET, with the
 * HEAD route Fastify adds, and POST) behind `fastifyCache` with `global: true`.
 */
import { Readable } from 'node:stream'
import Fastify from 'fastify'
import { fastifyCache } from '../../src/fastify.ts'
import { isStreamBody, plainHeaders, type StartServer } from './adapter-conformance.ts'

export const startFastify: StartServer = async (routes, options) => {
  const app = Fastify()
  await app.register(fastifyCache, { ...options, global: true })
  for (const route of routes) {
    app.route({
      method: ['GET', 'POST'],
      url: route.path,
      handler: async (request, reply) => {
        const r = await route.view({
          method: request.method,
          url: request.url,
          headers: plainHeaders(request.headers),
        })
        reply.code(r.status ?? 200)
        for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v)
        const body = r.body
        return reply.send(isStreamBody(body) ? Readable.from(body) : (body ?? ''))
      },
    })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() }
}
