import type { StoredMessage } from '@switchboard/sdk';

/** The ticks drawn on one of my messages. */
export type Tick = 'clock' | 'sent' | 'delivered' | 'read' | 'failed';

/** What the ticks of my message show, and the words that say it to a screen reader. */
export interface TickStatus {
  readonly tick: Tick;
  readonly label: string;
}

const LABELS: Record<Tick, string> = {
  clock: 'Sending',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
};

/**
 * The status of one of my messages. In a 1:1 conversation it is the message's own
 * status. In a group, as in the messengers people know, two ticks mean every other
 * member has it and coloured ticks that every other member read it; the label says how
 * many did when not all have. `recipients` is the number of other members, when known.
 */
export function tickStatus(
  message: Pick<StoredMessage, 'status' | 'receipts' | 'to'>,
  recipients?: number,
): TickStatus {
  switch (message.status) {
    case 'pending':
      return { tick: 'clock', label: LABELS.clock };
    case 'failed':
      return { tick: 'failed', label: LABELS.failed };
    case 'received':
      // Not mine: no ticks; callers do not ask, but the answer must still be a status.
      return { tick: 'sent', label: LABELS.sent };
    case 'sent':
    case 'delivered':
    case 'read':
      break;
  }
  if (!('group' in message.to) || recipients === undefined || recipients <= 0) {
    return { tick: message.status, label: LABELS[message.status] };
  }
  const receipts = Object.values(message.receipts);
  const read = receipts.filter((r) => r.status === 'read').length;
  const delivered = receipts.length;
  if (read >= recipients) return { tick: 'read', label: `Read by everyone` };
  if (delivered >= recipients) {
    return {
      tick: 'delivered',
      label:
        read === 0
          ? 'Delivered to everyone'
          : `Delivered to everyone, read by ${read} of ${recipients}`,
    };
  }
  if (delivered === 0) return { tick: 'sent', label: LABELS.sent };
  return {
    tick: 'sent',
    label:
      read === 0
        ? `Sent, delivered to ${delivered} of ${recipients}`
        : `Sent, delivered to ${delivered} of ${recipients}, read by ${read}`,
  };
}
