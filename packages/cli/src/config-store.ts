import { createHash } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A saved sign-in for one server. */
export interface SavedSession {
  readonly username: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly token: string;
}

interface ConfigFile {
  readonly version: 1;
  readonly sessions: Record<string, SavedSession>;
}

/**
 * The directory the terminal client keeps its sessions and history in:
 * `$SWITCHBOARD_CONFIG_DIR`, else the platform's per-user configuration directory.
 */
export function defaultConfigDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (env.SWITCHBOARD_CONFIG_DIR) return env.SWITCHBOARD_CONFIG_DIR;
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'switchboard');
  if (platform === 'darwin')
    return path.join(home, 'Library', 'Application Support', 'switchboard');
  return path.join(env.XDG_CONFIG_HOME || path.join(home, '.config'), 'switchboard');
}

/**
 * Sessions per server in `<dir>/sessions.json`, readable by the user only (mode 0600,
 * in a 0700 directory): a token there is as good as the password.
 */
export class ConfigStore {
  constructor(readonly dir: string) {}

  get file(): string {
    return path.join(this.dir, 'sessions.json');
  }

  /** Where the history of `userId` on `server` lives. */
  historyFile(server: string, userId: string): string {
    const tag = createHash('sha256').update(server).digest('hex').slice(0, 12);
    return path.join(this.dir, 'history', `${tag}-${userId.replace(/[^0-9A-Za-z_-]/g, '_')}.jsonl`);
  }

  /** The saved session for a server, if any. */
  async session(server: string): Promise<SavedSession | undefined> {
    return (await this.#read()).sessions[server];
  }

  /** Saves (or, with null, forgets) the session for a server. */
  async saveSession(server: string, session: SavedSession | null): Promise<void> {
    const config = await this.#read();
    const sessions = { ...config.sessions };
    if (session === null) delete sessions[server];
    else sessions[server] = session;
    await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    await fsp.writeFile(temp, JSON.stringify({ version: 1, sessions }, null, 2) + '\n', {
      mode: 0o600,
    });
    // writeFile's mode only applies to a new file; a leftover temp keeps its own.
    await fsp.chmod(temp, 0o600);
    await fsp.rename(temp, this.file);
  }

  async #read(): Promise<ConfigFile> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, sessions: {} };
      throw error;
    }
    const parsed = JSON.parse(text) as Partial<ConfigFile>;
    if (typeof parsed !== 'object' || parsed === null || typeof parsed.sessions !== 'object') {
      throw new Error(`${this.file} is not a Switchboard configuration file`);
    }
    return { version: 1, sessions: parsed.sessions };
  }
}
