import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_SCHEMA } from './config.js';
import { configTable, normaliseTable, tableIn } from './config-docs.js';

const README = path.resolve(import.meta.dirname, '../../../README.md');

describe(configTable.name, () => {
  it('documents every variable with a description', () => {
    const table = configTable();
    for (const [name, schema] of Object.entries(ENV_SCHEMA.shape)) {
      expect(table).toContain(`\`${name}\``);
      expect(schema.description, name).toBeTruthy();
    }
  });

  it('is what the README shows (run `npm run docs:config` after changing config.ts)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(normaliseTable(tableIn(readme))).toEqual(normaliseTable(configTable()));
  });
});
