import type { Socket } from 'node:net';
import { errorCodes, type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { answerClientError, frameworkError, toAppError } from './errors.js';

/** An error as a library other than Fastify raises it (http-errors style). */
function libraryError(status: number, message: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true });
}

describe(toAppError.name, () => {
  it('maps every body error Fastify raises to our codes', () => {
    const cases: [Error, string][] = [
      [new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), 'PAYLOAD_TOO_LARGE'],
      [new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE('application/xml'), 'UNSUPPORTED_MEDIA_TYPE'],
      // A body shorter or longer than its Content-Length: Node's parser leaves Fastify
      // no way to see one over a real socket, so it is checked here.
      [new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH(), 'INVALID_REQUEST'],
      [new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), 'INVALID_REQUEST'],
      [new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), 'INVALID_REQUEST'],
    ];
    for (const [error, code] of cases) expect(toAppError(error).code, error.message).toBe(code);
  });

  it("gives a plugin's client errors the code of their status, or INVALID_REQUEST", () => {
    const cases: [number, string, number][] = [
      [400, 'INVALID_REQUEST', 400],
      [403, 'FORBIDDEN', 403],
      [404, 'NOT_FOUND', 404],
      [405, 'METHOD_NOT_ALLOWED', 405],
      [412, 'PRECONDITION_FAILED', 412],
      [416, 'RANGE_NOT_SATISFIABLE', 416],
      [418, 'INVALID_REQUEST', 400],
    ];
    for (const [status, code, answered] of cases) {
      const error = toAppError(libraryError(status, `/srv/www/secret-${status} refused`));
      expect(error.code, String(status)).toBe(code);
      expect(error.status, String(status)).toBe(answered);
      // The library's message may carry file paths: only the status's name is shown.
      expect(error.message, String(status)).not.toContain('/srv');
      expect(error.message, String(status)).toContain(String(status));
    }
  });

  it('keeps server errors and errors without a status INTERNAL', () => {
    expect(toAppError(libraryError(503, 'down')).code).toBe('INTERNAL');
    expect(toAppError(new Error('bug')).code).toBe('INTERNAL');
    expect(toAppError(undefined).code).toBe('INTERNAL');
    expect(toAppError(new errorCodes.FST_ERR_ASYNC_CONSTRAINT()).code).toBe('INTERNAL');
  });
});

describe(frameworkError.name, () => {
  const request = (url: string) => ({ method: 'GET', url }) as FastifyRequest;

  it("answers the router's refusals 404 NOT_FOUND, saying why", () => {
    const bad = frameworkError(new errorCodes.FST_ERR_BAD_URL('/%ff'), request('/%ff?x=1'));
    expect(bad.toBody()).toEqual({
      error: {
        code: 'NOT_FOUND',
        message: 'Nothing at GET /%ff: the path is not valid percent-encoded UTF-8.',
      },
    });
    const path = `/${'a'.repeat(300)}`;
    const long = frameworkError(new errorCodes.FST_ERR_MAX_PARAM_LENGTH(path), request(path));
    expect(long.code).toBe('NOT_FOUND');
    expect(long.message).toBe(
      `Nothing at GET /${'a'.repeat(79)}…: a path segment is too long to name anything.`,
    );
  });

  it('leaves anything else to toAppError', () => {
    const error = new errorCodes.FST_ERR_ASYNC_CONSTRAINT();
    expect(frameworkError(error, request('/x')).code).toBe('INTERNAL');
  });
});

describe(answerClientError.name, () => {
  function fakeSocket(state: { destroyed?: boolean; writable?: boolean } = {}) {
    const written: string[] = [];
    let destroyedWith: unknown = null;
    const socket = {
      destroyed: state.destroyed ?? false,
      writable: state.writable ?? true,
      write: (data: string) => written.push(data),
      destroy: (error?: unknown) => {
        destroyedWith = error;
      },
    };
    return { socket: socket as unknown as Socket, written, destroyedWith: () => destroyedWith };
  }
  const withCode = (code: string) => Object.assign(new Error(code), { code });

  it('answers a header timeout 400 INVALID_REQUEST in the one shape and closes', () => {
    const { socket, written, destroyedWith } = fakeSocket();
    const error = withCode('ERR_HTTP_REQUEST_TIMEOUT');
    answerClientError(error, socket);
    expect(written).toHaveLength(1);
    const [head = '', body = ''] = written[0]!.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body)}`);
    expect(JSON.parse(body)).toEqual({
      error: { code: 'INVALID_REQUEST', message: 'The request headers did not arrive in time.' },
    });
    expect(destroyedWith()).toBe(error);
  });

  it('writes nothing to a reset, destroyed or unwritable socket', () => {
    const reset = fakeSocket();
    answerClientError(withCode('ECONNRESET'), reset.socket);
    expect(reset.written).toEqual([]);
    const gone = fakeSocket({ destroyed: true });
    answerClientError(withCode('HPE_INVALID_METHOD'), gone.socket);
    expect(gone.written).toEqual([]);
    const closing = fakeSocket({ writable: false });
    answerClientError(withCode('HPE_INVALID_METHOD'), closing.socket);
    expect(closing.written).toEqual([]);
    expect(closing.destroyedWith()).toBeInstanceOf(Error);
  });
});
