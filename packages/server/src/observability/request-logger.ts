import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions } from 'pino';

type LogMethod = FastifyBaseLogger['info'];
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LEVELS: readonly Level[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * A request's logger that becomes a real child logger only when something is logged.
 *
 * Fastify gives every request a child of the app's logger, bound to its request id.
 * With pino and redaction that costs a few microseconds per request, which the
 * redirect path would pay on every hit although nearly no request logs anything:
 * request logging is off by default, and only failures log. The child is made on the
 * first call, with the same bindings and options, so a line that is logged reads as
 * before.
 */
export class LazyRequestLogger implements FastifyBaseLogger {
  #child: FastifyBaseLogger | null = null;
  /** A level set on this logger before the child existed. */
  #level: string | null = null;

  declare fatal: LogMethod;
  declare error: LogMethod;
  declare warn: LogMethod;
  declare info: LogMethod;
  declare debug: LogMethod;
  declare trace: LogMethod;
  declare silent: LogMethod;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** Whether the child logger has been made (for tests). */
  get materialised(): boolean {
    return this.#child !== null;
  }

  /** The child logger, made now if it was not yet. */
  get real(): FastifyBaseLogger {
    if (this.#child === null) {
      this.#child = this.parent.child(this.bindings, this.options);
      if (this.#level !== null) this.#child.level = this.#level;
    }
    return this.#child;
  }

  get level(): string {
    return this.#child?.level ?? this.#level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#level = level;
    if (this.#child !== null) this.#child.level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, options);
  }
}

// On the prototype, not as fields: an instance per request must stay a few words.
for (const level of LEVELS) {
  Object.defineProperty(LazyRequestLogger.prototype, level, {
    value: function (this: LazyRequestLogger, ...args: Parameters<LogMethod>) {
      return this.real[level](...args);
    },
    writable: true,
    configurable: true,
  });
}

/** Fastify's `childLoggerFactory`: each request gets a `LazyRequestLogger`. */
export const lazyChildLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (
  logger,
  bindings,
  options,
) => new LazyRequestLogger(logger, bindings, options);
