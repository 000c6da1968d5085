import type { ClientFrame, ServerFrame } from '@switchboard/shared';
import type { WebSocketConstructor, WebSocketLike } from '../client.js';

/**
 * An in-memory WebSocket for unit tests: the test plays the server, opening, answering
 * and closing each socket the client creates, with no network.
 */
export class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly sent: ClientFrame[] = [];
  closedWith: number | undefined;
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: never) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data) as ClientFrame);
  }

  close(code = 1000): void {
    this.closedWith = code;
    this.readyState = 3;
  }

  /** The server accepts the TCP/HTTP upgrade. */
  open(): void {
    this.readyState = 1;
    this.onopen?.(undefined as never);
  }

  /** The server sends a frame. */
  receive(frame: ServerFrame): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  /** The server (or the network) closes the socket. */
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }

  /** Frames of one type the client sent. */
  framesOf<T extends ClientFrame['type']>(type: T): Array<Extract<ClientFrame, { type: T }>> {
    return this.sent.filter((f): f is Extract<ClientFrame, { type: T }> => f.type === type);
  }
}

/** A WebSocket class that records every socket it makes. */
export function fakeSocketClass(): { WebSocket: WebSocketConstructor; sockets: FakeSocket[] } {
  const sockets: FakeSocket[] = [];
  class Recording extends FakeSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return { WebSocket: Recording, sockets };
}
