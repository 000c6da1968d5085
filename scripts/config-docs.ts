// Rewrites the configuration table in README.md from the server's config schema.
import fs from 'node:fs';
import path from 'node:path';
import { withConfigTable } from '../packages/server/src/config-docs.js';

const readme = path.resolve(import.meta.dirname, '../README.md');
fs.writeFileSync(readme, withConfigTable(fs.readFileSync(readme, 'utf8')));
console.log('README.md: configuration table updated');
