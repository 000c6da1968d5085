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
    return new AppError('INVALID_REQUEST', `The ${where} does not match its schema.`, { details });
  }
  const fastifyError = error as Partial<FastifyError>;
  const code = fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code];
  if (code !== undefined) return new AppError(code, fastifyError.message, { cause: error });
  if (error instanceof SyntaxError && fastifyError.statusCode === 400) {
    return new AppError('INVALID_REQUEST', 'The body is not valid JSON.', { cause: error });
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
  reply.code(error.status);
  if (wantsHtml(request)) {
    return reply.type('text/html; charset=utf-8').send(renderErrorPage(error));
  }
  return reply.type('application/json; charset=utf-8').send(error.toBody());
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
