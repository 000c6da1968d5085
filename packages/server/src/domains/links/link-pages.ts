import type { FastifyReply } from 'fastify';
import { escapeHtml, renderPage } from '../../http/html.js';

/**
 * Headers of the server-rendered link pages: nothing but the inline styles runs, forms
 * post only here, no framing (clickjacking), and never cached (the link may change).
 */
export function setPageHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin');
}

/** The preview of a link: its target, escaped, and a button that follows it. */
export function renderPreviewPage(code: string, shortUrl: string, target: string): string {
  const path = `/${encodeURIComponent(code)}`;
  return renderPage(
    'Where this link goes',
    `<h1>Where this link goes</h1>
<p><a href="${escapeHtml(path)}">${escapeHtml(shortUrl)}</a> leads to:</p>
<p class="target">${escapeHtml(target)}</p>
<p>Check the address before you follow it: short links can hide where they go.</p>
<a class="btn" href="${escapeHtml(path)}">Follow the link</a>`,
  );
}

/** The form that asks for a protected link's password; `problem` is shown above it. */
export function renderPasswordPage(code: string, problem: string | null): string {
  const action = `/${encodeURIComponent(code)}+`;
  const alert = problem === null ? '' : `<p class="error" role="alert">${escapeHtml(problem)}</p>`;
  return renderPage(
    'Password required',
    `<h1>This link is password-protected</h1>
<p>Enter its password to follow it.</p>
${alert}<form method="post" action="${escapeHtml(action)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" required maxlength="256" autocomplete="off" autofocus${problem === null ? '' : ' aria-invalid="true"'}>
<button class="btn" type="submit">Follow the link</button>
</form>`,
  );
}
