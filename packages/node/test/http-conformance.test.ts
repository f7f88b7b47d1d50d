/**
 * The adapter conformance suite (support/adapter-conformance.ts) run by the `(req, res)`
 * adapters: a plain node:http server, Connect and Express 5, each with `cacheMiddleware`.
 */
import connect from 'connect'
import express from 'express'
import { cacheMiddleware } from '../src/http.ts'
import { adapterConformanceSuite } from './support/adapter-conformance.ts'
import { listenNode, nodeRoutes } from './support/node-harness.ts'

adapterConformanceSuite('node:http', (routes, options) =>
  listenNode(cacheMiddleware(options)(nodeRoutes(routes))),
)

adapterConformanceSuite('Connect', (routes, options) => {
  const app = connect()
  app.use(cacheMiddleware(options))
  app.use(nodeRoutes(routes))
  return listenNode(app)
})

adapterConformanceSuite('Express 5', (routes, options) => {
  const app = express()
  app.use(cacheMiddleware(options))
  app.use(nodeRoutes(routes))
  return listenNode(app)
})
