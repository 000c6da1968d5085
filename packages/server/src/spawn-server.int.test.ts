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

  it('stops on a SIGTERM sent to `npm start`, as a supervisor sends it', async () => {
    // npm hands the signal to its child: that child must be the server, not a shell
    // that dies and leaves the server running with nobody to stop it.
    const server = await spawnServer({ entry: 'npm-start', timeoutMs: 60_000 });
    try {
      expect(await server.stop('SIGTERM')).toBe(0);
      expect(server.logs.some((l) => l.includes('shutdown complete'))).toBe(true);
      await expect(fetch(`${server.baseUrl}/healthz`)).rejects.toThrow();
    } finally {
      await server.stop('SIGKILL');
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('exits on SIGTERM after whatever read its output has gone', async () => {
    // A log line written to a closed pipe fails with EPIPE; the logger must drop it
    // rather than retry it for ever at exit, which kept the process alive.
    const server = await spawnServer();
    try {
      server.process.stdout?.destroy();
      server.process.stderr?.destroy();
      expect(await server.stop('SIGTERM')).toBe(0);
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
