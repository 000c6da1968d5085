import type { ChatBus, ChatBusEvent } from '../../domains/chat/chat-bus.js';

/** The bus of a single node: events go straight to this process's gateway. */
export class MemoryChatBus implements ChatBus {
  private readonly handlers = new Set<(event: ChatBusEvent) => void>();

  publish(event: ChatBusEvent): void {
    for (const handler of this.handlers) handler(event);
  }

  subscribe(handler: (event: ChatBusEvent) => void): () => void {
    const entry = (event: ChatBusEvent) => handler(event);
    this.handlers.add(entry);
    return () => {
      this.handlers.delete(entry);
    };
  }
}
