/**
 * The in-app path to return to after signing in, from `?next=`. Only same-origin paths
 * are followed, so a crafted sign-in link cannot send someone to another site.
 */
export function safeNextPath(search: string, fallback = '/links'): string {
  const next = new URLSearchParams(search).get('next');
  if (next === null || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) {
    return fallback;
  }
  try {
    const url = new URL(next, 'http://app.invalid');
    if (url.origin !== 'http://app.invalid') return fallback;
    return `${url.pathname}${url.search}${url.hash}`;
  } catch {
    return fallback;
  }
}
