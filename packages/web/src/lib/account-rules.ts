import { PASSWORD_MIN_LENGTH, USERNAME_PATTERN } from '@switchboard/shared';

/** Problems with a new account's fields, by field. */
export interface SignUpErrors {
  username?: string;
  password?: string;
}

/**
 * Checks a new account's fields as the server will, so that the common mistakes show
 * while typing; the server stays the judge (it also refuses common passwords).
 */
export function checkSignUp(username: string, password: string): SignUpErrors {
  const errors: SignUpErrors = {};
  if (!USERNAME_PATTERN.test(username)) {
    errors.username =
      'Usernames are 3 to 32 characters: lower-case letters, digits, “_” and “.”, starting with a letter.';
  }
  if (password.length < PASSWORD_MIN_LENGTH) {
    errors.password = `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  } else if (password.toLowerCase() === username) {
    errors.password = 'Your password cannot be your username.';
  }
  return errors;
}
