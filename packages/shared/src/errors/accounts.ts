import type { ErrorSpec } from './spec.js';

/** Codes of registration, login, sessions, devices and API tokens. */
export const ACCOUNT_ERRORS = {
  USERNAME_TAKEN: { status: 409, description: 'Another account already has this username.' },
  INVALID_USERNAME: {
    status: 400,
    description:
      'Usernames are 3 to 32 characters of `a-z`, `0-9`, `_` and `.`, starting with a letter, not ending with a dot, without two dots in a row, and not reserved.',
  },
  WEAK_PASSWORD: {
    status: 400,
    description:
      'Passwords are 8 to 256 characters, not the username, not one character repeated, and not among the most common ones.',
  },
  INVALID_CREDENTIALS: { status: 401, description: 'The username or the password is wrong.' },
  WRONG_PASSWORD: {
    status: 403,
    description: 'The current password given to confirm an account change is wrong.',
  },
  USER_NOT_FOUND: { status: 404, description: 'No user has this id or username.' },
  DEVICE_NOT_FOUND: { status: 404, description: 'This account has no device with this id.' },
  TOKEN_NOT_FOUND: { status: 404, description: 'This account has no API token with this id.' },
  TOKEN_LIMIT_REACHED: {
    status: 409,
    description: 'The account has as many API tokens as allowed; delete one first.',
  },
} as const satisfies Record<string, ErrorSpec>;
