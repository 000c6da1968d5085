import { PAGE_SIZE_DEFAULT, type Link as ShortLink } from '@switchboard/shared';
import { useEffect, useState } from 'react';
import { Link } from 'wouter';
import { describeError } from '../api/error-messages.js';
import { deleteLink, listLinks } from '../api/links.js';
import { useAnnounce } from '../components/announcer.js';
import { CopyButton } from '../components/copy-button.js';
import { ConfirmDialog, Dialog } from '../components/dialog.js';
import { QrPanel } from '../components/qr-panel.js';
import { PageHeader } from '../components/shell.js';
import { Empty, LoadError, Loading } from '../components/status.js';
import { formatCount, formatDateTime, formatRelative } from '../lib/dates.js';
import { LinkEditDialog } from './link-edit-dialog.js';
import { LinkFacts } from './shorten-screen.js';
import { focusWhenDrawn } from '../lib/focus.js';

type ListState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'ready'; items: ShortLink[]; nextCursor: string | null };

type Action = { kind: 'qr' | 'edit' | 'delete'; link: ShortLink } | null;

/** "My links": the signed-in user's links, newest first, a page at a time. */
export function LinksScreen() {
  const announce = useAnnounce();
  const [list, setList] = useState<ListState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [more, setMore] = useState<{ busy: boolean; error: unknown }>({ busy: false, error: null });
  const [action, setAction] = useState<Action>(null);
  const [deleting, setDeleting] = useState<{ busy: boolean; error: string | null }>({
    busy: false,
    error: null,
  });

  useEffect(() => {
    const controller = new AbortController();
    setList({ status: 'loading' });
    listLinks(null, PAGE_SIZE_DEFAULT, controller.signal).then(
      (page) => setList({ status: 'ready', items: page.items, nextCursor: page.nextCursor }),
      (error: unknown) => {
        if (!controller.signal.aborted) setList({ status: 'error', error });
      },
    );
    return () => controller.abort();
  }, [attempt]);

  const loadMore = async () => {
    if (list.status !== 'ready' || list.nextCursor === null) return;
    setMore({ busy: true, error: null });
    try {
      const page = await listLinks(list.nextCursor, PAGE_SIZE_DEFAULT);
      setList((current) => {
        if (current.status !== 'ready') return current;
        // A link created meanwhile shifts pages: never list one twice.
        const seen = new Set(current.items.map((l) => l.code));
        const fresh = page.items.filter((l) => !seen.has(l.code));
        return {
          status: 'ready',
          items: [...current.items, ...fresh],
          nextCursor: page.nextCursor,
        };
      });
      setMore({ busy: false, error: null });
      announce(`${page.items.length} more ${page.items.length === 1 ? 'link' : 'links'} loaded`);
    } catch (error) {
      setMore({ busy: false, error });
    }
  };

  const replace = (link: ShortLink) =>
    setList((current) =>
      current.status === 'ready'
        ? { ...current, items: current.items.map((l) => (l.code === link.code ? link : l)) }
        : current,
    );

  const confirmDelete = async (link: ShortLink) => {
    setDeleting({ busy: true, error: null });
    try {
      await deleteLink(link.code);
      setList((current) =>
        current.status === 'ready'
          ? { ...current, items: current.items.filter((l) => l.code !== link.code) }
          : current,
      );
      setAction(null);
      setDeleting({ busy: false, error: null });
      announce(`Link ${link.code} deleted`, 'success');
      // The row and its button are gone: put focus somewhere that still exists.
      focusWhenDrawn(() => document.querySelector<HTMLElement>('main h1'));
    } catch (error) {
      setDeleting({ busy: false, error: describeError(error) });
    }
  };

  return (
    <div className="stack stack--lg">
      <PageHeader
        title="My links"
        documentTitle="My links"
        aside={
          <Link href="/" className="button button--primary">
            New link
          </Link>
        }
      />

      {list.status === 'loading' && <Loading label="Loading your links…" />}
      {list.status === 'error' && (
        <LoadError error={list.error} onRetry={() => setAttempt((n) => n + 1)} />
      )}
      {list.status === 'ready' && list.items.length === 0 && (
        <Empty title="No links yet">
          <p>Links you shorten while signed in show up here, with their clicks.</p>
          <Link href="/" className="button button--primary">
            Shorten your first link
          </Link>
        </Empty>
      )}
      {list.status === 'ready' && list.items.length > 0 && (
        <>
          <ul className="link-list" aria-label="Your links, newest first">
            {list.items.map((link) => (
              <LinkRow key={link.code} link={link} onAction={(kind) => setAction({ kind, link })} />
            ))}
          </ul>
          {more.error !== null && (
            <p className="form-error" role="alert">
              {describeError(more.error)}
            </p>
          )}
          {list.nextCursor !== null ? (
            <div className="load-more">
              <button
                type="button"
                className="button button--secondary"
                onClick={() => void loadMore()}
                disabled={more.busy}
                aria-busy={more.busy}
              >
                {more.busy ? 'Loading…' : 'Load more'}
              </button>
            </div>
          ) : (
            list.items.length > PAGE_SIZE_DEFAULT && (
              <p className="list-end">That’s all {formatCount(list.items.length)} of your links.</p>
            )
          )}
        </>
      )}

      {action?.kind === 'qr' && (
        <Dialog open title={`QR code for ${action.link.code}`} onClose={() => setAction(null)}>
          <QrPanel code={action.link.code} shortUrl={action.link.shortUrl} />
        </Dialog>
      )}
      {action?.kind === 'edit' && (
        <LinkEditDialog
          link={action.link}
          onClose={() => setAction(null)}
          onSaved={(saved) => {
            setAction(null);
            if (saved === null) {
              announce('Nothing to save: no changes');
            } else {
              replace(saved);
              announce(`Link ${saved.code} updated`, 'success');
            }
          }}
        />
      )}
      {action?.kind === 'delete' && (
        <ConfirmDialog
          open
          title={`Delete ${action.link.code}?`}
          description={
            <p>
              <strong>{action.link.shortUrl}</strong> will stop working at once, and its stats will
              be gone. This cannot be undone.
            </p>
          }
          confirmLabel="Delete link"
          busy={deleting.busy}
          error={deleting.error}
          onConfirm={() => void confirmDelete(action.link)}
          onClose={() => {
            setAction(null);
            setDeleting({ busy: false, error: null });
          }}
        />
      )}
    </div>
  );
}

function LinkRow({
  link,
  onAction,
}: {
  link: ShortLink;
  onAction: (kind: 'qr' | 'edit' | 'delete') => void;
}) {
  const display = link.shortUrl.replace(/^https?:\/\//, '');
  return (
    <li className="link-row">
      <div className="link-row__main">
        <h2 className="link-row__title">
          <a href={link.shortUrl} target="_blank" rel="noreferrer" className="link-row__short">
            {display}
          </a>
          {link.status === 'expired' && <span className="badge badge--muted">Expired</span>}
          {link.status === 'exhausted' && (
            <span className="badge badge--muted">Click limit reached</span>
          )}
        </h2>
        <p className="link-row__target" title={link.url}>
          {link.url}
        </p>
        <p className="link-row__meta">
          <Link href={`/links/${encodeURIComponent(link.code)}`} className="link-row__clicks">
            {formatCount(link.clicks)} {link.clicks === 1 ? 'click' : 'clicks'}
          </Link>
          <span aria-hidden="true"> · </span>
          <time dateTime={link.createdAt} title={formatDateTime(link.createdAt)}>
            Created {formatRelative(link.createdAt)}
          </time>
        </p>
        <LinkFacts link={link} />
      </div>
      <div className="link-row__actions">
        <CopyButton value={link.shortUrl} className="button button--secondary button--small" />
        <button
          type="button"
          className="button button--ghost button--small"
          onClick={() => onAction('qr')}
        >
          QR<span className="visually-hidden"> code for {link.code}</span>
        </button>
        <Link
          href={`/links/${encodeURIComponent(link.code)}`}
          className="button button--ghost button--small"
        >
          Stats<span className="visually-hidden"> for {link.code}</span>
        </Link>
        <button
          type="button"
          className="button button--ghost button--small"
          onClick={() => onAction('edit')}
        >
          Edit<span className="visually-hidden"> {link.code}</span>
        </button>
        <button
          type="button"
          className="button button--ghost-danger button--small"
          onClick={() => onAction('delete')}
        >
          Delete<span className="visually-hidden"> {link.code}</span>
        </button>
      </div>
    </li>
  );
}
