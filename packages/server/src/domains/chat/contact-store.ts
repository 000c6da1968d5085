/**
 * 1:1 contacts: pairs of users who exchanged a message, recorded both ways when a
 * message is sent. Presence goes to contacts (and to fellow group members).
 */
export interface ContactStore {
  /** Records that the two users are contacts (both directions); idempotent. */
  record(userId: string, otherUserId: string, at: number): Promise<void>;
  /** Every contact of a user. */
  contactsOf(userId: string): Promise<string[]>;
  isContact(userId: string, otherUserId: string): Promise<boolean>;
}
