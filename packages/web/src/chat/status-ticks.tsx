import type { StoredMessage } from '@switchboard/sdk';
import { ClockIcon, FailedIcon, TicksIcon } from './icons.js';
import { tickStatus } from './message-status.js';

/**
 * The ticks of one of my messages: a clock while it waits in the outbox, one tick once
 * the server has it, two once delivered, coloured once read. The status is an image
 * named in words, so a screen reader says "Read" where sighted people see blue ticks.
 */
export function StatusTicks({
  message,
  recipients,
}: {
  message: Pick<StoredMessage, 'status' | 'receipts' | 'to'>;
  recipients?: number;
}) {
  const { tick, label } = tickStatus(message, recipients);
  return (
    <span className={`ticks ticks--${tick}`} role="img" aria-label={label} title={label}>
      {tick === 'clock' && <ClockIcon />}
      {tick === 'failed' && <FailedIcon />}
      {(tick === 'sent' || tick === 'delivered' || tick === 'read') && (
        <TicksIcon double={tick !== 'sent'} />
      )}
    </span>
  );
}
