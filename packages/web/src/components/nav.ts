/** A top-level section of the app, as the header's navigation lists it. */
export interface NavSection {
  readonly href: string;
  readonly label: string;
  /** Shown only to signed-in users. */
  readonly signedIn: boolean;
  /** Paths that belong to the section, for `aria-current`. */
  readonly matches: (path: string) => boolean;
}

const within = (prefix: string) => (path: string) =>
  path === prefix || path.startsWith(`${prefix}/`);

/**
 * The sections of the app, in header order. Chat joins here as `{ href: '/chat', ... }`
 * (its paths are already reserved, and the server answers `/chat/*` with the app).
 */
export const NAV_SECTIONS: readonly NavSection[] = [
  { href: '/', label: 'Shorten', signedIn: false, matches: (path) => path === '/' },
  { href: '/links', label: 'My links', signedIn: true, matches: within('/links') },
  { href: '/chat', label: 'Chat', signedIn: true, matches: within('/chat') },
  { href: '/settings', label: 'Settings', signedIn: true, matches: within('/settings') },
];
