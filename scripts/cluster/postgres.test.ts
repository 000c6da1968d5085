import { describe, expect, it } from 'vitest';
import { databaseName } from './postgres.js';

describe(databaseName.name, () => {
  it('answers the database a URL names', () => {
    expect(databaseName('postgres://postgres@127.0.0.1:5432/switchboard_cluster')).toBe(
      'switchboard_cluster',
    );
    expect(databaseName('postgresql://u:p@db/sb1?sslmode=require')).toBe('sb1');
  });

  it('refuses a name it would have to quote, and what is not PostgreSQL', () => {
    expect(() => databaseName('postgres://db/Drop;Table')).toThrow(/lower-case/);
    expect(() => databaseName('postgres://db/')).toThrow(/lower-case/);
    expect(() => databaseName('mysql://db/sb')).toThrow(/postgres/);
  });
});
