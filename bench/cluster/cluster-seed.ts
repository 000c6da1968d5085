import { randomBytes } from 'node:crypto';
import { KyselyAccountStore } from '../../packages/server/src/adapters/sql/kysely-account-store.js';
import type { Config } from '../../packages/server/src/config.js';
import { openDatabase } from '../../packages/server/src/db/database.js';
import { hashPassword, newToken } from '../../packages/server/src/domains/accounts/credentials.js';
import { newId } from '../../packages/server/src/ids.js';
import { createLogger } from '../../packages/server/src/logger.js';
import type { BenchUser } from '../chat/chat-seed.js';

/**
 * The 1:1 devices of the cluster benchmark, written into the database (SQLite for the
 * embedded default, PostgreSQL for the cluster) by the server's own account store and
 * token code, as bench/chat does: registering them through the API would measure
 * argon2. Seeding, not measurement.
 */

const USERS_PER_TRANSACTION = 500;

/** Creates `count` users with one device each; answers them with their session tokens. */
export async function seedDevices(
  database: Config['database'],
  count: number,
  prefix: string,
): Promise<BenchUser[]> {
  if (count % 2 !== 0) throw new Error('the 1:1 run needs an even number of devices');
  const handle = await openDatabase(database, createLogger('silent'));
  try {
    const passwordHash = await hashPassword(randomBytes(24).toString('base64url'));
    const users: BenchUser[] = [];
    for (let start = 0; start < count; start += USERS_PER_TRANSACTION) {
      await handle.db.transaction().execute(async (trx) => {
        const store = new KyselyAccountStore(trx);
        for (let i = start; i < Math.min(count, start + USERS_PER_TRANSACTION); i++) {
          const at = Date.now();
          const userId = newId(at);
          const username = `${prefix}${i}`;
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
          users.push({ userId, username, token });
        }
      });
    }
    return users;
  } finally {
    await handle.close();
  }
}
