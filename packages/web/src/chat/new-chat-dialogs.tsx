import type { PublicUser, SwitchboardClient } from '@switchboard/sdk';
import { GROUP_NAME_MAX_LENGTH } from '@switchboard/shared';
import { useState, type FormEvent } from 'react';
import { useLocation } from 'wouter';
import type { Session } from '../api/session.js';
import { useAnnounce } from '../components/announcer.js';
import { Dialog } from '../components/dialog.js';
import { FormError, TextField } from '../components/field.js';
import { Avatar } from './avatar.js';
import { conversationPath } from './chat-paths.js';
import { codeOf, describeChatError } from './chat-errors.js';
import type { ChatDirectory } from './directory.js';
import { checkUsername, normaliseUsername } from './usernames.js';

/**
 * Finds a person by username for a form: the user, or the sentence to show under the
 * field (unknown account, malformed name, offline...).
 */
export async function findPerson(
  client: SwitchboardClient,
  directory: ChatDirectory | null,
  typed: string,
): Promise<{ user: PublicUser } | { error: string }> {
  const username = normaliseUsername(typed);
  const invalid = checkUsername(username);
  if (invalid !== null) return { error: invalid };
  try {
    const user = await client.users.byUsername(username);
    directory?.remember(user);
    return { user };
  } catch (error) {
    return {
      error:
        codeOf(error) === 'USER_NOT_FOUND' || codeOf(error) === 'NOT_FOUND'
          ? `There is no account named “${username}”.`
          : describeChatError(error),
    };
  }
}

/** "New chat": a username, then the conversation with that person. */
export function NewChatDialog({
  client,
  directory,
  onClose,
}: {
  client: SwitchboardClient;
  directory: ChatDirectory | null;
  onClose: () => void;
}) {
  const [, navigate] = useLocation();
  const [username, setUsername] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const found = await findPerson(client, directory, username);
    setBusy(false);
    if ('error' in found) {
      setError(found.error);
      return;
    }
    onClose();
    navigate(conversationPath(`user:${found.user.userId}`));
  };

  return (
    <Dialog
      open
      focusFirstField
      title="New chat"
      onClose={onClose}
      description={<p>Who do you want to write to?</p>}
    >
      <form className="stack" noValidate onSubmit={(e) => void submit(e)}>
        <TextField
          label="Username"
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={username}
          error={error}
          onChange={(e) => setUsername(e.target.value)}
        />
        <div className="dialog__actions">
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy} aria-busy={busy}>
            {busy ? 'Looking…' : 'Start chat'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** "New group": a name and the people in it, added by username. */
export function NewGroupDialog({
  client,
  directory,
  session,
  onClose,
}: {
  client: SwitchboardClient;
  directory: ChatDirectory | null;
  session: Session;
  onClose: () => void;
}) {
  const [, navigate] = useLocation();
  const announce = useAnnounce();
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>(undefined);
  const [username, setUsername] = useState('');
  const [memberError, setMemberError] = useState<string | undefined>(undefined);
  const [members, setMembers] = useState<PublicUser[]>([]);
  const [busy, setBusy] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);

  const addMember = async () => {
    setMemberError(undefined);
    const typed = normaliseUsername(username);
    if (typed === session.username) {
      setMemberError('You are in the group already, as its admin.');
      return;
    }
    if (members.some((m) => m.username === typed)) {
      setMemberError(`${typed} is on the list already.`);
      return;
    }
    setBusy(true);
    const found = await findPerson(client, directory, username);
    setBusy(false);
    if ('error' in found) {
      setMemberError(found.error);
      return;
    }
    setMembers((list) => [...list, found.user]);
    setUsername('');
    announce(`${found.user.displayName ?? found.user.username} added to the list`, 'info');
  };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const trimmed = name.trim();
    if (trimmed === '') {
      setNameError('Give the group a name.');
      return;
    }
    setNameError(undefined);
    setBusy(true);
    try {
      const group = await client.groups.create(
        trimmed,
        members.map((m) => m.userId),
      );
      directory?.setGroup(group);
      onClose();
      announce(`Group “${group.name}” created`, 'success');
      navigate(conversationPath(`group:${group.groupId}`));
    } catch (error) {
      if (codeOf(error) === 'INVALID_GROUP_NAME') setNameError(describeChatError(error));
      else setFormError(describeChatError(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open focusFirstField title="New group" onClose={onClose}>
      <form className="stack" noValidate onSubmit={(e) => void create(e)}>
        <TextField
          label="Group name"
          autoComplete="off"
          maxLength={GROUP_NAME_MAX_LENGTH}
          value={name}
          error={nameError}
          onChange={(e) => setName(e.target.value)}
        />
        <div className="inline-form">
          <TextField
            label="Add people by username"
            hint="You can add more people later."
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            error={memberError}
            onChange={(e) => setUsername(e.target.value)}
            onKeyDown={(e) => {
              // Enter here adds the person rather than creating the group half-filled.
              if (e.key === 'Enter') {
                e.preventDefault();
                void addMember();
              }
            }}
          />
          <button
            type="button"
            className="button button--secondary"
            disabled={busy || username.trim() === ''}
            onClick={() => void addMember()}
          >
            Add
          </button>
        </div>
        {members.length > 0 && (
          <ul className="member-chips" aria-label="People in the new group">
            {members.map((member) => {
              const label = member.displayName ?? member.username;
              return (
                <li key={member.userId} className="member-chip">
                  <Avatar id={member.userId} name={label} size={24} />
                  <span>{label}</span>
                  <button
                    type="button"
                    className="icon-button member-chip__remove"
                    aria-label={`Remove ${label}`}
                    onClick={() =>
                      setMembers((list) => list.filter((m) => m.userId !== member.userId))
                    }
                  >
                    <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true">
                      <path
                        d="M6 6l12 12M18 6L6 18"
                        stroke="currentColor"
                        strokeWidth="2"
                        strokeLinecap="round"
                      />
                    </svg>
                  </button>
                </li>
              );
            })}
          </ul>
        )}
        {formError !== null && <FormError>{formError}</FormError>}
        <div className="dialog__actions">
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy} aria-busy={busy}>
            Create group
          </button>
        </div>
      </form>
    </Dialog>
  );
}
