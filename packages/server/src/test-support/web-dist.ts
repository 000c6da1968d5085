import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A stand-in for the web app's build, for tests that need its routes served. */
export interface FakeWebDist {
  readonly dir: string;
  remove(): void;
}

/**
 * Writes a build with a page (`<title>app</title>`), a hashed asset
 * (`/assets/app-1234.js`) and a file at the root (`/favicon.svg`) into a new
 * temporary directory.
 */
export function fakeWebDist(): FakeWebDist {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-web-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg/>');
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
