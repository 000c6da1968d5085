import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';

/**
 * `/healthz`: the process is up. `/readyz`: it can serve, with every dependency
 * answering; 503 while shutting down, so a load balancer stops sending traffic.
 */
export function installHealth(app: FastifyInstance, deps: Deps, isClosing: () => boolean): void {
  app.get('/healthz', { schema: { hide: true } }, () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
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
          checks[name] = error instanceof Error ? error.message : 'failed';
        }
      }),
    );
    reply.code(ready ? 200 : 503);
    return { status: ready ? 'ready' : 'unavailable', checks };
  });
}
