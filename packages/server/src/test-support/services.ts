import net from 'node:net';

/**
 * Where the integration tests find this machine's services. Each can be overridden
 * with an environment variable of the same name.
 */
export const TEST_SERVICES = {
  postgres: process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redis: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  nats: process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
} as const;

export type ServiceName = keyof typeof TEST_SERVICES;

/** True when a TCP connection to the service's address succeeds within a second. */
export async function isReachable(name: ServiceName): Promise<boolean> {
  const url = new URL(TEST_SERVICES[name]);
  const port = Number(url.port || { postgres: 5432, redis: 6379, nats: 4222 }[name]);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Decides whether tests needing `names` run. In CI (`CI=true`) a missing service is a
 * failure, never a skip; elsewhere the suite is skipped with one line saying why.
 * Use as `describe.skipIf(!(await servicesAvailable(['redis'])))(...)`.
 */
export async function servicesAvailable(names: ServiceName[]): Promise<boolean> {
  const missing: string[] = [];
  for (const name of names) {
    if (!(await isReachable(name))) missing.push(`${name} at ${TEST_SERVICES[name]}`);
  }
  if (missing.length === 0) return true;
  const message = `needs ${missing.join(', ')}, which is not reachable`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`CI: ${message}`);
  }
  console.warn(`[skip] ${message}; these tests are skipped (they run in CI)`);
  return false;
}
