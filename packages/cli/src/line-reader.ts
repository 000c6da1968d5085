import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/**
 * Lines from a terminal or a pipe, asked for one at a time. Lines that arrive before
 * anyone asks (piped input) wait in a queue; the end of the input answers null.
 */
export class LineReader {
  readonly #rl: readline.Interface;
  readonly #queue: string[] = [];
  readonly #waiting: Array<(line: string | null) => void> = [];
  #ended = false;
  #muted = false;

  constructor(
    input: Readable,
    private readonly output: Writable,
    readonly interactive: boolean,
  ) {
    this.#rl = readline.createInterface({
      input,
      output: interactive ? output : undefined,
      terminal: interactive,
    });
    if (interactive) {
      const rl = this.#rl as unknown as { _writeToOutput?: (text: string) => void };
      const write = rl._writeToOutput?.bind(this.#rl);
      rl._writeToOutput = (text: string) => {
        if (!this.#muted) write?.(text);
      };
    }
    this.#rl.on('line', (line) => {
      const waiter = this.#waiting.shift();
      if (waiter !== undefined) waiter(line);
      else this.#queue.push(line);
    });
    this.#rl.on('close', () => {
      this.#ended = true;
      for (const waiter of this.#waiting.splice(0)) waiter(null);
    });
  }

  /** The next line (null at the end of the input), after showing `prompt`. */
  ask(prompt: string, options: { hidden?: boolean } = {}): Promise<string | null> {
    if (this.interactive) {
      this.#muted = false;
      this.output.write(prompt);
      this.#muted = options.hidden === true;
    }
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(this.#unmute(queued, options));
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) =>
      this.#waiting.push((line) => resolve(line === null ? null : this.#unmute(line, options))),
    );
  }

  /** Shows the prompt again after output printed over it. */
  reprompt(prompt: string): void {
    if (this.interactive) {
      this.#rl.setPrompt(prompt);
      this.#rl.prompt(true);
    }
  }

  close(): void {
    this.#rl.close();
  }

  #unmute(line: string, options: { hidden?: boolean }): string {
    if (options.hidden === true && this.interactive) this.output.write('\n');
    this.#muted = false;
    return line;
  }
}
