import {
  AddMemberRequest,
  BlockList,
  CreateGroupRequest,
  ErrorResponse,
  Group,
  GroupIdParams,
  GroupList,
  GroupMemberParams,
  PageQuery,
  UpdateGroupRequest,
  UpdateMemberRequest,
  UserIdParams,
  UserPresence,
} from '@switchboard/shared';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, type AuthHooks } from '../../http/auth.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { BlockService } from './block-service.js';
import type { GroupService } from './group-service.js';
import type { GroupRecord } from './group-store.js';
import type { PresenceService } from './presence-service.js';

/** What the chat routes call. */
export interface ChatRouteDeps {
  readonly groups: GroupService;
  readonly blocks: BlockService;
  readonly presence: PresenceService;
  readonly auth: AuthHooks;
  /** Requests per signed-in user across the chat API. */
  readonly limiter: RateLimiter;
}

const GROUPS = ['groups'];
const CHAT = ['chat'];
const SIGNED_IN = [{ bearer: [] }];
const NoContent = z.undefined().describe('Done; no body');

function errors(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function present(group: GroupRecord): Group {
  return {
    groupId: group.groupId,
    name: group.name,
    members: group.members.map((m) => ({ userId: m.userId, role: m.role })),
    createdAt: iso(group.createdAt),
  };
}

/** Registers the chat HTTP API: groups, blocks and presence. Thin edges over the services. */
export function registerChatRoutes(app: FastifyInstance, deps: ChatRouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { groups, blocks, presence, auth, limiter } = deps;
  // Authenticated, then counted against the caller's budget.
  const signedIn = {
    preHandler: async (request: FastifyRequest) => {
      await auth.requireAuth(request);
      await limiter.consume(principalOf(request).userId);
    },
  };

  api.post(
    '/api/groups',
    {
      ...signedIn,
      schema: {
        tags: GROUPS,
        summary: 'Create a group; the creator is its admin',
        security: SIGNED_IN,
        body: CreateGroupRequest,
        response: { 201: Group, ...errors(400, 401, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const group = await groups.create(principalOf(request).userId, request.body);
      return reply.code(201).send(present(group));
    },
  );

  api.get(
    '/api/groups',
    {
      ...signedIn,
      schema: {
        tags: GROUPS,
        summary: "The caller's groups, by group id",
        security: SIGNED_IN,
        querystring: PageQuery,
        response: { 200: GroupList, ...errors(400, 401, 429) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const page = await groups.list(principalOf(request).userId, limit + 1, cursor);
      const items = page.slice(0, limit);
      return {
        items: items.map((g) => ({
          groupId: g.groupId,
          name: g.name,
          createdAt: iso(g.createdAt),
          memberCount: g.memberCount,
          role: g.role,
        })),
        nextCursor: page.length > limit ? (items[items.length - 1]?.groupId ?? null) : null,
      };
    },
  );

  api.get(
    '/api/groups/:groupId',
    {
      ...signedIn,
      schema: {
        tags: GROUPS,
        summary: 'A group and its members (members only)',
        security: SIGNED_IN,
        params: GroupIdParams,
        response: { 200: Group, ...errors(401, 404, 429) },
      },
    },
    async (request) =>
      present(await groups.get(principalOf(request).userId, request.params.groupId)),
  );

  api.patch(
    '/api/groups/:groupId',
    {
      ...signedIn,
      schema: {
        tags: GROUPS,
        summary: 'Rename a group (admins)',
        security: SIGNED_IN,
        params: GroupIdParams,
        body: UpdateGroupRequest,
        response: { 200: Group, ...errors(400, 401, 403, 404, 429) },
      },
    },
    async (request) =>
      present(
        await groups.rename(principalOf(request).userId, request.params.groupId, request.body.name),
      ),
  );

  api.post(
    '/api/groups/:groupId/members',
    {
      ...signedIn,
      schema: {
        tags: GROUPS,
        summary: 'Add a member (admins)',
        security: SIGNED_IN,
        params: GroupIdParams,
        body: AddMemberRequest,
        response: { 200: Group, ...errors(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) =>
      present(
        await groups.addMember(
          principalOf(request).userId,
          request.params.groupId,
          request.body.userId,
        ),
      ),
  );

  api.delete(
    '/api/groups/:groupId/members/:userId',
    {
      ...signedIn,
      schema: {
        tags: GROUPS,
        summary: 'Remove a member (admins), or leave the group (your own user id)',
        security: SIGNED_IN,
        params: GroupMemberParams,
        response: { 204: NoContent, ...errors(401, 403, 404, 429) },
      },
    },
    async (request, reply) => {
      await groups.removeMember(
        principalOf(request).userId,
        request.params.groupId,
        request.params.userId,
      );
      return reply.code(204).send();
    },
  );

  api.patch(
    '/api/groups/:groupId/members/:userId',
    {
      ...signedIn,
      schema: {
        tags: GROUPS,
        summary: "Change a member's role (admins); the last admin cannot be demoted",
        security: SIGNED_IN,
        params: GroupMemberParams,
        body: UpdateMemberRequest,
        response: { 200: Group, ...errors(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) =>
      present(
        await groups.setRole(
          principalOf(request).userId,
          request.params.groupId,
          request.params.userId,
          request.body.role,
        ),
      ),
  );

  api.get(
    '/api/blocks',
    {
      ...signedIn,
      schema: {
        tags: CHAT,
        summary: 'The users the caller blocked, by user id',
        security: SIGNED_IN,
        querystring: PageQuery,
        response: { 200: BlockList, ...errors(400, 401, 429) },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      const page = await blocks.list(principalOf(request).userId, limit + 1, cursor);
      const items = page.slice(0, limit);
      return {
        items: items.map((b) => ({ userId: b.userId, createdAt: iso(b.createdAt) })),
        nextCursor: page.length > limit ? (items[items.length - 1]?.userId ?? null) : null,
      };
    },
  );

  api.put(
    '/api/blocks/:userId',
    {
      ...signedIn,
      schema: {
        tags: CHAT,
        summary: 'Block a user: their messages are refused, and typing and presence stop both ways',
        security: SIGNED_IN,
        params: UserIdParams,
        response: { 204: NoContent, ...errors(400, 401, 404, 429) },
      },
    },
    async (request, reply) => {
      await blocks.block(principalOf(request).userId, request.params.userId);
      return reply.code(204).send();
    },
  );

  api.delete(
    '/api/blocks/:userId',
    {
      ...signedIn,
      schema: {
        tags: CHAT,
        summary: 'Unblock a user',
        security: SIGNED_IN,
        params: UserIdParams,
        response: { 204: NoContent, ...errors(401, 429) },
      },
    },
    async (request, reply) => {
      await blocks.unblock(principalOf(request).userId, request.params.userId);
      return reply.code(204).send();
    },
  );

  api.get(
    '/api/users/:userId/presence',
    {
      ...signedIn,
      schema: {
        tags: CHAT,
        summary: "A contact's presence: online, or when last seen (404 for a non-contact)",
        security: SIGNED_IN,
        params: UserIdParams,
        response: { 200: UserPresence, ...errors(401, 404, 429) },
      },
    },
    async (request) => presence.presenceOf(principalOf(request).userId, request.params.userId),
  );
}
