import type { Group, SwitchboardClient } from '@switchboard/sdk';
import { GROUP_NAME_MAX_LENGTH } from '@switchboard/shared';
import { useEffect, useState, type FormEvent } from 'react';
import type { Session } from '../api/session.js';
import { useAnnounce } from '../components/announcer.js';
import { Dialog } from '../components/dialog.js';
import { FormError, TextField } from '../components/field.js';
import { LoadError, Loading } from '../components/status.js';
import { Avatar } from './avatar.js';
import { useDirectory } from './chat-context.js';
import { codeOf, describeChatError } from './chat-errors.js';
import type { ChatDirectory } from './directory.js';
import { findPerson } from './new-chat-dialogs.js';
import { personName } from './titles.js';

/**
 * A group's details: its name (admins rename it), its members with their roles (admins
 * add, remove and promote them), and leaving it. Every change goes to the server, and
 * the other members' apps hear of it through group events.
 */
export function GroupInfoDialog({
  client,
  directory,
  session,
  groupId,
  left,
  onClose,
}: {
  client: SwitchboardClient;
  directory: ChatDirectory | null;
  session: Session;
  groupId: string;
  /** True once this user is out of the group: only the name is left to show. */
  left: boolean;
  onClose: () => void;
}) {
  const announce = useAnnounce();
  // Re-renders with every change of the group (made here, or by another member).
  useDirectory();
  const [load, setLoad] = useState<{
    status: 'loading' | 'ready' | 'gone' | 'error';
    error?: unknown;
  }>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const group = directory?.group(groupId);

  useEffect(() => {
    if (directory === null || left) {
      setLoad({ status: 'gone' });
      return;
    }
    let cancelled = false;
    directory.loadGroup(groupId).then(
      (found) => !cancelled && setLoad({ status: found === null ? 'gone' : 'ready' }),
      (error: unknown) => !cancelled && setLoad({ status: 'error', error }),
    );
    return () => {
      cancelled = true;
    };
  }, [directory, groupId, left, attempt]);

  const mine = group?.members.find((m) => m.userId === session.userId);
  const admin = mine?.role === 'admin';
  const name = group?.name ?? directory?.groupName(groupId) ?? 'Group';

  return (
    <Dialog open title="Group info" onClose={onClose} className="dialog--wide">
      <div className="stack">
        <div className="group-info__head">
          <Avatar id={`group:${groupId}`} name={name} size={48} />
          <div>
            <p className="group-info__name">{name}</p>
            {group !== undefined && load.status === 'ready' && (
              <p className="muted">
                {group.members.length === 1 ? '1 member' : `${group.members.length} members`}
              </p>
            )}
          </div>
        </div>
        {load.status === 'loading' && group === undefined && <Loading label="Loading the group…" />}
        {load.status === 'error' && (
          <LoadError error={load.error} onRetry={() => setAttempt((n) => n + 1)} />
        )}
        {load.status === 'gone' && (
          <p className="notice">You are no longer a member of this group.</p>
        )}
        {load.status === 'ready' && group !== undefined && (
          <>
            {admin && (
              <RenameForm client={client} directory={directory} group={group} announce={announce} />
            )}
            <MembersSection
              client={client}
              directory={directory}
              session={session}
              group={group}
              admin={admin}
              announce={announce}
            />
            <LeaveSection
              client={client}
              directory={directory}
              group={group}
              announce={announce}
              onLeft={onClose}
            />
          </>
        )}
      </div>
    </Dialog>
  );
}

type Announce = ReturnType<typeof useAnnounce>;

function RenameForm({
  client,
  directory,
  group,
  announce,
}: {
  client: SwitchboardClient;
  directory: ChatDirectory | null;
  group: Group;
  announce: Announce;
}) {
  const [name, setName] = useState<string | null>(null);
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (name === null) return;
    const trimmed = name.trim();
    if (trimmed === '') {
      setError('Give the group a name.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const updated = await client.groups.rename(group.groupId, trimmed);
      directory?.setGroup(updated);
      setName(null);
      announce('Group renamed', 'success');
    } catch (failure) {
      setError(describeChatError(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="inline-form" noValidate onSubmit={(e) => void save(e)}>
      <TextField
        label="Group name"
        autoComplete="off"
        maxLength={GROUP_NAME_MAX_LENGTH}
        value={name ?? group.name}
        error={error}
        onChange={(e) => setName(e.target.value)}
      />
      <button
        type="submit"
        className="button button--secondary"
        disabled={busy || name === null || name.trim() === group.name}
      >
        Rename
      </button>
    </form>
  );
}

function MembersSection({
  client,
  directory,
  session,
  group,
  admin,
  announce,
}: {
  client: SwitchboardClient;
  directory: ChatDirectory | null;
  session: Session;
  group: Group;
  admin: boolean;
  announce: Announce;
}) {
  const [username, setUsername] = useState('');
  const [addError, setAddError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const members = [...group.members].sort(
    (a, b) =>
      Number(b.userId === session.userId) - Number(a.userId === session.userId) ||
      Number(b.role === 'admin') - Number(a.role === 'admin'),
  );

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setAddError(undefined);
    setBusy('add');
    try {
      const found = await findPerson(client, directory, username);
      if ('error' in found) {
        setAddError(found.error);
        return;
      }
      const updated = await client.groups.addMember(group.groupId, found.user.userId);
      directory?.setGroup(updated);
      setUsername('');
      announce(`${found.user.displayName ?? found.user.username} added to the group`, 'success');
    } catch (failure) {
      setAddError(describeChatError(failure));
    } finally {
      setBusy(null);
    }
  };

  const remove = async (userId: string) => {
    const name = personName(directory, userId, session.userId);
    setBusy(userId);
    setError(null);
    try {
      await client.groups.removeMember(group.groupId, userId);
      await directory?.loadGroup(group.groupId);
      announce(`${name} removed from the group`, 'success');
      requestAnimationFrame(() => document.getElementById('group-members-title')?.focus());
    } catch (failure) {
      setError(describeChatError(failure));
    } finally {
      setBusy(null);
    }
  };

  const promote = async (userId: string) => {
    setBusy(userId);
    setError(null);
    try {
      const updated = await client.groups.setRole(group.groupId, userId, 'admin');
      directory?.setGroup(updated);
      announce(`${personName(directory, userId, session.userId)} is now an admin`, 'success');
    } catch (failure) {
      setError(describeChatError(failure));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="stack" aria-labelledby="group-members-title">
      <h3 id="group-members-title" className="group-info__section-title" tabIndex={-1}>
        Members
      </h3>
      {error !== null && <FormError>{error}</FormError>}
      <ul className="rows" aria-label="Members">
        {members.map((member) => {
          const me = member.userId === session.userId;
          const name = personName(directory, member.userId, session.userId);
          const username = directory?.usernameOf(member.userId);
          return (
            <li key={member.userId} className="row">
              <div className="row__main member-row">
                <Avatar id={member.userId} name={me ? session.username : name} size={32} />
                <div>
                  <p className="row__title">
                    {name}
                    {member.role === 'admin' && <span className="badge badge--accent">Admin</span>}
                  </p>
                  {!me && username !== null && username !== undefined && username !== name && (
                    <p className="row__meta">@{username}</p>
                  )}
                </div>
              </div>
              {admin && !me && (
                <div className="member-row__actions">
                  {member.role !== 'admin' && (
                    <button
                      type="button"
                      className="button button--ghost button--small"
                      disabled={busy !== null}
                      onClick={() => void promote(member.userId)}
                    >
                      Make admin<span className="visually-hidden"> {name}</span>
                    </button>
                  )}
                  <button
                    type="button"
                    className="button button--ghost-danger button--small"
                    disabled={busy !== null}
                    onClick={() => void remove(member.userId)}
                  >
                    Remove<span className="visually-hidden"> {name}</span>
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {admin && (
        <form className="inline-form" noValidate onSubmit={(e) => void add(e)}>
          <TextField
            label="Add a member by username"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            error={addError}
            onChange={(e) => setUsername(e.target.value)}
          />
          <button
            type="submit"
            className="button button--secondary"
            disabled={busy !== null || username.trim() === ''}
          >
            Add member
          </button>
        </form>
      )}
    </section>
  );
}

function LeaveSection({
  client,
  directory,
  group,
  announce,
  onLeft,
}: {
  client: SwitchboardClient;
  directory: ChatDirectory | null;
  group: Group;
  announce: Announce;
  onLeft: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const leave = async () => {
    setBusy(true);
    setError(null);
    try {
      await client.groups.leave(group.groupId);
      await directory?.loadGroup(group.groupId).catch(() => null);
      onLeft();
      announce(`You left “${group.name}”`, 'info');
    } catch (failure) {
      setError(
        codeOf(failure) === 'LAST_ADMIN'
          ? 'You are the only admin: make someone else an admin before you leave.'
          : describeChatError(failure),
      );
    } finally {
      setBusy(false);
    }
  };

  if (!confirming) {
    return (
      <div className="group-info__leave">
        <button
          type="button"
          className="button button--ghost-danger"
          onClick={() => setConfirming(true)}
        >
          Leave group
        </button>
      </div>
    );
  }
  return (
    <div
      className="group-info__leave group-info__confirm"
      role="group"
      aria-label="Leave the group"
    >
      <p>
        Leave <strong>{group.name}</strong>? You will stop getting its messages; what you have stays
        on this device.
      </p>
      {error !== null && <FormError>{error}</FormError>}
      <div className="dialog__actions">
        <button type="button" className="button button--ghost" onClick={() => setConfirming(false)}>
          Cancel
        </button>
        <button
          type="button"
          className="button button--danger"
          disabled={busy}
          aria-busy={busy}
          onClick={() => void leave()}
        >
          {busy ? 'Leaving…' : 'Leave'}
        </button>
      </div>
    </div>
  );
}
