import {
  type ApiToken,
  ApiTokenList,
  ChangePasswordRequest,
  CreateApiTokenRequest,
  CreatedApiToken,
  DeviceIdParams,
  DeviceList,
  ErrorResponse,
  LoginRequest,
  Me,
  PublicUser,
  RegisterRequest,
  SessionResponse,
  SignOutOthersResponse,
  TokenIdParams,
  UpdateMeRequest,
  UserIdParams,
  UsernameParams,
} from '@switchboard/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthHooks } from '../../http/auth.js';
import { principalOf } from '../../http/auth.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import { normaliseUsername } from './account-rules.js';
import type { ApiTokenRecord, UserRecord } from './account-store.js';
import type { AccountService, DeviceView, RequestContext } from './account-service.js';

/** The budgets the account routes spend. */
export interface AccountRateLimits {
  /** Login attempts per account (and password confirmations); reset by a success. */
  readonly loginPerAccount: RateLimiter;
  readonly loginPerIp: RateLimiter;
  readonly registrationsPerIp: RateLimiter;
  /** Directory lookups per signed-in account. */
  readonly lookupsPerUser: RateLimiter;
}

const TAGS = ['accounts'];
const SIGNED_IN = [{ bearer: [] }];
const NoContent = z.undefined().describe('Done; no body');

/** Error answers a route documents, by status. */
function errors(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));
}

function contextOf(request: FastifyRequest): RequestContext {
  return { ip: request.ip, userAgent: request.headers['user-agent'] };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function publicUser(user: UserRecord): PublicUser {
  return {
    userId: user.id,
    username: user.username,
    ...(user.displayName === null ? {} : { displayName: user.displayName }),
  };
}

function apiToken(token: ApiTokenRecord): ApiToken {
  return {
    tokenId: token.id,
    name: token.name,
    createdAt: iso(token.createdAt),
    lastUsedAt: token.lastUsedAt === null ? null : iso(token.lastUsedAt),
    expiresAt: token.expiresAt === null ? null : iso(token.expiresAt),
  };
}

function device(d: DeviceView) {
  return {
    deviceId: d.id,
    name: d.name,
    createdAt: iso(d.createdAt),
    lastSeenAt: d.lastSeenAt === null ? null : iso(d.lastSeenAt),
    userAgent: d.userAgent,
    current: d.current,
  };
}

/** Registers the HTTP routes of accounts: thin edges over the `AccountService`. */
export function registerAccountRoutes(
  app: FastifyInstance,
  service: AccountService,
  auth: AuthHooks,
  limits: AccountRateLimits,
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const signedIn = { preHandler: (request: FastifyRequest) => auth.requireAuth(request) };

  api.post(
    '/api/auth/register',
    {
      schema: {
        tags: TAGS,
        summary: 'Create an account and sign its first device in',
        body: RegisterRequest,
        response: { 201: SessionResponse, ...errors(400, 403, 409, 429) },
      },
    },
    async (request, reply) => {
      await limits.registrationsPerIp.consume(request.ip);
      const session = await service.register(request.body, contextOf(request));
      return reply.code(201).send(session);
    },
  );

  api.post(
    '/api/auth/login',
    {
      schema: {
        tags: TAGS,
        summary: 'Sign a new device in with a username and password',
        body: LoginRequest,
        response: { 200: SessionResponse, ...errors(400, 401, 429) },
      },
    },
    async (request) => {
      // The account key is the name as typed (normalised), known or not, so that the
      // answer for an unknown name is the same as for a real one.
      const account = normaliseUsername(request.body.username);
      await limits.loginPerIp.consume(request.ip);
      await limits.loginPerAccount.consume(account);
      const session = await service.login(request.body, contextOf(request));
      await limits.loginPerAccount.reset(account);
      return session;
    },
  );

  api.post(
    '/api/auth/logout',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: "Sign this session's device out (or revoke this API token) at once",
        security: SIGNED_IN,
        response: { 204: NoContent, ...errors(401) },
      },
    },
    async (request, reply) => {
      await service.logout(principalOf(request));
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/auth/password',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: 'Change the password; every other device is signed out',
        security: SIGNED_IN,
        body: ChangePasswordRequest,
        response: { 204: NoContent, ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      // Confirming with the password is a guess like a login: same budget.
      await limits.loginPerAccount.consume(principal.username);
      await service.changePassword(
        principal,
        request.body.currentPassword,
        request.body.newPassword,
      );
      await limits.loginPerAccount.reset(principal.username);
      return reply.code(204).send();
    },
  );

  api.get(
    '/api/me',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: 'The signed-in account',
        security: SIGNED_IN,
        response: { 200: Me, ...errors(401) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return me(await service.me(principal), principal.deviceId);
    },
  );

  api.patch(
    '/api/me',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: 'Change the display name or hide the last-seen time',
        security: SIGNED_IN,
        body: UpdateMeRequest,
        response: { 200: Me, ...errors(400, 401) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      return me(await service.updateMe(principal, request.body), principal.deviceId);
    },
  );

  api.get(
    '/api/users/by-username/:username',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: 'Find a user by username (case-insensitive)',
        security: SIGNED_IN,
        params: UsernameParams,
        response: { 200: PublicUser, ...errors(401, 404, 429) },
      },
    },
    async (request) => {
      await limits.lookupsPerUser.consume(principalOf(request).userId);
      return publicUser(await service.userByUsername(request.params.username));
    },
  );

  api.get(
    '/api/users/:userId',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: 'Find a user by id',
        security: SIGNED_IN,
        params: UserIdParams,
        response: { 200: PublicUser, ...errors(401, 404, 429) },
      },
    },
    async (request) => {
      await limits.lookupsPerUser.consume(principalOf(request).userId);
      return publicUser(await service.userById(request.params.userId));
    },
  );

  api.get(
    '/api/devices',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: "The account's devices, oldest first",
        security: SIGNED_IN,
        response: { 200: DeviceList, ...errors(401) },
      },
    },
    async (request) => ({
      items: (await service.listDevices(principalOf(request))).map(device),
    }),
  );

  api.delete(
    '/api/devices/:deviceId',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: 'Sign a device out at once (sessions only)',
        security: SIGNED_IN,
        params: DeviceIdParams,
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await service.revokeDevice(principalOf(request), request.params.deviceId);
      return reply.code(204).send();
    },
  );

  api.post(
    '/api/devices/sign-out-others',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: 'Sign out every device but this one, at once (sessions only)',
        security: SIGNED_IN,
        response: { 200: SignOutOthersResponse, ...errors(401, 403) },
      },
    },
    async (request) => ({
      signedOut: await service.signOutOtherDevices(principalOf(request)),
    }),
  );

  api.post(
    '/api/tokens',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: 'Create a personal API token (sessions only); the secret is shown once',
        security: SIGNED_IN,
        body: CreateApiTokenRequest,
        response: { 201: CreatedApiToken, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const created = await service.createApiToken(principalOf(request), request.body);
      return reply.code(201).send({ ...apiToken(created), token: created.token });
    },
  );

  api.get(
    '/api/tokens',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: "The account's personal API tokens, without their secrets",
        security: SIGNED_IN,
        response: { 200: ApiTokenList, ...errors(401) },
      },
    },
    async (request) => ({
      items: (await service.listApiTokens(principalOf(request))).map(apiToken),
    }),
  );

  api.delete(
    '/api/tokens/:tokenId',
    {
      ...signedIn,
      schema: {
        tags: TAGS,
        summary: 'Revoke a personal API token at once (sessions only)',
        security: SIGNED_IN,
        params: TokenIdParams,
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await service.revokeApiToken(principalOf(request), request.params.tokenId);
      return reply.code(204).send();
    },
  );
}

function me(user: UserRecord, deviceId: string | null): Me {
  return {
    ...publicUser(user),
    deviceId,
    hideLastSeen: user.hideLastSeen,
    createdAt: iso(user.createdAt),
  };
}
