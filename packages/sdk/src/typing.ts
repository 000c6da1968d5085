import type { Address, TypingRelayFrame } from '@switchboard/shared';
import { conversationIdOf, type ConversationId } from './model.js';

/** Someone started or stopped typing in a conversation. */
export interface TypingEvent {
  readonly conversationId: ConversationId;
  readonly user: string;
  readonly typing: boolean;
}

/** How long a `start` holds without a new one (docs/protocol.md: 6 s). */
export const TYPING_EXPIRY_MS = 6_000;

/**
 * Who is typing where, from relayed `typing` frames: a `start` expires by itself after
 * `expiryMs` unless renewed, since a peer that drops never sends `stop`.
 */
export class TypingTracker {
  readonly #timers = new Map<
    string,
    { conversationId: ConversationId; user: string; timer: ReturnType<typeof setTimeout> }
  >();

  constructor(
    private readonly onChange: (event: TypingEvent) => void,
    private readonly expiryMs = TYPING_EXPIRY_MS,
  ) {}

  /** Handles a relayed frame seen by user `me` (my own devices are ignored). */
  receive(frame: TypingRelayFrame, me: string): void {
    if (frame.from.user === me) return;
    const conversationId = conversationIdOf(frame, me);
    const key = `${conversationId}\n${frame.from.user}`;
    const current = this.#timers.get(key);
    if (current !== undefined) clearTimeout(current.timer);
    if (frame.state === 'stop') {
      this.#timers.delete(key);
      if (current !== undefined)
        this.onChange({ conversationId, user: frame.from.user, typing: false });
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.onChange({ conversationId, user: frame.from.user, typing: false });
    }, this.expiryMs);
    this.#timers.set(key, { conversationId, user: frame.from.user, timer });
    if (current === undefined)
      this.onChange({ conversationId, user: frame.from.user, typing: true });
  }

  /** The users typing in a conversation now. */
  typingIn(conversationId: ConversationId): string[] {
    return [...this.#timers.values()]
      .filter((entry) => entry.conversationId === conversationId)
      .map((entry) => entry.user);
  }

  /** Forgets everyone (the connection dropped: nobody's `stop` would reach us). */
  clear(): void {
    for (const entry of this.#timers.values()) {
      clearTimeout(entry.timer);
      this.onChange({ conversationId: entry.conversationId, user: entry.user, typing: false });
    }
    this.#timers.clear();
  }
}

/** Throttles outgoing `start` frames: one per `renewMs` while typing, one `stop` at the end. */
export class TypingSender {
  readonly #started = new Map<string, number>();

  constructor(
    private readonly send: (to: Address, state: 'start' | 'stop') => boolean,
    private readonly now: () => number,
    private readonly renewMs = 3_000,
  ) {}

  /** Reports that the user is (or stopped) typing to `to`. */
  set(to: Address, conversationId: ConversationId, typing: boolean): void {
    const last = this.#started.get(conversationId);
    if (typing) {
      if (last !== undefined && this.now() - last < this.renewMs) return;
      if (this.send(to, 'start')) this.#started.set(conversationId, this.now());
    } else if (last !== undefined) {
      this.#started.delete(conversationId);
      this.send(to, 'stop');
    }
  }

  /** Forgets what was sent (a new connection starts from nothing). */
  reset(): void {
    this.#started.clear();
  }
}
