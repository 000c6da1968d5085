import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../logger.js';

/** The file in the data directory that holds the secret of the code permutation. */
export const LINK_KEY_FILE = 'link-key';

const KEY_BYTES = 32;

/**
 * Reads the 256-bit secret that keys the code permutation from `$DATA_DIR/link-key`,
 * creating it (mode 0600) at first start. Losing or changing it does not break
 * existing links (codes are stored), but new codes may then collide with old ones
 * and be skipped; keep it with the database in backups.
 */
export function loadOrCreateLinkKey(dataDir: string, logger: Logger): Buffer {
  const file = path.join(dataDir, LINK_KEY_FILE);
  try {
    // `wx` fails if the file exists, so two processes starting at once never
    // overwrite each other's key: the loser reads the winner's.
    fs.writeFileSync(file, `${randomBytes(KEY_BYTES).toString('hex')}\n`, {
      mode: 0o600,
      flag: 'wx',
    });
    logger.info({ file }, 'created a new link key');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new Error(
      `${file} is not a link key (64 hexadecimal characters); restore it from a backup`,
    );
  }
  const mode = fs.statSync(file).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    logger.warn(
      { file, mode: mode.toString(8) },
      'the link key is readable by other users: chmod 600 it',
    );
  }
  return Buffer.from(text, 'hex');
}
