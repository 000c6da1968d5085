import {
  DISPLAY_NAME_MAX_LENGTH,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  type ApiToken,
  type CreatedApiToken,
  type Device,
} from '@switchboard/shared';
import { useRef, useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import {
  changePassword,
  createToken,
  fetchMe,
  listDevices,
  listTokens,
  revokeDevice,
  revokeToken,
  signOutOtherDevices,
  updateMe,
} from '../api/accounts.js';
import { describeError } from '../api/error-messages.js';
import { endSession, useSession } from '../api/session.js';
import { useAnnounce } from '../components/announcer.js';
import { CopyButton } from '../components/copy-button.js';
import { ConfirmDialog } from '../components/dialog.js';
import { FormError, SelectField, TextField } from '../components/field.js';
import { PageHeader } from '../components/shell.js';
import { LoadError, Loading } from '../components/status.js';
import { formatDate, formatDateTime, formatRelative } from '../lib/dates.js';
import { useResource } from '../lib/use-resource.js';
import { focusWhenDrawn } from '../lib/focus.js';

/** Account settings: profile, password, signed-in devices and API tokens. */
export function SettingsScreen() {
  return (
    <div className="stack stack--lg">
      <PageHeader title="Settings" documentTitle="Settings">
        <p className="page-header__lead">
          Your profile, where you are signed in, and tokens for scripts.
        </p>
      </PageHeader>
      <ProfileSection />
      <PasswordSection />
      <DevicesSection />
      <TokensSection />
    </div>
  );
}

function ProfileSection() {
  const announce = useAnnounce();
  const [me, { set }] = useResource('me', (signal) => fetchMe(signal));
  const [displayName, setDisplayName] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (me.status !== 'ready' || displayName === null) return;
    setBusy(true);
    setError(null);
    try {
      const trimmed = displayName.trim();
      const updated = await updateMe({ displayName: trimmed === '' ? null : trimmed });
      set(() => updated);
      setDisplayName(null);
      announce('Profile saved', 'success');
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card stack" aria-labelledby="profile-title">
      <h2 id="profile-title" className="card__title">
        Profile
      </h2>
      {me.status === 'loading' && <Loading />}
      {me.status === 'error' && <LoadError error={me.error} />}
      {me.status === 'ready' && (
        <form className="stack" onSubmit={(e) => void save(e)}>
          <p>
            Username <strong>{me.data.username}</strong>
            <span className="muted"> · member since {formatDate(me.data.createdAt)}</span>
          </p>
          <TextField
            label="Display name"
            hint="Shown to people you chat with. Leave empty to show your username."
            autoComplete="name"
            maxLength={DISPLAY_NAME_MAX_LENGTH}
            value={displayName ?? me.data.displayName ?? ''}
            onChange={(e) => setDisplayName(e.target.value)}
          />
          {error !== null && <FormError>{error}</FormError>}
          <div>
            <button
              type="submit"
              className="button button--secondary"
              disabled={busy || displayName === null}
            >
              {busy ? 'Saving…' : 'Save profile'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function PasswordSection() {
  const announce = useAnnounce();
  const session = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<{ current?: string; next?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const found: { current?: string; next?: string } = {};
    if (current === '') found.current = 'Enter your current password.';
    if (next.length < PASSWORD_MIN_LENGTH)
      found.next = `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await changePassword(current, next);
      setCurrent('');
      setNext('');
      announce('Password changed. Your other devices were signed out.', 'success');
    } catch (error) {
      const message = describeError(error);
      const code = (error as { code?: string }).code;
      if (code === 'WRONG_PASSWORD') setErrors({ current: message });
      else if (code === 'WEAK_PASSWORD') setErrors({ next: message });
      else setFormError(message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card stack" aria-labelledby="password-title">
      <h2 id="password-title" className="card__title">
        Password
      </h2>
      <form className="stack" noValidate onSubmit={(e) => void submit(e)}>
        {/* Lets password managers tie the change to the right account. */}
        <input
          type="text"
          name="username"
          autoComplete="username"
          value={session?.username ?? ''}
          hidden
          readOnly
        />
        <div className="grid-2">
          <TextField
            label="Current password"
            type="password"
            autoComplete="current-password"
            maxLength={PASSWORD_MAX_LENGTH}
            value={current}
            error={errors.current}
            onChange={(e) => setCurrent(e.target.value)}
          />
          <TextField
            label="New password"
            type="password"
            autoComplete="new-password"
            maxLength={PASSWORD_MAX_LENGTH}
            hint="Every other device will be signed out."
            value={next}
            error={errors.next}
            onChange={(e) => setNext(e.target.value)}
          />
        </div>
        {formError !== null && <FormError>{formError}</FormError>}
        <div>
          <button type="submit" className="button button--secondary" disabled={busy}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}

function DevicesSection() {
  const announce = useAnnounce();
  const [, navigate] = useLocation();
  const [devices, { reload, set }] = useResource('devices', (signal) => listDevices(signal));
  const [target, setTarget] = useState<Device | 'others' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const confirmOthers = async () => {
    setBusy(true);
    setError(null);
    try {
      const count = await signOutOtherDevices();
      setTarget(null);
      set((list) => list.filter((d) => d.current));
      announce(
        count === 1 ? '1 other device signed out' : `${count} other devices signed out`,
        'success',
      );
      focusWhenDrawn(() => document.getElementById('devices-title'));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  const confirm = async (device: Device) => {
    setBusy(true);
    setError(null);
    try {
      await revokeDevice(device.deviceId);
      setTarget(null);
      if (device.current) {
        endSession('signed-out');
        announce('This device is signed out', 'info');
        navigate('/login');
        return;
      }
      set((list) => list.filter((d) => d.deviceId !== device.deviceId));
      announce(`${device.name} is signed out`, 'success');
      focusWhenDrawn(() => document.getElementById('devices-title'));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card stack" aria-labelledby="devices-title">
      <h2 id="devices-title" className="card__title" tabIndex={-1}>
        Devices
      </h2>
      <p className="muted">
        Every sign-in is a device. Sign out the ones you no longer use or don’t recognise.
      </p>
      {devices.status === 'loading' && <Loading />}
      {devices.status === 'error' && <LoadError error={devices.error} onRetry={reload} />}
      {devices.status === 'ready' && (
        <ul className="rows" aria-label="Signed-in devices">
          {[...devices.data]
            .sort((a, b) => Number(b.current) - Number(a.current))
            .map((device) => (
              <li key={device.deviceId} className="row">
                <div className="row__main">
                  <p className="row__title">
                    {device.name}
                    {device.current && <span className="badge badge--accent">This device</span>}
                  </p>
                  <p className="row__meta">
                    Signed in {formatDateTime(device.createdAt)}
                    {device.lastSeenAt !== null && (
                      <> · active {formatRelative(device.lastSeenAt)}</>
                    )}
                  </p>
                  {device.userAgent !== null && (
                    <p className="row__meta row__ua" title={device.userAgent}>
                      {device.userAgent}
                    </p>
                  )}
                </div>
                <button
                  type="button"
                  className="button button--ghost-danger button--small"
                  onClick={() => setTarget(device)}
                >
                  Sign out<span className="visually-hidden"> {device.name}</span>
                </button>
              </li>
            ))}
        </ul>
      )}
      {devices.status === 'ready' && devices.data.length > 1 && (
        <div>
          <button
            type="button"
            className="button button--secondary"
            onClick={() => setTarget('others')}
          >
            Sign out all other devices
          </button>
        </div>
      )}
      {target === 'others' && (
        <ConfirmDialog
          open
          title="Sign out all other devices?"
          description={<p>Every device but this one will need to sign in again.</p>}
          confirmLabel="Sign out others"
          busy={busy}
          error={error}
          onConfirm={() => void confirmOthers()}
          onClose={() => {
            setTarget(null);
            setError(null);
          }}
        />
      )}
      {target !== null && target !== 'others' && (
        <ConfirmDialog
          open
          title={target.current ? 'Sign out this device?' : `Sign out ${target.name}?`}
          description={
            <p>
              {target.current
                ? 'You will need to sign in again on this browser.'
                : 'It will stop working at once and need to sign in again.'}
            </p>
          }
          confirmLabel="Sign out"
          busy={busy}
          error={error}
          onConfirm={() => void confirm(target)}
          onClose={() => {
            setTarget(null);
            setError(null);
          }}
        />
      )}
    </section>
  );
}

function TokensSection() {
  const announce = useAnnounce();
  const [tokens, { reload, set }] = useResource('tokens', (signal) => listTokens(signal));
  const [name, setName] = useState('');
  const [expiresIn, setExpiresIn] = useState('90');
  const [nameError, setNameError] = useState<string | undefined>(undefined);
  const [formError, setFormError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<CreatedApiToken | null>(null);
  const [target, setTarget] = useState<ApiToken | null>(null);
  const [revoking, setRevoking] = useState(false);
  const [revokeError, setRevokeError] = useState<string | null>(null);
  const secretRef = useRef<HTMLHeadingElement>(null);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    if (name.trim() === '') {
      setNameError('Name the token after the script or tool that will use it.');
      return;
    }
    setCreating(true);
    try {
      const token = await createToken({
        name: name.trim(),
        ...(expiresIn === '' ? {} : { expiresInDays: Number(expiresIn) }),
      });
      setCreated(token);
      setName('');
      set((list) => [token, ...list]);
      announce('Token created. Copy it now: it will not be shown again.', 'success');
      focusWhenDrawn(() => secretRef.current);
    } catch (error) {
      setFormError(describeError(error));
    } finally {
      setCreating(false);
    }
  };

  const revoke = async (token: ApiToken) => {
    setRevoking(true);
    setRevokeError(null);
    try {
      await revokeToken(token.tokenId);
      set((list) => list.filter((t) => t.tokenId !== token.tokenId));
      if (created?.tokenId === token.tokenId) setCreated(null);
      setTarget(null);
      announce(`Token ${token.name} revoked`, 'success');
      focusWhenDrawn(() => document.getElementById('tokens-title'));
    } catch (error) {
      setRevokeError(describeError(error));
    } finally {
      setRevoking(false);
    }
  };

  return (
    <section className="card stack" aria-labelledby="tokens-title">
      <h2 id="tokens-title" className="card__title" tabIndex={-1}>
        API tokens
      </h2>
      <p className="muted">
        Tokens let scripts use the API as you: send <code>Authorization: Bearer &lt;token&gt;</code>
        . They can create and manage links but cannot sign devices out or make more tokens.
      </p>
      <form className="inline-form" noValidate onSubmit={(e) => void create(e)}>
        <TextField
          label="Token name"
          placeholder="e.g. deploy script"
          maxLength={64}
          value={name}
          error={nameError}
          onChange={(e) => {
            setName(e.target.value);
            setNameError(undefined);
          }}
        />
        <SelectField
          label="Expires"
          value={expiresIn}
          onChange={(e) => setExpiresIn(e.target.value)}
        >
          <option value="30">In 30 days</option>
          <option value="90">In 90 days</option>
          <option value="365">In a year</option>
          <option value="">Never</option>
        </SelectField>
        <button type="submit" className="button button--primary" disabled={creating}>
          {creating ? 'Creating…' : 'Create token'}
        </button>
      </form>
      {formError !== null && <FormError>{formError}</FormError>}
      {created !== null && (
        <div className="secret">
          <h3 id="secret-title" className="secret__title" tabIndex={-1} ref={secretRef}>
            Your new token “{created.name}”
          </h3>
          <p>Copy it now and keep it somewhere safe: it will not be shown again.</p>
          <div className="secret__value">
            <code data-testid="token-secret">{created.token}</code>
            <CopyButton
              value={created.token}
              what="Token"
              className="button button--secondary button--small"
            />
          </div>
          <button
            type="button"
            className="button button--ghost button--small"
            onClick={() => setCreated(null)}
          >
            I have saved it
          </button>
        </div>
      )}
      {tokens.status === 'loading' && <Loading />}
      {tokens.status === 'error' && <LoadError error={tokens.error} onRetry={reload} />}
      {tokens.status === 'ready' &&
        (tokens.data.length === 0 ? (
          <p className="muted">No tokens yet.</p>
        ) : (
          <ul className="rows" aria-label="API tokens">
            {tokens.data.map((token) => (
              <li key={token.tokenId} className="row">
                <div className="row__main">
                  <p className="row__title">
                    {token.name}
                    {token.expiresAt !== null && Date.parse(token.expiresAt) <= Date.now() && (
                      <span className="badge badge--muted">Expired</span>
                    )}
                  </p>
                  <p className="row__meta">
                    Created {formatDateTime(token.createdAt)} ·{' '}
                    {token.lastUsedAt === null
                      ? 'never used'
                      : `last used ${formatRelative(token.lastUsedAt)}`}{' '}
                    ·{' '}
                    {token.expiresAt === null
                      ? 'never expires'
                      : `expires ${formatDate(token.expiresAt)}`}
                  </p>
                </div>
                <button
                  type="button"
                  className="button button--ghost-danger button--small"
                  onClick={() => setTarget(token)}
                >
                  Revoke<span className="visually-hidden"> {token.name}</span>
                </button>
              </li>
            ))}
          </ul>
        ))}
      {target !== null && (
        <ConfirmDialog
          open
          title={`Revoke “${target.name}”?`}
          description={
            <p>Scripts using this token will be refused at once. This cannot be undone.</p>
          }
          confirmLabel="Revoke token"
          busy={revoking}
          error={revokeError}
          onConfirm={() => void revoke(target)}
          onClose={() => {
            setTarget(null);
            setRevokeError(null);
          }}
        />
      )}
    </section>
  );
}
