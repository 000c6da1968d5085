import type { PresenceState, SwitchboardClient } from '@switchboard/sdk';
import { useEffect, useState } from 'react';
import type { Session } from '../api/session.js';
import { useAnnounce } from '../components/announcer.js';
import { Dialog } from '../components/dialog.js';
import { FormError } from '../components/field.js';
import { LoadError, Loading } from '../components/status.js';
import { Avatar } from './avatar.js';
import { useDirectory } from './chat-context.js';
import { describeChatError } from './chat-errors.js';
import { presenceLabel } from './chat-time.js';
import { personName } from './titles.js';

/**
 * A contact's details in a 1:1 conversation: name, username, presence, and blocking
 * them (their messages, presence and group invitations stop reaching me) or unblocking.
 */
export function ContactInfoDialog({
  client,
  session,
  userId,
  presence,
  onClose,
}: {
  client: SwitchboardClient;
  session: Session;
  userId: string;
  presence: PresenceState | undefined;
  onClose: () => void;
}) {
  const directory = useDirectory();
  const announce = useAnnounce();
  const [blocked, setBlocked] = useState<
    | { status: 'loading' }
    | { status: 'ready'; blocked: boolean }
    | { status: 'error'; error: unknown }
  >({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const name = personName(directory, userId, session.userId);
  const username = directory?.usernameOf(userId) ?? null;
  const seen = presenceLabel(presence, Date.now());

  useEffect(() => {
    let cancelled = false;
    setBlocked({ status: 'loading' });
    client.users.blocked().then(
      (list) =>
        !cancelled &&
        setBlocked({ status: 'ready', blocked: list.some((b) => b.userId === userId) }),
      (failure: unknown) => !cancelled && setBlocked({ status: 'error', error: failure }),
    );
    return () => {
      cancelled = true;
    };
  }, [client, userId, attempt]);

  const toggle = async (block: boolean) => {
    setBusy(true);
    setError(null);
    try {
      if (block) await client.users.block(userId);
      else await client.users.unblock(userId);
      setBlocked({ status: 'ready', blocked: block });
      announce(block ? `${name} is blocked` : `${name} is unblocked`, 'success');
    } catch (failure) {
      setError(describeChatError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open title="Contact info" onClose={onClose}>
      <div className="stack">
        <div className="group-info__head">
          <Avatar id={`user:${userId}`} name={name} size={48} />
          <div>
            <p className="group-info__name">{name}</p>
            {username !== null && username !== name && <p className="muted">@{username}</p>}
            {seen !== null && <p className="muted">{seen}</p>}
          </div>
        </div>
        {blocked.status === 'loading' && <Loading />}
        {blocked.status === 'error' && (
          <LoadError error={blocked.error} onRetry={() => setAttempt((n) => n + 1)} />
        )}
        {blocked.status === 'ready' && (
          <div className="group-info__leave stack">
            <p className="muted">
              {blocked.blocked
                ? `You blocked ${name}: their messages, presence and group invitations don’t reach you, and you can’t write to them.`
                : `Blocking ${name} stops their messages, presence and group invitations from reaching you. They are not told.`}
            </p>
            {error !== null && <FormError>{error}</FormError>}
            <div>
              <button
                type="button"
                className={
                  blocked.blocked ? 'button button--secondary' : 'button button--ghost-danger'
                }
                disabled={busy}
                aria-busy={busy}
                onClick={() => void toggle(!blocked.blocked)}
              >
                {blocked.blocked ? `Unblock ${name}` : `Block ${name}`}
              </button>
            </div>
          </div>
        )}
      </div>
    </Dialog>
  );
}
