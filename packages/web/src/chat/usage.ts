/**
 * Whether this browser has been used for chat by an account. Chat (its code, its
 * socket) starts with every page once it has, and only on the chat screens before:
 * someone who only shortens links never downloads or connects it.
 */

const usedKey = (userId: string) => `switchboard.chat.used.${userId}`;

/** True once the account opened a chat screen in this browser. */
export function wasUsed(userId: string): boolean {
  try {
    return localStorage.getItem(usedKey(userId)) === '1';
  } catch {
    return false;
  }
}

/** Remembers that the account uses chat here. */
export function markUsed(userId: string): void {
  try {
    localStorage.setItem(usedKey(userId), '1');
  } catch {
    // Chat then starts with its screens only.
  }
}

/** Forgets it (the account signed out here). */
export function forgetUsed(userId: string): void {
  try {
    localStorage.removeItem(usedKey(userId));
  } catch {
    // storage blocked: nothing was kept
  }
}
