// What the Lambda bundles use in place of `@aws-sdk/credential-provider-node` (infra/lambda-bundling.ts swaps it
// in at bundling time; local mode, tests and the CLI run on the SDK's own default chain).
//
// Every SDK client imports that package's default chain statically, and the chain imports SSO, INI-file,
// credential-process, web-identity, login and container/instance-metadata providers with the STS, SSO and
// sign-in clients they call: about 135 KB minified in every bundle, although a Lambda function finds its
// credentials in its environment, which is the chain's first link. No SDK entry point constructs a client
// without that import, so the bundler substitutes this module for it: the same first link, without the rest.
import { fromEnv, type FromEnvInit } from '@aws-sdk/credential-provider-env';

/**
 * The SDK clients' `credentialDefaultProvider` in a Lambda bundle: the credentials of the function's role,
 * which Lambda puts in `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`. Without them it
 * fails at once (the full chain would go on to files and metadata endpoints that a Lambda does not have).
 */
export function defaultProvider(init: FromEnvInit = {}): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
