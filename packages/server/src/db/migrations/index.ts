import type { Migration } from 'kysely';
import { accounts } from './0001-accounts.js';
import { links } from './0002-links.js';
import { chat } from './0003-chat.js';
import { scaleOut } from './0004-scale-out.js';
import { clickJournal } from './0005-click-journal.js';
import { fanoutOutbox } from './0006-fanout-outbox.js';
import { chatKeysByMessage } from './0007-chat-keys-by-message.js';

/**
 * Every migration, by name; applied in name order at start. Each is written once for
 * both SQLite and PostgreSQL with Kysely's schema builder (integers for time in ms,
 * 0/1 for booleans), and never changed after it has shipped: add a new one instead.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-accounts': accounts,
  '0002-links': links,
  '0003-chat': chat,
  '0004-scale-out': scaleOut,
  '0005-click-journal': clickJournal,
  '0006-fanout-outbox': fanoutOutbox,
  '0007-chat-keys-by-message': chatKeysByMessage,
};
