import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { ERRORS } from '@switchboard/shared';
import { z } from 'zod';

/** The tag of the routes for operators and tools: health, readiness, metrics, this document. */
export const OPERATIONS_TAG = 'operations';

/**
 * Generates the OpenAPI document from the routes' own zod schemas and serves it at
 * `GET /api/openapi.json`. Only pages for people (the short links' redirect, preview
 * and password form; the web app and its files) set `hide: true`; every other route,
 * health and metrics included, is in the document.
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
      tags: [
        {
          name: OPERATIONS_TAG,
          description:
            'For load balancers, supervisors, monitoring and tools: liveness, readiness, Prometheus metrics and this document. None needs authentication.',
        },
      ],
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
  app.get(
    '/api/openapi.json',
    {
      schema: {
        tags: [OPERATIONS_TAG],
        summary: 'This OpenAPI document',
        description:
          'The whole HTTP API as OpenAPI 3.1, generated from the schemas the server validates with.',
        response: {
          200: {
            description: 'An OpenAPI 3.1 document',
            content: { 'application/json': { schema: z.looseObject({ openapi: z.string() }) } },
          },
        },
      },
    },
    () => app.swagger(),
  );
}
