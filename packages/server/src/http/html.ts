import type { AppError } from '@switchboard/shared';
import type { IncomingHttpHeaders } from 'node:http';

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * True for a browser navigating to a page, false for an API client. It reads only the
 * path and the Accept header, so Node's request (before Fastify) serves as well.
 */
export function wantsHtml(request: {
  readonly url?: string;
  readonly headers: IncomingHttpHeaders;
}): boolean {
  if ((request.url ?? '/').startsWith('/api/')) return false;
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/**
 * A small self-contained page in the product's look, for server-rendered screens
 * (errors, link previews, password prompts). `body` must already be escaped HTML.
 */
export function renderPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · Switchboard</title>
<style>
:root{color-scheme:light dark;--bg:#f6f7fb;--fg:#1b1f2a;--muted:#5b6375;--card:#fff;--accent:#3949c7;--border:#dde1ea}
@media (prefers-color-scheme:dark){:root{--bg:#11141b;--fg:#e8eaf0;--muted:#a4abbb;--card:#1a1e28;--accent:#8f9cff;--border:#2b3140}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--fg);display:grid;place-items:center;min-height:100vh;padding:1rem}
main{background:var(--card);border:1px solid var(--border);border-radius:14px;padding:2rem;max-width:36rem;width:100%}
h1{font-size:1.4rem;margin:0 0 .5rem}p{margin:.5rem 0;color:var(--muted)}a{color:var(--accent)}
.target{word-break:break-all;background:var(--bg);border:1px solid var(--border);border-radius:8px;padding:.75rem;color:var(--fg);font-family:ui-monospace,monospace;font-size:.9rem}
label{display:block;margin:1rem 0 .25rem;font-weight:600}input{width:100%;padding:.6rem .75rem;border:1px solid var(--border);border-radius:8px;font:inherit;background:var(--bg);color:var(--fg)}
.btn{display:inline-block;margin-top:1rem;padding:.6rem 1.1rem;border-radius:8px;background:var(--accent);color:#fff;text-decoration:none;border:0;font:inherit;font-weight:600;cursor:pointer}
@media (prefers-color-scheme:dark){.btn{color:#11141b}}
.error{color:#c62828}@media (prefers-color-scheme:dark){.error{color:#ff8a80}}
.home{display:block;margin-top:1.5rem;font-size:.9rem}
</style>
</head>
<body><main>${body}<a class="home" href="/">Switchboard</a></main></body>
</html>`;
}

/** The HTML page for an error answer to a browser. */
export function renderErrorPage(error: AppError): string {
  const titles: Record<number, string> = {
    404: 'Not found',
    410: 'This link is no longer available',
    429: 'Slow down',
    500: 'Something went wrong',
  };
  const title = titles[error.status] ?? 'Request failed';
  return renderPage(
    title,
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(error.message)}</p><p><small>${escapeHtml(error.code)}</small></p>`,
  );
}
