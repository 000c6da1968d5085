/**
 * What the chat benchmark's coordinator and its load-generator processes say to each
 * other over IPC: commands (each answered once, by id) and events.
 */

/** A device a load process drives: its session token and who it talks to. */
export interface DeviceSpec {
  readonly userId: string;
  readonly token: string;
  /** The user this device sends its 1:1 messages to, if it sends any. */
  readonly peer?: string;
}

/** Commands, by name: what each takes and answers. */
export interface Commands {
  /**
   * Opens a socket per device (at most `concurrency` handshakes at once), authenticates
   * with `after: 0`, and waits until each has received `synced`. Devices are added to
   * those already connected; answers how many made it and the first failures.
   */
  connect: {
    params: { url: string; devices: DeviceSpec[]; concurrency: number; timeoutMs: number };
    result: { connected: number; failed: number; failures: string[]; ms: number };
  };
  /**
   * 1:1 load at a fixed offered rate over this process's devices with a peer (open
   * loop: sends follow the clock, not the answers): `warmupMs` unmeasured, then
   * `durationMs` measured, then waits up to `drainMs` for what is in flight.
   */
  direct: {
    params: { rate: number; warmupMs: number; durationMs: number; drainMs: number };
    result: DirectResult;
  };
  /** Sends `count` group messages from device `from` (indices `first`...), at once. */
  groupSend: {
    params: { from: string; group: string; first: number; count: number };
    result: { sentAt: number };
  };
  /** Starts counting group messages `0..count-1` at the local members of a group. */
  groupExpect: {
    params: { group: string; count: number; sender: string };
    result: { members: number };
  };
  /**
   * Sends `perDevice` messages from each connected device to `to`, keeping at most
   * `window` unanswered per device, and waits for every `sent`.
   */
  fill: {
    /** Message `j` of the `d`-th device here is numbered `offset + d * perDevice + j`. */
    params: { to: string; perDevice: number; window: number; offset: number; timeoutMs: number };
    result: { sent: number; ms: number };
  };
  /**
   * Connects `device` and counts `expected` backlog messages; answers when the last one
   * has arrived and its ack has been written to the socket.
   */
  drain: {
    params: { url: string; device: DeviceSpec; expected: number; timeoutMs: number };
    result: DrainResult;
  };
  /** Closes every socket and waits for them to be closed. */
  closeAll: { params: Record<string, never>; result: { closed: number } };
  /** Counters since the last `stats`: frames by type, errors by code, closes by code. */
  stats: { params: Record<string, never>; result: LoadStats };
}

/** A command's name. */
export type CommandName = keyof Commands;

/** A command as sent to a load process. */
export interface CommandMessage<K extends CommandName = CommandName> {
  readonly id: number;
  readonly command: K;
  readonly params: Commands[K]['params'];
}

/** A load process's answer to a command. */
export type ReplyMessage =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** Something a load process reports without being asked. */
export type EventMessage = {
  readonly event: 'groupComplete';
  /** The group message whose every local recipient now has it. */
  readonly index: number;
  /** When the last of them received it (epoch ms, microsecond fractions). */
  readonly lastAt: number;
  readonly members: number;
};

/** What one load process measured during a `direct` run. */
export interface DirectResult {
  /** Messages sent during the measured window. */
  readonly sentInWindow: number;
  /** Messages received by a peer during the measured window (whenever sent). */
  readonly deliveredInWindow: number;
  /** Messages sent over the whole run (warm-up included). */
  readonly sent: number;
  /** Messages received over the whole run, drain included. */
  readonly delivered: number;
  /** Received more than once (same sender, same number). */
  readonly duplicates: number;
  /** Received after a later one from the same sender. */
  readonly reordered: number;
  /** `sent` answers received over the whole run. */
  readonly sentAcks: number;
  /** Delivery receipts received over the whole run. */
  readonly receipts: number;
  /** Encoded latencies, send to receipt at the peer, of messages sent in the window. */
  readonly latency: string;
  /** Encoded latencies, send to the server's `sent`, of messages sent in the window. */
  readonly sentLatency: string;
  /** The generator's event-loop delay p99 in ms: above a few ms it was the bottleneck. */
  readonly loopDelayP99: number;
  /** Cores this process used during the window. */
  readonly cores: number;
  readonly errors: Readonly<Record<string, number>>;
}

/** What the drain of an offline backlog measured. */
export interface DrainResult {
  /** From opening the socket to `ready`. */
  readonly readyMs: number;
  /** From opening the socket to the last backlog item received and its ack written. */
  readonly drainMs: number;
  /** From opening the socket to `synced`, or null if it had not come by the end. */
  readonly syncedMs: number | null;
  readonly received: number;
  readonly duplicates: number;
}

/** Counters a load process keeps. */
export interface LoadStats {
  readonly frames: Readonly<Record<string, number>>;
  readonly errors: Readonly<Record<string, number>>;
  readonly closes: Readonly<Record<string, number>>;
  /** The first few error frames, with their messages. */
  readonly errorSamples: readonly string[];
}
