import {
  DISPLAY_NAME_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from '@switchboard/shared';
import { useRef, useState, type FormEvent } from 'react';
import { Link, useLocation, useSearch } from 'wouter';
import { signIn, signUp } from '../api/accounts.js';
import { describeError, fieldOfError } from '../api/error-messages.js';
import { getSessionEnd } from '../api/session.js';
import { useAnnounce } from '../components/announcer.js';
import { FormError, TextField } from '../components/field.js';
import { PageHeader } from '../components/shell.js';
import { checkSignUp } from '../lib/account-rules.js';
import { focusFirstInvalid } from '../lib/focus.js';
import { safeNextPath } from '../lib/next-path.js';

interface AuthErrors {
  username?: string;
  password?: string;
}

/** A password input with a button that shows what was typed (instead of typing it twice). */
function PasswordField({
  label,
  autoComplete,
  hint,
  value,
  error,
  onChange,
}: {
  label: string;
  autoComplete: 'current-password' | 'new-password';
  hint?: string;
  value: string;
  error?: string;
  onChange: (value: string) => void;
}) {
  const [visible, setVisible] = useState(false);
  return (
    <div className="password-field">
      <TextField
        label={label}
        type={visible ? 'text' : 'password'}
        autoComplete={autoComplete}
        autoCapitalize="none"
        spellCheck={false}
        maxLength={PASSWORD_MAX_LENGTH}
        hint={hint}
        value={value}
        error={error}
        onChange={(e) => onChange(e.target.value)}
      />
      <button
        type="button"
        className="password-field__toggle button button--ghost button--small"
        aria-pressed={visible}
        onClick={() => setVisible((v) => !v)}
      >
        {visible ? 'Hide password' : 'Show password'}
      </button>
    </div>
  );
}

/** Creating an account. */
export function SignUpScreen() {
  const [, navigate] = useLocation();
  const search = useSearch();
  const announce = useAnnounce();
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<AuthErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setFormError(null);
    const name = username.trim().toLowerCase();
    const found = checkSignUp(name, password);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      focusFirstInvalid(formRef.current);
      return;
    }
    setBusy(true);
    try {
      const me = await signUp({
        username: name,
        password,
        ...(displayName.trim() === '' ? {} : { displayName: displayName.trim() }),
      });
      announce(`Welcome, ${me.displayName ?? me.username}! Your account is ready.`, 'success');
      navigate(safeNextPath(search), { replace: true });
    } catch (error) {
      const field = fieldOfError(error);
      if (field === 'username' || field === 'password') {
        setErrors({ [field]: describeError(error) });
        focusFirstInvalid(formRef.current);
      } else {
        setFormError(describeError(error));
      }
      setBusy(false);
    }
  };

  return (
    <div className="auth">
      <PageHeader title="Create your account" documentTitle="Sign up">
        <p className="page-header__lead">
          Keep your links in one place, edit them, and see who clicks.
        </p>
      </PageHeader>
      <form ref={formRef} className="card stack" noValidate onSubmit={(e) => void submit(e)}>
        <TextField
          label="Username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          maxLength={32}
          hint="3 to 32 characters: a–z, 0–9, “_” and “.”, starting with a letter."
          value={username}
          error={errors.username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <TextField
          label={
            <>
              Display name <span className="field__optional">(optional)</span>
            </>
          }
          autoComplete="name"
          maxLength={DISPLAY_NAME_MAX_LENGTH}
          value={displayName}
          onChange={(e) => setDisplayName(e.target.value)}
        />
        <PasswordField
          label="Password"
          autoComplete="new-password"
          hint={`At least ${PASSWORD_MIN_LENGTH} characters. A few unrelated words make a strong one.`}
          value={password}
          error={errors.password}
          onChange={setPassword}
        />
        {formError !== null && <FormError>{formError}</FormError>}
        <button
          type="submit"
          className="button button--primary button--block"
          disabled={busy}
          aria-busy={busy}
        >
          {busy ? 'Creating your account…' : 'Create account'}
        </button>
        <p className="auth__switch">
          Already have an account?{' '}
          <Link href={`/login${search === '' ? '' : `?${search}`}`}>Sign in</Link>
        </p>
      </form>
    </div>
  );
}

/** Signing in on this browser (a new device of the account). */
export function SignInScreen() {
  const [, navigate] = useLocation();
  const search = useSearch();
  const announce = useAnnounce();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<AuthErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [ended] = useState(getSessionEnd);
  const formRef = useRef<HTMLFormElement>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setFormError(null);
    const found: AuthErrors = {};
    if (username.trim() === '') found.username = 'Enter your username.';
    if (password === '') found.password = 'Enter your password.';
    setErrors(found);
    if (Object.keys(found).length > 0) {
      focusFirstInvalid(formRef.current);
      return;
    }
    setBusy(true);
    try {
      const me = await signIn({ username: username.trim().toLowerCase(), password });
      announce(`Signed in as ${me.username}`, 'success');
      navigate(safeNextPath(search), { replace: true });
    } catch (error) {
      setFormError(describeError(error));
      setBusy(false);
    }
  };

  return (
    <div className="auth">
      <PageHeader title="Sign in" documentTitle="Sign in">
        <p className="page-header__lead">Welcome back.</p>
      </PageHeader>
      {ended === 'expired' && (
        <p className="notice" role="status">
          Your session ended (you signed out elsewhere, or this device was signed out). Sign in
          again to continue.
        </p>
      )}
      <form ref={formRef} className="card stack" noValidate onSubmit={(e) => void submit(e)}>
        <TextField
          label="Username"
          autoComplete="username"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          error={errors.username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <PasswordField
          label="Password"
          autoComplete="current-password"
          value={password}
          error={errors.password}
          onChange={setPassword}
        />
        {formError !== null && <FormError>{formError}</FormError>}
        <button
          type="submit"
          className="button button--primary button--block"
          disabled={busy}
          aria-busy={busy}
        >
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="auth__switch">
          New here?{' '}
          <Link href={`/signup${search === '' ? '' : `?${search}`}`}>Create an account</Link>
        </p>
      </form>
    </div>
  );
}
