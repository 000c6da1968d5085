import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { AppError } from '@switchboard/shared';
import { LogController, fastify, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Deps } from './deps.js';
import { installAccounts, type AccountsModule } from './domains/accounts/accounts.module.js';
import { installChat, type ChatModule } from './domains/chat/chat.module.js';
import { installLinks, type LinksModule } from './domains/links/links.module.js';
import type { RawRoute } from './domains/links/redirect.routes.js';
import {
  answerClientError,
  answerFrameworkError,
  installErrorHandling,
  sendRawError,
} from './http/errors.js';
import { installHealth } from './http/health.js';
import { installOpenApi } from './http/openapi.js';
import { installWebApp } from './http/web-app.js';
import { installMetrics, installMetricsRoute } from './observability/metrics.js';
import { lazyChildLoggerFactory } from './observability/request-logger.js';

/** A route as registered, for the check that the OpenAPI document covers every API route. */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly hidden: boolean;
}

/** The assembled server: the Fastify instance and the domain modules, for tests. */
export interface App {
  readonly http: FastifyInstance;
  readonly accounts: AccountsModule;
  readonly links: LinksModule | null;
  readonly chat: ChatModule | null;
  readonly routes: readonly RouteEntry[];
  /** Stops taking requests, finishes those in flight, flushes buffered work. Idempotent. */
  close(): Promise<void>;
}

/** How long an idle keep-alive connection stays open (Fastify's default). */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;

/**
 * A request that arrives while the server closes (on a connection still open: new ones
 * are refused): 503 `SERVICE_UNAVAILABLE` at once, with `Connection: close`, so that
 * the client or the load balancer goes to another node rather than wait for this one's
 * handlers (as Fastify's own 503 does, in its own shape). `/readyz` alone goes on to its
 * route, which says why it is not ready in its documented shape.
 */
function drainAnswer(request: IncomingMessage, response: ServerResponse, route: () => void): void {
  const path = request.url?.split('?')[0];
  if (path === '/readyz' || path === '/readyz/') return route();
  sendRawError(
    request,
    response,
    new AppError('SERVICE_UNAVAILABLE', 'This server is shutting down: try again.'),
    { connection: 'close' },
  );
}

/** Builds the whole server from its dependencies; `main.ts` and the tests both call it. */
export async function createApp(deps: Deps): Promise<App> {
  const { config, logger } = deps;
  const { trustProxy } = config;
  let closing = false;
  // Set once the links are installed: the redirect's fast path, tried before Fastify.
  // Off while closing (`drainAnswer` answers) and when every request is to be logged.
  let rawRedirect: RawRoute | null = null;
  const http: FastifyInstance = fastify({
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    serverFactory: (handler) => {
      const server = createServer((request: IncomingMessage, response: ServerResponse) => {
        if (closing) drainAnswer(request, response, () => handler(request, response));
        else if (rawRedirect === null) handler(request, response);
        else rawRedirect(request, response, () => handler(request, response));
      });
      // What Fastify sets on the server it makes itself, with its defaults.
      server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
      server.requestTimeout = 0;
      server.setTimeout(0);
      return server;
    },
    // Fastify's logger type is a narrower view of pino's; the instance is the same, and
    // without the cast the app's type would differ from the `FastifyInstance` plugins take.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !config.env.LOG_REQUESTS }),
    // Without request logging nearly no request logs: its child logger is made on demand.
    ...(config.env.LOG_REQUESTS ? {} : { childLoggerFactory: lazyChildLoggerFactory }),
    // A hop count trusts that many proxies in front of this one (as proxy-addr does).
    trustProxy:
      typeof trustProxy === 'number'
        ? (_address: string, hop: number) => hop < trustProxy
        : trustProxy,
    // While closing, requests still arriving on open connections are answered by
    // `drainAnswer` (in the one error shape), not by Fastify's own 503.
    return503OnClosing: false,
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 256, ignoreTrailingSlash: true },
    requestIdHeader: 'x-request-id',
    // What the router refuses before any route runs (a path that does not decode, a
    // segment over `maxParamLength`) and what Node's HTTP parser refuses: in the one
    // error shape, not Fastify's (http/errors.ts says which status and why).
    frameworkErrors: (error, request, reply) => {
      answerFrameworkError(error, request, reply);
      // No hook sees these answers: counted here, with the not-found ones.
      httpMetrics.unmatched(request, reply);
    },
    clientErrorHandler: answerClientError,
  });
  http.setValidatorCompiler(validatorCompiler);
  http.setSerializerCompiler(serializerCompiler);

  const routes: RouteEntry[] = [];
  http.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      routes.push({ method, url: route.url, hidden: route.schema?.hide === true });
    }
  });

  // Metrics first: each route registered after this gets its own duration hook.
  const httpMetrics = installMetrics(http, deps.metrics);
  installErrorHandling(http);
  await installOpenApi(http, config.publicUrl);
  installHealth(http, deps, () => closing);
  installMetricsRoute(http, deps.metrics);

  const accounts = await installAccounts(http, deps);
  const links = config.services.links
    ? await installLinks(http, deps, accounts, httpMetrics)
    : null;
  const chat = config.services.chat ? await installChat(http, deps, accounts) : null;
  await installWebApp(http, config.webDistDir, logger);
  await http.ready();
  if (links !== null && !config.env.LOG_REQUESTS) rawRedirect = links.rawRedirect;

  let closed: Promise<void> | undefined;
  return {
    http,
    accounts,
    links,
    chat,
    routes,
    close() {
      closing = true;
      closed ??= http.close();
      return closed;
    },
  };
}
