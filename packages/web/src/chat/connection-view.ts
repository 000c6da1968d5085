import type { ConnectionState, SessionEndReason } from '@switchboard/sdk';

/** Where this tab's chat stands in its life (see `ChatRuntime`). */
export type ChatPhase = 'off' | 'starting' | 'elsewhere' | 'active' | 'failed';

/** What the connection banner says. */
export type ConnectionView =
  'connecting' | 'online' | 'offline' | 'reconnecting' | 'ended' | 'elsewhere' | 'failed';

/**
 * The one state the banner shows, from the tab's phase, the client's connection, the
 * browser's network flag and how the session ended. The browser saying it is offline
 * wins over a connection that has not noticed yet.
 */
export function connectionView(state: {
  readonly phase: ChatPhase;
  readonly connection: ConnectionState;
  readonly browserOnline: boolean;
  readonly ended: SessionEndReason | null;
}): ConnectionView {
  if (state.phase === 'failed') return 'failed';
  if (state.phase === 'elsewhere') return 'elsewhere';
  if (state.ended !== null || state.connection === 'ended') return 'ended';
  if (!state.browserOnline) return 'offline';
  if (state.phase !== 'active') return 'connecting';
  switch (state.connection) {
    case 'online':
      return 'online';
    case 'reconnecting':
      return 'reconnecting';
    case 'idle':
    case 'connecting':
    case 'syncing':
    case 'closed':
      return 'connecting';
  }
}
