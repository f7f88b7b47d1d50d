/**
 * The devtools gates, shared with `devtoolsEndpoint()`: one implementation, in
 * `@cachework/node/devtools-security`, so the plugin and the endpoint cannot drift apart.
 */
export {
  isLoopbackAddress as isLoopback,
  isProduction,
  randomToken,
  SHARED_TOKEN_ENV,
  sharedToken,
  sharedTokenPath,
  sharedTokenSource,
  tokensEqual,
} from '@cachework/node/devtools-security'
