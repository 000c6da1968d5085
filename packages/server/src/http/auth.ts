import { AppError } from '@switchboard/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Who is making a request: a user, through a device session or a personal API token. */
export interface Principal {
  readonly userId: string;
  readonly username: string;
  /** The device of a session token; null for a personal API token. */
  readonly deviceId: string | null;
  /** The id of the session or API token, so that it can be revoked. */
  readonly tokenId: string;
  readonly kind: 'session' | 'api';
}

/** Resolves a bearer token to its principal, or null when it is unknown or revoked. */
export type Authenticate = (token: string) => Promise<Principal | null>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `optionalAuth`/`requireAuth`; null for an anonymous request. */
    principal: Principal | null;
  }
}

/** The token of `Authorization: Bearer <token>`, if any. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

/** Hooks that routes use as `preHandler`: anonymous allowed, or a principal required. */
export interface AuthHooks {
  optionalAuth(request: FastifyRequest): Promise<void>;
  requireAuth(request: FastifyRequest): Promise<void>;
}

/**
 * Installs request authentication. A request that sends a token which does not
 * resolve is refused even where anonymous access is allowed, so that a client never
 * silently acts anonymously with a revoked token.
 */
export function installAuth(app: FastifyInstance, authenticate: Authenticate): AuthHooks {
  app.decorateRequest('principal', null);
  const resolve = async (request: FastifyRequest): Promise<Principal | null> => {
    const token = bearerToken(request);
    if (token === null) return null;
    const principal = await authenticate(token);
    if (principal === null) throw new AppError('UNAUTHENTICATED', 'The token is not valid.');
    return principal;
  };
  return {
    async optionalAuth(request) {
      request.principal = await resolve(request);
    },
    async requireAuth(request) {
      const principal = await resolve(request);
      if (principal === null) {
        throw new AppError(
          'UNAUTHENTICATED',
          'Sign in first: send `Authorization: Bearer <token>`.',
        );
      }
      request.principal = principal;
    },
  };
}

/** The principal of a request that went through `requireAuth`. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new AppError('UNAUTHENTICATED');
  return request.principal;
}
