import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createApp, type App } from '../app.js';
import { parseConfig, type Config } from '../config.js';
import { buildDeps, type Deps, type DepsOverrides } from '../deps.js';
import { createLogger } from '../logger.js';

/** A server for a test: its own data directory, listening on a free port. */
export interface TestServer {
  readonly app: App;
  readonly deps: Deps;
  readonly config: Config;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly dataDir: string;
  /** Closes the app and its connections, and removes the data directory. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Extra test options: `logLines` receives every log line (set `LOG_LEVEL` to see them). */
export interface TestServerOptions {
  logLines?: string[];
}

/**
 * Starts the whole app on the embedded default in a fresh temporary directory. `env`
 * adds or overrides environment variables (rate limits, sizes...).
 */
export async function startTestServer(
  env: Record<string, string> = {},
  overrides: DepsOverrides = {},
  options: TestServerOptions = {},
): Promise<TestServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'));
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEB_DIST_DIR: path.join(dataDir, 'no-web-app'),
    // Tests register and sign in many users from one address; the limits' own tests set them.
    AUTH_REGISTRATIONS_PER_IP: '100000',
    AUTH_LOGIN_ATTEMPTS_PER_IP: '100000',
    ...env,
  });
  const logger = createLogger(
    config.env.LOG_LEVEL,
    options.logLines === undefined ? undefined : { write: (line) => options.logLines?.push(line) },
  );
  const deps = await buildDeps(config, logger, overrides);
  const app = await createApp(deps);
  await app.http.listen({ port: 0, host: '127.0.0.1' });
  const address = app.http.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await app.close();
    await deps.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    app,
    deps,
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    dataDir,
    close,
    [Symbol.asyncDispose]: close,
  };
}
