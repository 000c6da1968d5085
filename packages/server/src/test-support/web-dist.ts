import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, type TestServer } from './test-app.js';

/**
 * Starts a test server that serves a stand-in for the web app's build: a page
 * (`<title>app</title>`), a hashed asset (`/assets/app-1234.js`) and a file at the
 * root (`/favicon.svg`). Closing it removes that build too.
 */
export async function startWebAppTestServer(): Promise<TestServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-web-'));
  const remove = () => fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>app</title>');
  fs.writeFileSync(path.join(dir, 'assets', 'app-1234.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg/>');
  let server: TestServer;
  try {
    server = await startTestServer({ WEB_DIST_DIR: dir });
  } catch (error) {
    remove();
    throw error;
  }
  const close = async () => {
    await server.close();
    remove();
  };
  return { ...server, close, [Symbol.asyncDispose]: close };
}
