#!/usr/bin/env node
// The `switchboard` command. A committed, executable shim (tsc does not keep the
// executable bit of its output), so that `npx switchboard` works after `npm install`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('switchboard: not built yet; run `npm run build` at the repository root.\n');
  process.exit(1);
}
await import(main.href);
