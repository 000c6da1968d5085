import type { IncomingMessage, ServerResponse } from 'node:http';
import { AppError, LINK_CODE_PATTERN, isReservedPath } from '@switchboard/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpMetrics } from '../../observability/metrics.js';
import { sendError, toAppError } from '../../http/errors.js';
import { wantsHtml } from '../../http/html.js';
import type { CachedLink } from './link-cache.js';
import { renderPasswordPage, renderPreviewPage, setPageHeaders } from './link-pages.js';
import { exhaustedError, expiredError, type LinkService } from './link-service.js';

/** Counters of the redirect path, read by the metrics collector (no work per request). */
export interface RedirectCounters {
  cacheHits: number;
  negativeHits: number;
  cacheMisses: number;
  redirects: number;
}

const PLUS = 43; // '+'
const SLASH = 47; // '/'

/**
 * A route answered straight from `node:http`, in front of Fastify: it answers the
 * request, or hands it to `fallback` (Fastify's handler) untouched.
 */
export type RawRoute = (
  request: IncomingMessage,
  response: ServerResponse,
  fallback: () => void,
) => void;

function notFound(code: string): AppError {
  return new AppError('LINK_NOT_FOUND', `No link has the code "${code}".`);
}

function passwordRequired(): AppError {
  return new AppError(
    'LINK_PASSWORD_REQUIRED',
    'This link is password-protected: open it in a browser, or POST the password to /api/links/:code/unlock.',
  );
}

/**
 * Registers the public link paths, which are pages rather than API: `GET /:code` (the
 * redirect, the hot path of the product), `GET /:code+` (the preview) and
 * `POST /:code+` (the password form). Static routes (the web app, the API, health)
 * win over `/:code` in Fastify's router, and reserved paths are never codes.
 */
export async function registerRedirectRoutes(
  app: FastifyInstance,
  service: LinkService,
  counters: RedirectCounters,
  metrics: HttpMetrics,
): Promise<RawRoute> {
  /** Counts a redirect that went out and records its click (GET only). */
  const redirected = (request: IncomingMessage, link: CachedLink, counted: boolean): void => {
    counters.redirects++;
    if (request.method === 'GET') {
      service.recordClick(link, counted, request.headers['user-agent'], request.headers.referer);
    }
  };

  /** Sends the redirect; the click is recorded after the answer has gone out. */
  const redirect = (
    request: FastifyRequest,
    reply: FastifyReply,
    link: CachedLink,
    counted: boolean,
  ): void => {
    reply.code(link.redirectType).header('location', link.url).send();
    redirected(request.raw, link, counted);
  };

  /** Requests whose cache miss the raw route counted before handing them to Fastify. */
  const missCounted = new WeakSet<IncomingMessage>();

  const locked = (request: FastifyRequest, reply: FastifyReply, link: CachedLink) => {
    if (!wantsHtml(request)) return sendError(request, reply, passwordRequired());
    return setPageHeaders(reply.code(401)).send(renderPasswordPage(link.code, null));
  };

  const followLimited = async (
    request: FastifyRequest,
    reply: FastifyReply,
    link: CachedLink,
  ): Promise<FastifyReply> => {
    // A HEAD request looks without taking one of the link's clicks.
    if (request.method === 'HEAD') {
      return reply.code(link.redirectType).header('location', link.url).send();
    }
    const outcome = await service.followLimited(link);
    if (outcome === 'exhausted') return sendError(request, reply, exhaustedError());
    redirect(request, reply, link, outcome === 'counted');
    return reply;
  };

  /** Answers for a known link; synchronous (returns undefined) for a plain redirect. */
  const answer = (
    request: FastifyRequest,
    reply: FastifyReply,
    link: CachedLink,
  ): Promise<FastifyReply> | undefined => {
    switch (service.stateOf(link, service.now())) {
      case 'follow':
        if (link.maxClicks !== null) return followLimited(request, reply, link);
        redirect(request, reply, link, false);
        return undefined;
      case 'expired':
        sendError(request, reply, expiredError());
        return undefined;
      case 'exhausted':
        sendError(request, reply, exhaustedError());
        return undefined;
      case 'locked':
        locked(request, reply, link);
        return undefined;
    }
  };

  const slowPath = async (
    request: FastifyRequest,
    reply: FastifyReply,
    code: string,
  ): Promise<FastifyReply> => {
    if (!missCounted.has(request.raw)) counters.cacheMisses++;
    if (!LINK_CODE_PATTERN.test(code)) return sendError(request, reply, notFound(code));
    const link = await service.resolve(code);
    if (link === null) return sendError(request, reply, notFound(code));
    await answer(request, reply, link);
    return reply;
  };

  const preview = async (
    request: FastifyRequest,
    reply: FastifyReply,
    code: string,
  ): Promise<FastifyReply> => {
    const link = LINK_CODE_PATTERN.test(code) ? await service.resolve(code) : null;
    if (link === null) return sendError(request, reply, notFound(code));
    switch (service.stateOf(link, service.now())) {
      case 'expired':
        return sendError(request, reply, expiredError());
      case 'exhausted':
        return sendError(request, reply, exhaustedError());
      case 'locked':
        return setPageHeaders(reply).send(renderPasswordPage(link.code, null));
      case 'follow':
        return setPageHeaders(reply).send(
          renderPreviewPage(link.code, service.shortUrl(link.code), link.url),
        );
    }
  };

  await app.register((scope, _options, done) => {
    // The password form posts `application/x-www-form-urlencoded`; only these routes
    // accept it, with a small limit.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 4096 },
      (_request, body, parsed) => {
        parsed(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );

    scope.get('/:code', { schema: { hide: true } }, (request, reply) => {
      const code = (request.params as { code: string }).code;
      if (code.charCodeAt(code.length - 1) === PLUS) {
        return preview(request, reply, code.slice(0, -1));
      }
      const link = service.peek(code);
      if (link === undefined) return slowPath(request, reply, code);
      if (link === null) {
        if (!missCounted.has(request.raw)) counters.negativeHits++;
        sendError(request, reply, notFound(code));
        return undefined;
      }
      if (!missCounted.has(request.raw)) counters.cacheHits++;
      return answer(request, reply, link);
    });

    scope.post('/:code', { schema: { hide: true } }, async (request, reply) => {
      const path = (request.params as { code: string }).code;
      if (path.charCodeAt(path.length - 1) !== PLUS) {
        return sendError(
          request,
          reply,
          new AppError('METHOD_NOT_ALLOWED', 'Links are followed with GET.'),
        );
      }
      const code = path.slice(0, -1);
      const body = request.body as Record<string, unknown> | undefined;
      const password = typeof body?.password === 'string' ? body.password : '';
      try {
        const { url } = await service.unlock(
          code,
          password,
          request.ip,
          request.headers['user-agent'],
          request.headers.referer,
        );
        // 303: the browser follows with a GET, whatever the link's own redirect type.
        return reply.code(303).header('location', url).header('cache-control', 'no-store').send();
      } catch (thrown) {
        const error = toAppError(thrown);
        if (error.code !== 'LINK_PASSWORD_INVALID' && error.code !== 'RATE_LIMITED') throw error;
        if (error.retryAfterSeconds !== undefined) {
          reply.header('retry-after', String(error.retryAfterSeconds));
        }
        const problem =
          error.code === 'RATE_LIMITED'
            ? `Too many attempts: try again in ${error.retryAfterSeconds ?? 60} seconds.`
            : 'That password is not right. Try again.';
        return setPageHeaders(reply.code(error.status)).send(renderPasswordPage(code, problem));
      }
    });
    done();
  });

  // ---------------------------------------------------------------- the raw fast path

  const recorders = {
    GET: metrics.recorder('GET', '/:code'),
    HEAD: metrics.recorder('HEAD', '/:code'),
  };
  /** A plain follow: what the raw route answers; everything else is Fastify's. */
  const plain = (link: CachedLink): boolean =>
    link.maxClicks === null && service.stateOf(link, service.now()) === 'follow';
  const send = (
    request: IncomingMessage,
    response: ServerResponse,
    link: CachedLink,
    method: 'GET' | 'HEAD',
    start: number,
    fallback: () => void,
  ): void => {
    try {
      response.writeHead(link.redirectType, { location: link.url, 'content-length': '0' });
    } catch {
      // A target Node refuses as a header: Fastify's route answers it (as an error).
      return fallback();
    }
    response.end();
    recorders[method](link.redirectType, (performance.now() - start) / 1000);
    redirected(request, link, false);
  };

  /** A cache miss of the raw route, waiting to be read with the others of its turn. */
  interface Miss {
    readonly request: IncomingMessage;
    readonly response: ServerResponse;
    readonly code: string;
    readonly method: 'GET' | 'HEAD';
    readonly start: number;
    readonly handOver: () => void;
  }
  let misses: Miss[] = [];

  /** Answers a miss with what the store said, or hands it to Fastify's route. */
  const answerMiss = (miss: Miss, found: CachedLink | null | undefined): void => {
    if (found === undefined || found === null || !plain(found)) return miss.handOver();
    send(miss.request, miss.response, found, miss.method, miss.start, miss.handOver);
  };

  /**
   * Reads and answers the misses that came in this turn's I/O callbacks, back to back.
   * Measured in `bench:links` (uniform phase): a miss read inside its request's
   * callback, between other requests' parsing and writing, cost about 45 µs of CPU
   * more than a cached redirect; read here with the others of its turn, 5 to 15 µs
   * (presumably SQLite's code and the table's upper pages stay in the processor's
   * caches, and the answers go out together).
   */
  const readMisses = (): void => {
    const waiting = misses;
    misses = [];
    const found = service.resolveAllNow(waiting.map((miss) => miss.code));
    waiting.forEach((miss, i) => {
      try {
        answerMiss(miss, found[i]);
      } catch {
        // One failed answer must not leave the others of the turn unanswered.
        if (!miss.response.headersSent) miss.handOver();
        else miss.response.destroy();
      }
    });
  };

  /**
   * The redirect of a plain link (no password, not expired, no click limit), answered
   * before Fastify builds its request and reply: the hot path of the product, at about
   * the cost of a bare `node:http` server plus the cache lookup and the click. The
   * answer is the one Fastify's route gives (same status, headers, counters, metrics
   * series and click); anything else (a preview, a query string, a locked, expired,
   * limited or unknown link, an error) goes to Fastify's route as it came.
   *
   * A cache miss on SQLite is read and answered at the end of the turn's I/O callbacks
   * (`setImmediate`), with the turn's other misses; elsewhere it waits for the store's
   * asynchronous lookup.
   */
  return (request, response, fallback) => {
    const { method, url } = request;
    if ((method !== 'GET' && method !== 'HEAD') || url === undefined) return fallback();
    const code = url.slice(1);
    if (url.charCodeAt(0) !== SLASH || !LINK_CODE_PATTERN.test(code)) return fallback();
    const start = performance.now();
    const link = service.peek(code);
    if (link === null || (link !== undefined && !plain(link))) return fallback();
    if (link !== undefined) {
      counters.cacheHits++;
      return send(request, response, link, method, start, fallback);
    }
    // The service's own paths are Fastify's, and never links.
    if (isReservedPath(code)) return fallback();
    counters.cacheMisses++;
    // Fastify's route must not count this miss again (marked only when it gets there).
    const handOver = () => {
      missCounted.add(request);
      fallback();
    };
    if (service.resolvesNow) {
      if (misses.length === 0) setImmediate(readMisses);
      misses.push({ request, response, code, method, start, handOver });
      return;
    }
    // Fastify's route meets an error again and answers it.
    service
      .resolve(code)
      .then(
        (found) => answerMiss({ request, response, code, method, start, handOver }, found),
        handOver,
      );
  };
}
