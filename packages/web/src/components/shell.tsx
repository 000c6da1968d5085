import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { signOut } from '../api/accounts.js';
import { useSession } from '../api/session.js';
import { useAnnounce } from './announcer.js';
import { NAV_SECTIONS } from './nav.js';

function Logo() {
  return (
    <svg viewBox="0 0 32 32" width="28" height="28" aria-hidden="true" className="brand__mark">
      <rect width="32" height="32" rx="8" fill="currentColor" />
      <path
        d="M13 19a4 4 0 0 0 5.7 0l4-4a4 4 0 0 0-5.7-5.7l-.8.8M19 13a4 4 0 0 0-5.7 0l-4 4a4 4 0 0 0 5.7 5.7l.8-.8"
        fill="none"
        stroke="var(--on-accent)"
        strokeWidth="2.4"
        strokeLinecap="round"
      />
    </svg>
  );
}

/** The frame of every screen: skip link, header with navigation, main, footer. */
export function Shell({ children }: { children: ReactNode }) {
  const [path, navigate] = useLocation();
  const session = useSession();
  const announce = useAnnounce();
  const [signingOut, setSigningOut] = useState(false);
  const firstPath = useRef(path);

  // After a client-side navigation, move focus to the new page's heading, as a full
  // page load would put a screen reader at the top of the new content.
  useEffect(() => {
    if (firstPath.current === path) return;
    firstPath.current = '';
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [path]);

  const onSignOut = async () => {
    setSigningOut(true);
    await signOut();
    setSigningOut(false);
    announce('You are signed out', 'info');
    navigate('/');
  };

  const sections = NAV_SECTIONS.filter((s) => !s.signedIn || session !== null);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="header">
        <div className="header__inner">
          <Link href="/" className="brand">
            <Logo />
            <span className="brand__name">Switchboard</span>
          </Link>
          <nav className="nav" aria-label="Main">
            <ul className="nav__list">
              {sections.map((section) => (
                <li key={section.href}>
                  <Link
                    href={section.href}
                    className="nav__link"
                    aria-current={section.matches(path) ? 'page' : undefined}
                  >
                    {section.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <div className="header__account">
            {session === null ? (
              <>
                <Link href="/login" className="button button--ghost button--small">
                  Sign in
                </Link>
                <Link href="/signup" className="button button--primary button--small">
                  Sign up
                </Link>
              </>
            ) : (
              <>
                <span className="header__user" title={`Signed in as ${session.username}`}>
                  <span className="visually-hidden">Signed in as </span>
                  {session.username}
                </span>
                <button
                  type="button"
                  className="button button--ghost button--small"
                  onClick={() => void onSignOut()}
                  disabled={signingOut}
                >
                  Sign out
                </button>
              </>
            )}
          </div>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children}
      </main>
      <footer className="footer">
        <p>
          Switchboard · <a href="/api/openapi.json">API reference (OpenAPI)</a>
        </p>
      </footer>
    </div>
  );
}

/** A screen's title (also the document's) and its one `h1`. */
export function PageHeader({
  title,
  documentTitle,
  compact = false,
  aside,
  children,
}: {
  /** An action beside the title, such as "New link". */
  aside?: ReactNode;
  title: ReactNode;
  documentTitle: string;
  /** A smaller title, for long ones such as a short URL. */
  compact?: boolean;
  children?: ReactNode;
}) {
  useEffect(() => {
    document.title = `${documentTitle} · Switchboard`;
  }, [documentTitle]);
  const heading = (
    <h1
      className={compact ? 'page-header__title page-header__title--compact' : 'page-header__title'}
      tabIndex={-1}
    >
      {title}
    </h1>
  );
  return (
    <div className="page-header">
      {aside === undefined ? (
        heading
      ) : (
        <div className="page-header__row">
          {heading}
          {aside}
        </div>
      )}
      {children}
    </div>
  );
}
