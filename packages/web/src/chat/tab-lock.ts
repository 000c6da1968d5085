/** What a tab hears about the chat lock of its device. */
export interface TabLockEvents {
  /** This tab holds the lock: it may open the chat. */
  readonly acquired: () => void;
  /** Another tab holds it; this one waits in line (and takes over when that tab closes). */
  readonly busy: () => void;
  /** Another tab took the lock away ("Use here" there): close the chat now. */
  readonly lost: () => void;
}

/**
 * One chat connection per device: the server keeps one socket per device and closes
 * the older one (4005), and two clients writing one IndexedDB history would race. Tabs
 * of one browser share the device's session, so they take turns through the Web Locks
 * API: the first tab holds the lock, others wait in line and may take it ("Use here").
 * Where Web Locks are missing (a page served over plain http), every tab holds it and
 * the server's 4005 is what tells a tab it lost.
 */
export class TabLock {
  #release: (() => void) | null = null;
  #queued: AbortController | null = null;
  #stopped = false;

  constructor(
    private readonly name: string,
    private readonly events: TabLockEvents,
  ) {}

  /** True where tabs can coordinate; false where each tab simply goes ahead. */
  static get supported(): boolean {
    return typeof navigator !== 'undefined' && navigator.locks !== undefined;
  }

  /** Takes the lock if it is free, or queues for it. */
  start(): void {
    if (!TabLock.supported) {
      this.events.acquired();
      return;
    }
    this.#request({ ifAvailable: true });
  }

  /** Takes the lock from the tab that holds it (the user chose this tab). */
  steal(): void {
    if (this.#stopped) return;
    if (!TabLock.supported || this.#release !== null) {
      this.events.acquired();
      return;
    }
    this.#queued?.abort();
    this.#queued = null;
    this.#request({ steal: true });
  }

  /** Gives the lock back (sign-out, or the page goes away) and stops queueing. */
  stop(): void {
    this.#stopped = true;
    this.#queued?.abort();
    this.#queued = null;
    this.#release?.();
    this.#release = null;
  }

  #request(options: LockOptions): void {
    let held = false;
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    navigator.locks
      .request(this.name, options, async (lock) => {
        if (lock === null) {
          // `ifAvailable` and someone else has it: wait in line for it.
          this.events.busy();
          this.#queue();
          return;
        }
        if (this.#stopped) return;
        held = true;
        this.#release = release;
        this.events.acquired();
        await done;
      })
      .catch(() => {
        // Rejected: stolen by another tab while held, or our own queued request aborted.
        if (!held || this.#stopped) return;
        if (this.#release === release) this.#release = null;
        release();
        this.events.lost();
        this.#queue();
      });
  }

  #queue(): void {
    if (this.#stopped) return;
    this.#queued?.abort();
    const controller = new AbortController();
    this.#queued = controller;
    this.#request({ signal: controller.signal });
  }
}
