import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../server/src/test-support/test-app.js';

const README = path.resolve(import.meta.dirname, '../README.md');
const ROOT = path.resolve(import.meta.dirname, '../../..');

/** The first TypeScript block of the README: the two-user example. */
function readmeExample(): string {
  const match = /```ts\n([\s\S]*?)```/.exec(fs.readFileSync(README, 'utf8'));
  if (match?.[1] === undefined) throw new Error('the README has no ts example');
  return match[1];
}

describe('the README example', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });

  afterAll(() => server.close());

  it('is under 30 lines', () => {
    expect(readmeExample().trimEnd().split('\n').length).toBeLessThan(30);
  });

  it('runs as written: bob gets the message, reads it and answers, and the process exits', async () => {
    const file = path.join(
      import.meta.dirname,
      `.readme-example-${randomBytes(4).toString('hex')}.mts`,
    );
    fs.writeFileSync(file, readmeExample().replace('http://localhost:3000', server.baseUrl));
    try {
      const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
        (resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--conditions=@switchboard/source', '--import', 'tsx', file],
            {
              cwd: ROOT,
              env: { PATH: process.env.PATH, HOME: process.env.HOME },
            },
          );
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          // Open sockets or timers left behind would keep it alive: that is a failure too.
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          child.once('error', reject);
          child.once('exit', (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
          });
        },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('bob got: {"text":"hi bob"}');
      expect(result.stdout).toContain('alice got: {"text":"hi alice!"}');
      expect(result.stdout).toMatch(/alice's "[^"]+" is sent/);
      expect(result.stdout).toMatch(/alice's "[^"]+" is read/);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
