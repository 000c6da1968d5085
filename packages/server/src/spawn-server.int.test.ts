import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnServer } from './test-support/spawn-server.js';

describe('the server process', () => {
  it('starts, answers, and exits cleanly on SIGTERM', async () => {
    const server = await spawnServer();
    try {
      const res = await fetch(`${server.baseUrl}/healthz`);
      expect(res.status).toBe(200);
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(server.logs.some((l) => l.includes('shutdown complete'))).toBe(true);
    } finally {
      await server.stop('SIGKILL');
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    }
  });

  it('exits with a list of problems on a bad configuration', async () => {
    await expect(
      spawnServer({ env: { PORT: 'x', LOG_LEVEL: 'loud' }, timeoutMs: 15_000 }),
    ).rejects.toThrow(/exited with 2[\s\S]*PORT[\s\S]*LOG_LEVEL/);
  });
});
