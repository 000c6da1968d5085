import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { Database } from '../../db/schema.js';

/** A query compiled once; each call runs it with new parameter values. */
export type PreparedQuery<P extends string, R> = (
  values: Readonly<Record<P, unknown>>,
) => Promise<QueryResult<R>>;

/**
 * Compiles a query once, with a sentinel in place of each named parameter, and
 * returns a function that runs it with real values. The SQL is still written by
 * Kysely for the dialect at hand (one code path for SQLite and PostgreSQL); what is
 * saved is building and compiling the query tree on every call of a hot path.
 */
export function prepareQuery<P extends string, R>(
  db: Kysely<Database>,
  names: readonly P[],
  build: (param: (name: P) => never) => Compilable<R>,
): PreparedQuery<P, R> {
  const sentinel = (name: string) => `\u0000param:${name}`;
  const compiled = build((name) => sentinel(name) as never).compile();
  // Each parameter is either a named one, filled in per call, or a literal of the query.
  const slots = compiled.parameters.map((value): { name: P } | { literal: unknown } => {
    const name = names.find((n) => sentinel(n) === value);
    return name === undefined ? { literal: value } : { name };
  });
  return (values) =>
    db.executeQuery<R>(
      CompiledQuery.raw(
        compiled.sql,
        slots.map((slot) => ('name' in slot ? values[slot.name] : slot.literal)),
      ),
    );
}
