import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryHistoryStore, SwitchboardClient, type Session } from '@switchboard/sdk/node';
import { startTestServer, type TestServer } from '../../server/src/test-support/test-app.js';
import { runChat } from './chat.js';

const MAIN = path.resolve(import.meta.dirname, 'main.ts');
const ROOT = path.resolve(import.meta.dirname, '../../..');

/** Runs `switchboard chat` as a child process with `input` piped to its stdin. */
function runCli(
  args: string[],
  input: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@switchboard/source', '--import', 'tsx', MAIN, ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    // A client that never exits fails the test with what it printed, not a bare timeout.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

describe('switchboard chat', () => {
  let server: TestServer;
  let configDir: string;
  let bob: Session;
  let bobClient: SwitchboardClient;

  beforeAll(async () => {
    server = await startTestServer({ AUTH_REGISTRATIONS_PER_IP: '1000' });
    configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cli-'));
    bobClient = new SwitchboardClient({ url: server.baseUrl, store: new MemoryHistoryStore() });
    bob = await bobClient.register({ username: 'bob_cli', password: 'bob password 123' });
    await bobClient.connect();
  });

  afterAll(async () => {
    await bobClient.close();
    await server.close();
    fs.rmSync(configDir, { recursive: true, force: true });
  });

  it('registers from piped input, sends a message, waits for it to be sent, and keeps the session private', async () => {
    const received = bobClient.next('message');
    const result = await runCli(
      [
        'chat',
        '--server',
        server.baseUrl,
        '--config-dir',
        configDir,
        '--username',
        'alice_cli',
        '--register',
      ],
      '/msg @bob_cli hello from the terminal\n',
      { SWITCHBOARD_PASSWORD: 'alice password 123' },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Registered alice_cli.');
    expect(result.stdout).toContain('Signed in as @alice_cli');
    const message = await received;
    expect(message.body).toEqual({ text: 'hello from the terminal' });
    const sessionsFile = path.join(configDir, 'sessions.json');
    expect(fs.statSync(sessionsFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(configDir).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(fs.readFileSync(sessionsFile, 'utf8')) as {
      sessions: Record<string, { username: string; token: string }>;
    };
    expect(saved.sessions[new URL(server.baseUrl).origin]).toMatchObject({
      username: 'alice_cli',
      token: expect.any(String),
    });
  });

  it('signs in with the saved session, lists conversations and shows history with the reply', async () => {
    const alice = await bobClient.users.byUsername('alice_cli');
    const sentReply = bobClient.next('status', (m) => m.status === 'sent');
    await bobClient.send({ user: alice.userId }, { text: 'hi alice, got it' });
    await sentReply;
    // Opening the conversation reads it: bob hears so.
    const read = bobClient.next('status', (m) => m.status === 'read');
    const result = await runCli(
      ['chat', '--server', server.baseUrl, '--config-dir', configDir],
      '/list\n/open @bob_cli\n/quit\n',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/1\. @bob_cli \(1 unread\) — hi alice, got it/);
    expect(result.stdout).toContain('you: hello from the terminal');
    expect(result.stdout).toContain('@bob_cli: hi alice, got it');
    await read;
  });

  it('sends plain lines to the open conversation and says what it does not know', async () => {
    const received = bobClient.next(
      'message',
      (m) => m.body !== null && (m.body as { text?: string }).text === 'second line',
    );
    const result = await runCli(
      ['chat', '--server', server.baseUrl, '--config-dir', configDir],
      'orphan line\n/open @bob_cli\nsecond line\n/nonsense\n',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Open a conversation first');
    expect(result.stdout).toContain('Unknown command /nonsense');
    expect((await received).from.user).not.toBe(bob.userId);
  });

  it('shows a group with its name, its changes and its messages', async () => {
    const alice = await bobClient.users.byUsername('alice_cli');
    const group = await bobClient.groups.create('Climbing', [alice.userId]);
    const sent = bobClient.next('status', (m) => m.status === 'sent');
    await bobClient.send({ group: group.groupId }, { text: 'Saturday at 10?' });
    await sent;
    const reply = bobClient.next('message', (m) => m.conversationId === `group:${group.groupId}`);
    const result = await runCli(
      ['chat', '--server', server.baseUrl, '--config-dir', configDir],
      `/open #${group.groupId}\nworks for me\n`,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('— #Climbing —');
    expect(result.stdout).toContain('* @bob_cli created the group "Climbing"');
    expect(result.stdout).toContain('@bob_cli: Saturday at 10?');
    expect((await reply).body).toEqual({ text: 'works for me' });
  });

  it('refuses a wrong password with the server’s reason and exit code 1', async () => {
    const result = await runCli(
      [
        'chat',
        '--server',
        server.baseUrl,
        '--config-dir',
        fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cli-')),
        '--username',
        'alice_cli',
      ],
      '',
      { SWITCHBOARD_PASSWORD: 'not the password' },
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('INVALID_CREDENTIALS');
  });

  it('prints its usage for an unknown command with exit code 2', async () => {
    const result = await runCli(['dance'], '');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: switchboard chat');
  });

  it('forgets a saved session the server no longer accepts and asks again', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-cli-'));
    const output: string[] = [];
    const { PassThrough } = await import('node:stream');
    const input = new PassThrough();
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    fs.writeFileSync(
      path.join(dir, 'sessions.json'),
      JSON.stringify({
        version: 1,
        sessions: {
          [new URL(server.baseUrl).origin]: {
            username: 'ghost',
            userId: 'u',
            deviceId: 'd',
            token: 'revoked-token',
          },
        },
      }),
    );
    input.end('');
    const code = await runChat({
      server: server.baseUrl,
      configDir: dir,
      input,
      output: out,
      interactive: false,
    });
    expect(code).toBe(1);
    expect(output.join('')).toContain('Your saved session has ended');
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'sessions.json'), 'utf8')) as {
      sessions: object;
    };
    expect(saved.sessions).toEqual({});
  });
});
