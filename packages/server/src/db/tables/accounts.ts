/**
 * Row types of the accounts tables, as Kysely sees them. Times are integer
 * milliseconds since the epoch and booleans 0/1, so that one code path serves SQLite
 * and PostgreSQL.
 */

/** An account. `username` is stored lower-case and unique. */
export interface UsersTable {
  id: string;
  username: string;
  display_name: string | null;
  /** An argon2id PHC string; the parameters travel inside it. */
  password_hash: string;
  hide_last_seen: number;
  created_at: number;
  updated_at: number;
}

/** A device: one per login, holding the SHA-256 of its session token. */
export interface DevicesTable {
  id: string;
  user_id: string;
  name: string;
  user_agent: string | null;
  token_hash: string;
  created_at: number;
  last_seen_at: number | null;
}

/** A personal API token for scripts, stored only as the SHA-256 of its secret. */
export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
}

/** The accounts tables, merged into the app's `Database`. */
export interface AccountsTables {
  users: UsersTable;
  devices: DevicesTable;
  api_tokens: ApiTokensTable;
}
