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
  #prompt: string | null = null;

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
      this.#prompt = options.hidden === true ? null : prompt;
    }
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(this.#unmute(queued, options));
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) =>
      this.#waiting.push((line) => resolve(line === null ? null : this.#unmute(line, options))),
    );
  }

  /**
   * Prints a line. On a terminal, a line that arrives while the user is typing is
   * printed above the prompt, and the prompt and what was typed are shown again.
   */
  print(line: string): void {
    if (!this.interactive || this.#prompt === null) {
      this.output.write(`${line}\n`);
      return;
    }
    readline.clearLine(this.output, 0);
    readline.cursorTo(this.output, 0);
    this.output.write(`${line}\n`);
    this.#rl.setPrompt(this.#prompt);
    this.#rl.prompt(true);
  }

  close(): void {
    this.#rl.close();
  }

  #unmute(line: string, options: { hidden?: boolean }): string {
    if (options.hidden === true && this.interactive) this.output.write('\n');
    this.#muted = false;
    this.#prompt = null;
    return line;
  }
}
