import {
  AppError,
  CreateLinkRequest,
  ErrorResponse,
  Link,
  LinkCodeParams,
  LinkPage,
  LinkStats,
  LinkStatsQuery,
  ListLinksQuery,
  QrCodeQuery,
  UnlockLinkRequest,
  UnlockLinkResponse,
  UpdateLinkRequest,
} from '@switchboard/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { principalOf, type AuthHooks } from '../../http/auth.js';
import type { RateLimiter } from '../../rate-limit/rate-limiter.js';
import type { QrFormat, QrRenderer } from './link-qr.js';
import type { LinkService } from './link-service.js';

/** The creation budgets: per client address for anonymous callers, per account otherwise. */
export interface LinkCreationLimits {
  /** Null when LINKS_PER_MINUTE_PER_IP is 0. */
  readonly perIp: RateLimiter | null;
  /** Null when LINKS_PER_MINUTE_PER_ACCOUNT is 0. */
  readonly perAccount: RateLimiter | null;
  /** Lower-case usernames with no creation limit (RATE_LIMIT_EXEMPT_USERS). */
  readonly exemptUsers: ReadonlySet<string>;
}

const TAGS = ['links'];
const SIGNED_IN: Array<Record<string, string[]>> = [{ bearer: [] }];
const SIGNED_IN_OR_NOT: Array<Record<string, string[]>> = [{ bearer: [] }, {}];
const NoContent = z.undefined().describe('Deleted; no body');

/** Error answers a route documents, by status. */
function errors(...statuses: number[]): Record<number, typeof ErrorResponse> {
  return Object.fromEntries(statuses.map((s) => [s, ErrorResponse]));
}

function qrResponse(contentType: string, description: string) {
  return {
    200: {
      description,
      content: { [contentType]: { schema: z.string().meta({ format: 'binary' }) } },
    },
    ...errors(400, 404),
  };
}

/** Registers the links API: thin edges over the `LinkService`. */
export function registerLinkRoutes(
  app: FastifyInstance,
  service: LinkService,
  auth: AuthHooks,
  limits: LinkCreationLimits,
  qr: QrRenderer,
): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const optional = (request: FastifyRequest) => auth.optionalAuth(request);
  const required = (request: FastifyRequest) => auth.requireAuth(request);
  const callerOf = (request: FastifyRequest) => request.principal?.userId ?? null;

  const limitCreation = async (request: FastifyRequest): Promise<void> => {
    const principal = request.principal;
    if (principal === null) await limits.perIp?.consume(request.ip);
    else if (!limits.exemptUsers.has(principal.username.toLowerCase())) {
      await limits.perAccount?.consume(principal.userId);
    }
  };

  api.post(
    '/api/links',
    {
      schema: {
        tags: TAGS,
        summary: 'Shorten a URL',
        description:
          'Anonymous or signed in (the link then belongs to the account). Rate-limited per client address (anonymous) or per account.',
        security: SIGNED_IN_OR_NOT,
        body: CreateLinkRequest,
        response: { 201: Link, ...errors(400, 401, 409, 429) },
      },
      preHandler: [optional, limitCreation],
    },
    async (request, reply) => {
      const link = await service.create(request.body, callerOf(request));
      return reply.code(201).header('location', `/api/links/${link.code}`).send(link);
    },
  );

  api.get(
    '/api/links',
    {
      schema: {
        tags: TAGS,
        summary: "The caller's links, newest first",
        security: SIGNED_IN,
        querystring: ListLinksQuery,
        response: { 200: LinkPage, ...errors(400, 401) },
      },
      preHandler: required,
    },
    (request) =>
      service.list(principalOf(request).userId, request.query.limit, request.query.cursor),
  );

  api.get(
    '/api/links/:code',
    {
      schema: {
        tags: TAGS,
        summary: 'A link and its click count',
        description:
          "Its owner only, when it has one; anyone for an anonymous link (except a password-protected one's target).",
        security: SIGNED_IN_OR_NOT,
        params: LinkCodeParams,
        response: { 200: Link, ...errors(401, 403, 404) },
      },
      preHandler: optional,
    },
    (request) => service.get(request.params.code, callerOf(request)),
  );

  api.patch(
    '/api/links/:code',
    {
      schema: {
        tags: TAGS,
        summary: 'Change a link (its owner only)',
        description: '`null` clears the expiry date, the click limit or the password.',
        security: SIGNED_IN,
        params: LinkCodeParams,
        body: UpdateLinkRequest,
        response: { 200: Link, ...errors(400, 401, 403, 404) },
      },
      preHandler: required,
    },
    (request) => service.update(request.params.code, callerOf(request), request.body),
  );

  api.delete(
    '/api/links/:code',
    {
      schema: {
        tags: TAGS,
        summary: 'Delete a link and its statistics (its owner only)',
        security: SIGNED_IN,
        params: LinkCodeParams,
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
      preHandler: required,
    },
    async (request, reply) => {
      await service.delete(request.params.code, callerOf(request));
      return reply.code(204).send();
    },
  );

  api.get(
    '/api/links/:code/stats',
    {
      schema: {
        tags: TAGS,
        summary: 'Clicks by day, referrer, device and browser',
        description:
          'Its owner only, when the link has one. Includes clicks not yet written to the database.',
        security: SIGNED_IN_OR_NOT,
        params: LinkCodeParams,
        querystring: LinkStatsQuery,
        response: { 200: LinkStats, ...errors(400, 401, 403, 404) },
      },
      preHandler: optional,
    },
    (request) => service.stats(request.params.code, callerOf(request), request.query.days),
  );

  api.post(
    '/api/links/:code/unlock',
    {
      schema: {
        tags: TAGS,
        summary: 'Follow a password-protected link: its target, for the right password',
        description:
          'Counts a click, like following the link. Attempts are limited per link and client address (LINK_PASSWORD_ATTEMPTS per 15 minutes).',
        params: LinkCodeParams,
        body: UnlockLinkRequest,
        response: { 200: UnlockLinkResponse, ...errors(400, 401, 404, 410, 429) },
      },
    },
    (request) =>
      service.unlock(
        request.params.code,
        request.body.password,
        request.ip,
        request.headers['user-agent'],
        request.headers.referer,
      ),
  );

  const qrRoute = (format: QrFormat, contentType: string) =>
    api.get(
      `/api/links/:code/qr.${format}`,
      {
        schema: {
          tags: TAGS,
          summary: `The link's QR code as ${format.toUpperCase()}`,
          description: 'Encodes the short URL, so scans are counted and follow later changes.',
          params: LinkCodeParams,
          querystring: QrCodeQuery,
          response: qrResponse(contentType, `A QR code of the short URL (${contentType})`),
        },
      },
      async (request, reply) => {
        const link = await service.resolve(request.params.code);
        if (link === null) {
          throw new AppError('LINK_NOT_FOUND', `No link has the code "${request.params.code}".`);
        }
        const image = await qr.render(service.shortUrl(link.code), format, request.query);
        // The documented body is binary, which the JSON type provider cannot express.
        return (reply as FastifyReply)
          .type(contentType)
          .header('cache-control', 'public, max-age=86400')
          .header('content-disposition', `inline; filename="${link.code}.${format}"`)
          .send(image);
      },
    );
  qrRoute('svg', 'image/svg+xml');
  qrRoute('png', 'image/png');
}
