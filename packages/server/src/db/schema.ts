import type { AccountsTables } from './tables/accounts.js';
import type { ChatTables } from './tables/chat.js';
import type { ClickJournalTables } from './tables/click-journal.js';
import type { FanoutOutboxTables } from './tables/fanout-outbox.js';
import type { LinksTables } from './tables/links.js';
import type { ScaleOutTables } from './tables/scale-out.js';

/** Every table, as Kysely sees it. Each domain declares its own in `tables/`. */
export interface Database
  extends
    AccountsTables,
    LinksTables,
    ChatTables,
    ScaleOutTables,
    ClickJournalTables,
    FanoutOutboxTables {}
