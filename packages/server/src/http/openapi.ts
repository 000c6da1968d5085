import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { ERRORS } from '@switchboard/shared';

/**
 * Generates the OpenAPI document from the routes' own zod schemas and serves it at
 * `GET /api/openapi.json`. Routes that are not API (pages, assets) set `hide: true`.
 */
export async function installOpenApi(app: FastifyInstance, publicUrl: URL): Promise<void> {
  const codes = Object.entries(ERRORS)
    .map(([code, spec]) => `| \`${code}\` | ${spec.status} | ${spec.description} |`)
    .join('\n');
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Switchboard',
        version: '1.0.0',
        description: [
          'The HTTP API of Switchboard: accounts, links and chat. The WebSocket protocol at `/ws` is described in docs/protocol.md.',
          '',
          'Every error answers `{ "error": { "code", "message" } }` with a code from the table below (outside `/api/`, browsers sending `Accept: text/html` get an HTML page instead). That includes what the server refuses before any route: a path that does not percent-decode to UTF-8 or has a segment over 256 characters is 404 `NOT_FOUND`, a request the HTTP parser refuses (malformed, headers over 16 KB) 400 `INVALID_REQUEST`, and a request arriving while the server shuts down 503 `SERVICE_UNAVAILABLE`.',
          '',
          '| code | status | meaning |',
          '|---|---|---|',
          codes,
        ].join('\n'),
      },
      servers: [{ url: publicUrl.origin }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A session token or a personal API token',
          },
        },
      },
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
}
