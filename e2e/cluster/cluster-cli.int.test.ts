import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  cleanUpCluster,
  uniqueClusterName,
} from '../../packages/server/src/test-support/scale-out.js';
import {
  servicesAvailable,
  TEST_SERVICES,
} from '../../packages/server/src/test-support/services.js';
import { readClusterState, ROOT, stopRecordedCluster } from '../../scripts/cluster/cluster.js';
import { dropDatabase } from '../../scripts/cluster/postgres.js';
import { isRunning } from '../../scripts/cluster/processes.js';

/** Runs `npm run cluster -- <args>` (without npm) and answers its exit code and output. */
function cluster(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@switchboard/source', '--import', 'tsx', 'scripts/cluster/main.ts', ...args],
      { cwd: ROOT, env: { ...process.env, CI: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe.skipIf(!(await servicesAvailable(['postgres', 'redis', 'nats'])))(
  'npm run cluster',
  () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-cluster-cli-'));
    const clusterName = uniqueClusterName();
    const database = new URL(TEST_SERVICES.postgres);
    database.pathname = `/sb_cluster_cli_${randomBytes(4).toString('hex')}`;
    const common = [
      '--no-build',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--database-url',
      database.toString(),
      '--redis-url',
      TEST_SERVICES.redis,
      '--nats-url',
      TEST_SERVICES.nats,
      '--cluster-name',
      clusterName,
    ];

    afterAll(async () => {
      await stopRecordedCluster(dataDir, () => undefined);
      await dropDatabase(database.toString());
      await cleanUpCluster(clusterName);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    it('refuses a configuration the server would refuse, before starting anything', async () => {
      const { code, output } = await cluster([...common, '--nodes', '1', '--env', 'CLUSTER=false']);
      expect(code).toBe(1);
      expect(output).toContain('Invalid configuration');
      expect(output).toContain('CLUSTER=false runs one node');
      expect(readClusterState(dataDir)).toBeNull();
    });

    it('starts detached, reports status, refuses a second start, and stops every process', async () => {
      const started = await cluster([...common, '--nodes', '2', '--detach']);
      expect(started.output).toContain('Switchboard cluster: 2 nodes behind HAProxy');
      expect(started.code).toBe(0);
      const state = readClusterState(dataDir);
      expect(state).not.toBeNull();
      expect(state!.processes.map((p) => p.name).sort()).toEqual([
        'haproxy',
        'inbox-a',
        'inbox-b',
        'node-1',
        'node-2',
      ]);
      expect(state!.processes.every(isRunning)).toBe(true);
      const ready = await fetch(`${state!.balancerUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(started.output).toContain(state!.balancerUrl);

      const status = await cluster(['status', '--data-dir', dataDir]);
      expect(status.code).toBe(0);
      expect(status.output).toMatch(/node-1 +UP/);
      expect(status.output).toMatch(/node-2 +UP/);

      const again = await cluster([...common, '--nodes', '2', '--detach']);
      expect(again.code).toBe(1);
      expect(again.output).toContain('is still running');

      const stopped = await cluster(['stop', '--data-dir', dataDir]);
      expect(stopped.code).toBe(0);
      expect(state!.processes.some(isRunning)).toBe(false);
      expect(readClusterState(dataDir)).toBeNull();
      // The inbox stores kept their append-only files for the next start.
      expect(fs.readdirSync(path.join(dataDir, 'inbox-a'))).toContain('appendonlydir');
    }, 180_000);
  },
);
