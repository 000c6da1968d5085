#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runChat } from './chat.js';
import { defaultConfigDir } from './config-store.js';

const USAGE = `Usage: switchboard chat [options]

Chat on a Switchboard server from the terminal.

Options:
  -s, --server URL        the server (default http://localhost:3000, or $SWITCHBOARD_URL)
  -u, --username NAME     sign in as NAME (asked otherwise)
      --register          create the account instead of signing in
      --device-name NAME  how this device appears in your device list (default "terminal")
      --config-dir DIR    where the session and history are kept
                          (default ${defaultConfigDir()})
  -h, --help              this help

The password is asked for (hidden on a terminal), or read from $SWITCHBOARD_PASSWORD.
Piped input works: each line is a command or a message, and at the end of the input
the client waits for its messages to be sent before it exits.`;

/** Entry point of the `switchboard` command. */
async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        server: { type: 'string', short: 's' },
        username: { type: 'string', short: 'u' },
        register: { type: 'boolean' },
        'device-name': { type: 'string' },
        'config-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    return values.help === true ? 0 : 2;
  }
  if (positionals[0] !== 'chat') {
    process.stderr.write(`Unknown command "${positionals[0]}".\n\n${USAGE}\n`);
    return 2;
  }
  const server = values.server ?? process.env.SWITCHBOARD_URL ?? 'http://localhost:3000';
  try {
    new URL(server);
  } catch {
    process.stderr.write(`Not a URL: ${server}\n`);
    return 2;
  }
  return runChat({
    server,
    configDir: values['config-dir'] ?? defaultConfigDir(),
    ...(values.username === undefined ? {} : { username: values.username }),
    ...(process.env.SWITCHBOARD_PASSWORD === undefined
      ? {}
      : { password: process.env.SWITCHBOARD_PASSWORD }),
    ...(values.register === true ? { register: true } : {}),
    ...(values['device-name'] === undefined ? {} : { deviceName: values['device-name'] }),
    input: process.stdin,
    output: process.stdout,
    interactive: process.stdin.isTTY === true && process.stdout.isTTY === true,
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    // Leftover sockets or timers must not keep a finished command alive.
    process.stdout.write('', () => process.exit(code));
  },
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
