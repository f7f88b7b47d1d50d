/**
 * `@cachework/node/devtools-security` (kept for 0.2; import `@cachework/devtools/security`): the
 * devtools gates, whose one implementation lives in `@cachework/devtools`.
 */
export {
  isLoopbackAddress,
  isProduction,
  randomToken,
  SHARED_TOKEN_ENV,
  sharedToken,
  sharedTokenPath,
  sharedTokenSource,
  tokensEqual,
} from '@cachework/devtools/security'
