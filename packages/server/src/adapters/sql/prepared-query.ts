import type BetterSqlite3 from 'better-sqlite3';
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import type { Database } from '../../db/schema.js';

/** The database of the adapters with prepared hot-path queries: Kysely, and the raw SQLite connection when there is one. */
export interface PreparedDatabase {
  readonly db: Kysely<Database>;
  /** Set on SQLite only: the connection Kysely uses too. */
  readonly sqlite: BetterSqlite3.Database | null;
}

/** A query compiled once; each call runs it with new parameter values. */
export interface PreparedQuery<P extends string, R> {
  (values: Readonly<Record<P, unknown>>): Promise<QueryResult<R>>;
  /**
   * Runs it synchronously, on SQLite only: for use inside a synchronous transaction
   * (`sqlite.transaction(...)`), where no other statement can interleave.
   */
  sync(values: Readonly<Record<P, unknown>>): QueryResult<R>;
  /** Runs it with the values in the order of `names` (when the query takes exactly those). */
  ordered(values: readonly unknown[]): Promise<QueryResult<R>>;
  /**
   * The first row of a read that takes one parameter, synchronously, on SQLite only:
   * no result object, row array or parameter array on a hot path.
   */
  first(value: unknown): R | undefined;
}

/**
 * Compiles a query once, with a sentinel in place of each named parameter, and
 * returns a function that runs it with real values. The SQL is written by Kysely for
 * the dialect at hand, so SQLite and PostgreSQL share one code path; what is saved is
 * building and compiling the query tree on every call of a hot path.
 *
 * On SQLite the compiled SQL also runs on a statement prepared once (Kysely prepares
 * every query anew). Reads always do; writes do only when no transaction is open on
 * the shared connection, since a write issued while Kysely holds a transaction open
 * across an `await` would silently become part of it. Otherwise they go through
 * Kysely, which queues them behind that transaction.
 */
export function prepareQuery<P extends string, R>(
  database: PreparedDatabase,
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
  const parameters = (values: Readonly<Record<P, unknown>>) =>
    slots.map((slot) => ('name' in slot ? values[slot.name] : slot.literal));
  const inNameOrder =
    slots.length === names.length &&
    slots.every((slot, i) => 'name' in slot && slot.name === names[i]);
  const { db, sqlite } = database;
  let statement: BetterSqlite3.Statement | null = null;

  const execute = (params: unknown[]): QueryResult<R> => {
    statement ??= sqlite!.prepare(compiled.sql);
    if (statement.reader) return { rows: statement.all(params) as R[] };
    const { changes } = statement.run(params);
    return { rows: [], numAffectedRows: BigInt(changes) };
  };

  const runParams = (params: unknown[]): Promise<QueryResult<R>> => {
    if (sqlite !== null) {
      statement ??= sqlite.prepare(compiled.sql);
      if (statement.readonly || !sqlite.inTransaction) {
        // A throw inside the executor becomes the rejection.
        return new Promise((resolve) => resolve(execute(params)));
      }
    }
    return db.executeQuery<R>(CompiledQuery.raw(compiled.sql, params));
  };

  return Object.assign((values: Readonly<Record<P, unknown>>) => runParams(parameters(values)), {
    sync(values: Readonly<Record<P, unknown>>): QueryResult<R> {
      if (sqlite === null) throw new Error('synchronous queries need SQLite');
      return execute(parameters(values));
    },
    ordered(values: readonly unknown[]): Promise<QueryResult<R>> {
      if (!inNameOrder) throw new Error('this query does not take its parameters in name order');
      return runParams([...values]);
    },
    first(value: unknown): R | undefined {
      if (sqlite === null) throw new Error('synchronous queries need SQLite');
      if (!inNameOrder || names.length !== 1) throw new Error('first() takes one parameter');
      statement ??= sqlite.prepare(compiled.sql);
      if (!statement.reader) throw new Error('first() is for queries that return rows');
      return statement.get(value) as R | undefined;
    },
  });
}
