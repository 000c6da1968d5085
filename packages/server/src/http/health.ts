import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { OPERATIONS_TAG } from './openapi.js';

const Health = z
  .object({ status: z.literal('ok') })
  .describe('The process is up and its event loop answers');

const Readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z
    .record(z.string(), z.string())
    .describe(
      'Each check (`database`; `redis` and `nats` in a cluster; `chat-inbox` with `CHAT_INBOX_STORES`) with `ok` or `failed` (the cause goes to the log), and `server: shutting down` while the node drains',
    ),
});

/**
 * `/healthz`: the process is up. `/readyz`: it can serve, with every dependency
 * answering; 503 while shutting down, so a load balancer stops sending traffic.
 */
export function installHealth(app: FastifyInstance, deps: Deps, isClosing: () => boolean): void {
  app.get(
    '/healthz',
    {
      schema: {
        tags: [OPERATIONS_TAG],
        summary: 'Liveness: the process is up',
        description:
          'Checks nothing but the process itself: for a supervisor deciding whether to restart it. Load balancers should use `/readyz`. No authentication.',
        response: { 200: Health },
      },
    },
    () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags: [OPERATIONS_TAG],
        summary: 'Readiness: the node can serve requests',
        description:
          'Checks every dependency the node needs (the database, and Redis, NATS and the chat inbox stores where configured). Answers 503 while any check fails and from the moment the node starts shutting down, so that a load balancer stops sending it traffic before it closes. No authentication.',
        response: {
          200: Readiness.describe('Every dependency answers'),
          503: Readiness.describe('A dependency failed, or the node is shutting down'),
        },
      },
    },
    async (_request, reply) => {
      const checks: Record<string, string> = {};
      let ready = !isClosing();
      if (!ready) checks.server = 'shutting down';
      const all = [
        {
          name: 'database',
          check: () => sql`select 1`.execute(deps.database.db).then(() => undefined),
        },
        ...deps.readiness,
      ];
      await Promise.all(
        all.map(async ({ name, check }) => {
          try {
            await check();
            checks[name] = 'ok';
          } catch (error) {
            ready = false;
            // The cause is logged, not shown: a driver's message may name hosts and users.
            deps.logger.warn({ err: error, check: name }, 'readiness check failed');
            checks[name] = 'failed';
          }
        }),
      );
      reply.code(ready ? 200 : 503);
      return { status: ready ? 'ready' : 'unavailable', checks };
    },
  );
}
