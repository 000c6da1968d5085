import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Config } from '../../config.js';
import type { Logger } from '../../logger.js';
import { MirroredInboxStore } from './mirrored-inbox-store.js';

/** A mirrored inbox as the server opens it, with its `/readyz` check. */
export interface OpenedMirroredInbox {
  readonly store: MirroredInboxStore;
  readonly readiness: { readonly name: string; readonly check: () => Promise<void> };
}

const FOLLOWER_STATUS = { sync: 0, repairing: 1, down: 2 } as const;

/**
 * Opens the mirrored inbox of `CHAT_INBOX_STORES` (two Redis servers), with its
 * metrics: transitions of the mirror state, the follower's status, repair durations.
 * Keys start with `<CLUSTER_NAME>:inbox:`.
 */
export async function openMirroredInbox(
  config: Config,
  logger: Logger,
  metrics: Registry,
): Promise<OpenedMirroredInbox> {
  if (config.chatInbox.kind !== 'mirrored') throw new Error('no mirrored inbox is configured');
  const urls = config.chatInbox.stores.map((store) => {
    if (store.kind !== 'redis') {
      throw new Error('CHAT_INBOX_STORES: the mirrored inbox is written to two Redis servers');
    }
    return store.url;
  }) as [string, string];
  const transitions = new Counter({
    name: 'chat_inbox_mirror_transitions_total',
    help: 'Changes of the mirrored inbox state this node made (takeovers, follower marked down, repairs)',
    registers: [metrics],
  });
  const repairs = new Histogram({
    name: 'chat_inbox_mirror_repair_seconds',
    help: 'Duration of repairs of the mirrored inbox follower this node completed',
    buckets: [0.01, 0.1, 0.5, 1, 5, 15, 60, 300, 1800],
    registers: [metrics],
  });
  const failedRepairs = new Counter({
    name: 'chat_inbox_mirror_repairs_failed_total',
    help: 'Repairs of the mirrored inbox follower this node started and could not finish',
    registers: [metrics],
  });
  const store = await MirroredInboxStore.connect({
    urls,
    prefix: `${config.env.CLUSTER_NAME}:inbox:`,
    logger: logger.child({ component: 'inbox-mirror' }),
    connectionName: `switchboard:${config.cluster?.nodeId ?? 'single'}:inbox`,
    onEvent: (event) => {
      switch (event.kind) {
        case 'transition':
          transitions.inc();
          return;
        case 'repair-finished':
          repairs.observe(event.ms / 1000);
          return;
        case 'repair-failed':
          failedRepairs.inc();
          return;
        case 'repair-started':
          return;
      }
    },
  });
  new Gauge({
    name: 'chat_inbox_mirror_follower_status',
    help: 'The mirrored inbox follower as this node last saw it: 0 in sync, 1 repairing, 2 down (writes go to one store)',
    registers: [metrics],
    collect() {
      const state = store.status().state;
      if (state !== null) this.set(FOLLOWER_STATUS[state.followerStatus]);
    },
  });
  return { store, readiness: { name: 'chat-inbox', check: () => store.check() } };
}
