import { hash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { UnauthorizedError } from '../errors.js';

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

/** How administrators authenticate: the IAM authorizer in AWS, a bearer token locally. */
export type AdminAuth = { readonly mode: 'iam' } | { readonly mode: 'token'; readonly tokenHash: string; readonly actor: string };

/** Resolves the administrator making an admin request, or throws UnauthorizedError. */
export function adminActor(event: APIGatewayProxyEventV2, auth: AdminAuth): string {
  if (auth.mode === 'iam') {
    // API Gateway's IAM authorizer already verified the signature; the principal is the actor.
    const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: string } } }).authorizer?.iam;
    if (!iam?.userArn) throw new UnauthorizedError();
    return iam.userArn;
  }
  const token = bearerToken(event.headers);
  if (!token || !sameHash(hashSecret(token), auth.tokenHash)) throw new UnauthorizedError();
  return auth.actor;
}
