import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { AppError, type ErrorCode } from '@switchboard/shared';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { renderErrorPage, wantsHtml } from './html.js';

/** Fastify's own error codes, and the stable code each becomes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_REQUEST',
  FST_ERR_VALIDATION: 'INVALID_REQUEST',
};

/**
 * The code of a client-error status raised by something other than our code and
 * Fastify's (a plugin: @fastify/static answers a `Range` past the end of a file 416,
 * a failed `If-Match` 412, a path out of its root 403). A status the table has no code
 * for becomes `INVALID_REQUEST`: still the client's fault, and a 400 is the general
 * answer for one; it must not become a logged `INTERNAL` 500.
 */
const CLIENT_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  416: 'RANGE_NOT_SATISFIABLE',
  429: 'RATE_LIMITED',
};

/**
 * Turns anything thrown into the one error shape. `AppError`s keep their code; schema
 * failures become `INVALID_REQUEST` with the failing fields; anything unexpected
 * becomes `INTERNAL`, logged with its cause and never shown to the client.
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const details = error.validation.map((v) => ({
      path: v.instancePath || '/',
      message: v.message ?? 'invalid',
    }));
    const where = error.validationContext ?? 'request';
    // The first problem in the message too, for a reader who looks no further.
    const first = details[0];
    const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
    const said =
      first === undefined
        ? '.'
        : `: ${first.path === '/' ? '' : `${first.path}: `}${first.message}${more}`;
    return new AppError('INVALID_REQUEST', `The ${where} does not match its schema${said}`, {
      details,
    });
  }
  const fastifyError = (error ?? {}) as Partial<FastifyError>;
  const code = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (code !== undefined) return new AppError(code, fastifyError.message, { cause: error });
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError('INVALID_REQUEST', 'The body is not valid JSON.', { cause: error });
  }
  const status = fastifyError.statusCode ?? (fastifyError as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    // The library's own message may name files or internals: the status's name only.
    const reason = STATUS_CODES[status] ?? 'Client Error';
    return new AppError(
      CLIENT_STATUS_CODES[status] ?? 'INVALID_REQUEST',
      `The request was refused (${status} ${reason}).`,
      { cause: error },
    );
  }
  return new AppError('INTERNAL', 'Something went wrong on our side.', { cause: error });
}

/** Sends an error answer: JSON for API clients, an HTML page for browsers. */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: AppError,
): FastifyReply {
  if (error.retryAfterSeconds !== undefined)
    reply.header('retry-after', String(error.retryAfterSeconds));
  const { type, body } = errorAnswer(request, error);
  return reply.code(error.status).type(type).send(body);
}

/** The error page for a browser, the JSON body for an API client. */
function errorAnswer(
  request: Parameters<typeof wantsHtml>[0],
  error: AppError,
): { type: string; body: string } {
  return wantsHtml(request)
    ? { type: 'text/html; charset=utf-8', body: renderErrorPage(error) }
    : { type: 'application/json; charset=utf-8', body: JSON.stringify(error.toBody()) };
}

/**
 * Sends an error answer straight on Node's response, for a request Fastify never sees:
 * the same JSON or HTML page as `sendError`, chosen by the same rule.
 */
export function sendRawError(
  request: IncomingMessage,
  response: ServerResponse,
  error: AppError,
  headers: Record<string, string> = {},
): void {
  const { type, body } = errorAnswer(request, error);
  if (error.retryAfterSeconds !== undefined) {
    headers = { ...headers, 'retry-after': String(error.retryAfterSeconds) };
  }
  response.writeHead(error.status, {
    ...headers,
    'content-type': type,
    'content-length': String(Buffer.byteLength(body)),
  });
  response.end(body);
}

/** Installs the error and not-found handlers on an app. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((raw, request, reply) => {
    const error = toAppError(raw);
    if (error.code === 'INTERNAL') {
      request.log.error({ err: raw }, 'unhandled error');
    } else if (error.status >= 500) {
      request.log.warn({ err: raw, code: error.code }, 'request failed');
    }
    return sendError(request, reply, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new AppError('NOT_FOUND', `Nothing at ${request.method} ${request.url.split('?')[0]}.`),
    ),
  );
}

/** How much of a refused path an error message quotes. */
const QUOTED_PATH_MAX = 80;

/**
 * The error for what Fastify's router refuses before any route, hook or handler runs:
 * a path that does not percent-decode to UTF-8 (`/%ff`, `/%`, `/%zz`:
 * `FST_ERR_BAD_URL`) or with a parameter over `maxParamLength` (`FST_ERR_MAX_PARAM_LENGTH`).
 *
 * Both are 404 `NOT_FOUND`, for browsers and API clients alike, rather than 400 or
 * Fastify's 414: the router found no route for the path, which is what the not-found
 * handler answers for every other such path; no resource can live there (codes,
 * aliases, usernames and ids are short ASCII, well under the 256-character limit); and
 * the link paths already answer 404 for a code that cannot exist (`/a!b`,
 * `/api/links/ab`), so a browser following a mangled short link gets the same "Not
 * found" page as for any unknown link. The limit is per path segment, not on the URI,
 * so 414 (URI Too Long) would misdescribe it, and the table has no code for it.
 * Anything else (an async constraint failing: none is used) goes through `toAppError`.
 */
export function frameworkError(error: FastifyError, request: FastifyRequest): AppError {
  const reason =
    error.code === 'FST_ERR_BAD_URL'
      ? 'the path is not valid percent-encoded UTF-8'
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? 'a path segment is too long to name anything'
        : null;
  if (reason === null) return toAppError(error);
  const path = request.url.split('?')[0] ?? '';
  const quoted = path.length > QUOTED_PATH_MAX ? `${path.slice(0, QUOTED_PATH_MAX)}…` : path;
  return new AppError('NOT_FOUND', `Nothing at ${request.method} ${quoted}: ${reason}.`, {
    cause: error,
  });
}

/**
 * Fastify's `frameworkErrors` hook: the router's refusals, answered like every other
 * error (JSON in the one shape, or the HTML error page for a browser) instead of in
 * Fastify's own `{ "error", "code": "FST_ERR_...", "statusCode" }` shape.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const appError = frameworkError(error, request);
  if (appError.code === 'INTERNAL') request.log.error({ err: error }, 'unhandled error');
  sendError(request, reply, appError);
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (headers over its
 * 16 KB limit, a malformed request line or header, headers that took longer than
 * `headersTimeout`), answered on the socket before any request object exists, so as
 * JSON always. Fastify's default answers 400, 431 or 408 in its own shape; here it is
 * the one shape with `INVALID_REQUEST` (400), the general client-error status, since
 * the table has no code for 431 or 408.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one to answer (as in Fastify's default handler).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const message =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'The request headers are larger than this server accepts.'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'The request headers did not arrive in time.'
        : 'The request is not valid HTTP.';
  const body = JSON.stringify(new AppError('INVALID_REQUEST', message).toBody());
  if (socket.writable) {
    socket.write(
      'HTTP/1.1 400 Bad Request\r\n' +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}
