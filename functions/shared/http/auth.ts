import { hash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

/** The SHA-256 of a secret, hex: how tokens and webhook secrets are stored and compared. */
export function hashSecret(secret: string): string {
  // The one-shot form: no Hash stream object per call (the webhook hashes a secret on every review).
  return hash('sha256', secret, 'hex');
}

/** Compares two hex hashes in constant time. */
export function sameHash(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right);
}

/** The bearer token of a request, if it carries one. */
export function bearerToken(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const value = headers.authorization;
  if (!value) return undefined;
  const [scheme, token, extra] = value.trim().split(/\s+/);
  return scheme?.toLowerCase() === 'bearer' && token && extra === undefined ? token : undefined;
}

/**
 * The console's Cognito tokens, as the admin function accepts them in AWS (docs/adr/0019): only on the
 * console API, whose JWT authorizer verified the signature, issuer, expiry and client before the call.
 */
export interface ConsoleTokenAuth {
  /** The console API's id: claims are read only from calls that came through its authorizer. */
  readonly apiId: string;
  readonly issuer: string;
  readonly clientId: string;
  /** The Cognito group whose members may administer Vigil from the console. */
  readonly adminGroup: string;
}

/**
 * How administrators authenticate: the IAM authorizer in AWS (and the console's JWT authorizer when the stack
 * has the console), a bearer token locally.
 */
export type AdminAuth =
  | { readonly mode: 'iam'; readonly console?: ConsoleTokenAuth }
  | { readonly mode: 'token'; readonly tokenHash: string; readonly actor: string };

/** What API Gateway hands the function after its authorizer accepted the call (payload format 2.0). */
interface VerifiedAuthorizer {
  readonly iam?: { readonly userArn?: string };
  readonly jwt?: { readonly claims?: Readonly<Record<string, unknown>> };
}

/** Resolves the administrator making an admin request, or throws UnauthorizedError (ForbiddenError for a non-member). */
export function adminActor(event: APIGatewayProxyEventV2, auth: AdminAuth): string {
  if (auth.mode === 'iam') {
    // API Gateway's authorizers already verified the caller: SigV4 on the CLI's API, the JWT on the console's.
    const requestContext = event.requestContext as { apiId?: string; authorizer?: VerifiedAuthorizer };
    const authorizer = requestContext.authorizer;
    if (authorizer?.jwt) return consoleActor(requestContext.apiId, authorizer.jwt.claims ?? {}, auth.console);
    if (!authorizer?.iam?.userArn) throw new UnauthorizedError();
    return authorizer.iam.userArn;
  }
  const token = bearerToken(event.headers);
  if (!token || !sameHash(hashSecret(token), auth.tokenHash)) throw new UnauthorizedError();
  return auth.actor;
}

/**
 * The console user named by the claims the JWT authorizer verified. Each check repeats one the stack already
 * configures (the authorizer's issuer and audience, the API the routes belong to), so a mistake in the stack
 * fails closed here; membership of the admin group is checked only here.
 */
function consoleActor(apiId: string | undefined, claims: Readonly<Record<string, unknown>>, auth: ConsoleTokenAuth | undefined): string {
  if (!auth || apiId !== auth.apiId) throw new UnauthorizedError();
  // Access tokens only: an ID token names the client in `aud` and carries no scopes of the API.
  if (claims.token_use !== 'access' || claims.iss !== auth.issuer || claims.client_id !== auth.clientId) throw new UnauthorizedError();
  const username = claims.username;
  if (typeof username !== 'string' || username === '') throw new UnauthorizedError();
  if (!claimValues(claims['cognito:groups']).includes(auth.adminGroup))
    throw new ForbiddenError(`signed in as ${username}, who is not a member of the group ${auth.adminGroup}`);
  return `cognito:${username}`;
}

/**
 * The values of a list claim. API Gateway's JWT authorizer hands list claims to the function as one string,
 * `[a b c]`; Cognito group names hold no spaces, so the string splits unambiguously.
 */
export function claimValues(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((value): value is string => typeof value === 'string');
  if (typeof claim !== 'string') return [];
  const inner = claim.startsWith('[') && claim.endsWith(']') ? claim.slice(1, -1) : claim;
  return inner.split(' ').filter((value) => value !== '');
}
