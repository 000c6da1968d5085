import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KyselyAccountStore } from '../../packages/server/src/adapters/sql/kysely-account-store.js';
import { parseConfig } from '../../packages/server/src/config.js';
import { openDatabase } from '../../packages/server/src/db/database.js';
import { hashPassword, newToken } from '../../packages/server/src/domains/accounts/credentials.js';
import { newId } from '../../packages/server/src/ids.js';
import { createLogger } from '../../packages/server/src/logger.js';
import type { RelaySeed } from '../baselines/ws-relay-server.js';

/**
 * The chat benchmark's accounts, by role. Registering ten thousand users through the
 * API would cost an argon2 hash each (tens of ms) and measure registration, not chat:
 * so they are written straight into the database before the server starts, through the
 * server's own account store and token code. This is seeding, not measurement.
 */

/** A seeded account with one device, and that device's session token. */
export interface BenchUser {
  readonly userId: string;
  readonly username: string;
  readonly token: string;
}

/** How many accounts each phase uses; no account serves two phases. */
export interface PopulationSizes {
  /** Devices in the 1:1 run (an even number: they talk in pairs). */
  readonly direct: number;
  readonly group: number;
  /** Accounts that fill the offline backlog. */
  readonly fillSenders: number;
  /** Idle connections of the memory measurement. */
  readonly idle: number;
}

/** The seeded accounts, by the phase that uses them. */
export interface Population {
  readonly direct: readonly BenchUser[];
  readonly group: readonly BenchUser[];
  readonly backlogReceiver: BenchUser;
  readonly fillSenders: readonly BenchUser[];
  readonly idle: readonly BenchUser[];
}

type Role = Exclude<keyof Population, 'backlogReceiver'> | 'backlog';

function usernames(sizes: PopulationSizes): { role: Role; username: string }[] {
  if (sizes.direct % 2 !== 0) throw new Error('the 1:1 run needs an even number of devices');
  const names: { role: Role; username: string }[] = [];
  const add = (role: Role, prefix: string, n: number) => {
    for (let i = 0; i < n; i++) names.push({ role, username: `${prefix}${i}` });
  };
  add('direct', 'bench_d', sizes.direct);
  add('group', 'bench_g', sizes.group);
  add('backlog', 'bench_b', 1);
  add('fillSenders', 'bench_f', sizes.fillSenders);
  add('idle', 'bench_i', sizes.idle);
  return names;
}

function assemble(users: { role: Role; user: BenchUser }[]): Population {
  const of = (role: Role) => users.filter((u) => u.role === role).map((u) => u.user);
  return {
    direct: of('direct'),
    group: of('group'),
    backlogReceiver: of('backlog')[0]!,
    fillSenders: of('fillSenders'),
    idle: of('idle'),
  };
}

/** Accounts for the bare relay: random ids and tokens, written to its seed file. */
export function seedRelay(sizes: PopulationSizes, seedFile: string, groupId: string): Population {
  const users = usernames(sizes).map(({ role, username }) => ({
    role,
    user: { userId: randomUUID(), username, token: randomBytes(32).toString('base64url') },
  }));
  const population = assemble(users);
  const seed: RelaySeed = {
    tokens: Object.fromEntries(users.map(({ user }) => [user.token, user.userId])),
    groups: { [groupId]: population.group.map((u) => u.userId) },
  };
  fs.mkdirSync(path.dirname(seedFile), { recursive: true });
  fs.writeFileSync(seedFile, JSON.stringify(seed));
  return population;
}

// Users written per transaction: one transaction for all would hold the file's write
// lock for seconds; one per user would make seeding take a minute.
const USERS_PER_TRANSACTION = 1000;

/**
 * Accounts for Switchboard: users and devices written into the database of `dataDir`
 * (migrated first) by the server's `KyselyAccountStore`, with session tokens made by
 * its `newToken`. Every user shares one argon2id hash, since nobody logs in.
 */
export async function seedSwitchboard(
  sizes: PopulationSizes,
  dataDir: string,
): Promise<Population> {
  const config = parseConfig({ DATA_DIR: dataDir });
  const handle = await openDatabase(config.database, createLogger('silent'));
  try {
    const passwordHash = await hashPassword(randomBytes(24).toString('base64url'));
    const names = usernames(sizes);
    const users: { role: Role; user: BenchUser }[] = [];
    for (let start = 0; start < names.length; start += USERS_PER_TRANSACTION) {
      const chunk = names.slice(start, start + USERS_PER_TRANSACTION);
      await handle.db.transaction().execute(async (trx) => {
        const store = new KyselyAccountStore(trx);
        for (const { role, username } of chunk) {
          const at = Date.now();
          const userId = newId(at);
          const { token, tokenHash } = newToken('session');
          await store.createUser(
            {
              id: userId,
              username,
              displayName: null,
              passwordHash,
              hideLastSeen: false,
              createdAt: at,
              updatedAt: at,
            },
            {
              id: newId(at),
              userId,
              name: 'bench',
              userAgent: 'switchboard-bench',
              createdAt: at,
              lastSeenAt: null,
              tokenHash,
            },
          );
          users.push({ role, user: { userId, username, token } });
        }
      });
    }
    return assemble(users);
  } finally {
    await handle.close();
  }
}

/** Creates the benchmark's group through the API, as its first member; answers its id. */
export async function createBenchGroup(
  baseUrl: string,
  members: readonly BenchUser[],
): Promise<string> {
  const [creator, ...others] = members;
  if (!creator) throw new Error('a group needs members');
  const response = await fetch(`${baseUrl}/api/groups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${creator.token}` },
    body: JSON.stringify({ name: 'bench group', members: others.map((u) => u.userId) }),
  });
  const text = await response.text();
  if (response.status !== 201) {
    throw new Error(`creating the benchmark group answered ${response.status}: ${text}`);
  }
  const group = JSON.parse(text) as { groupId: string; members: unknown[] };
  if (group.members.length !== members.length) {
    throw new Error(`the group has ${group.members.length} members, not ${members.length}`);
  }
  return group.groupId;
}
