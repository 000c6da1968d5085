import type { CreateLinkRequest, Link, LinkStats, UpdateLinkRequest } from '@switchboard/shared';
import { apiBlob, apiRequest } from './http.js';

/** A page of the caller's links and the cursor of the next one. */
export interface LinkPage {
  readonly items: Link[];
  readonly nextCursor: string | null;
}

const linkPath = (code: string) => `/api/links/${encodeURIComponent(code)}`;

/** Shortens a URL, as the signed-in user or anonymously. */
export function createLink(request: CreateLinkRequest): Promise<Link> {
  return apiRequest<Link>('POST', '/api/links', { body: request });
}

/** One page of the caller's links, newest first. */
export function listLinks(
  cursor: string | null,
  limit: number,
  signal?: AbortSignal,
): Promise<LinkPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (cursor !== null) query.set('cursor', cursor);
  return apiRequest<LinkPage>('GET', `/api/links?${query.toString()}`, { signal });
}

/** A link with its click count. */
export function fetchLink(code: string, signal?: AbortSignal): Promise<Link> {
  return apiRequest<Link>('GET', linkPath(code), { signal });
}

/** A link's click statistics. */
export function fetchStats(code: string, days: number, signal?: AbortSignal): Promise<LinkStats> {
  return apiRequest<LinkStats>('GET', `${linkPath(code)}/stats?days=${days}`, { signal });
}

/** Changes a link (owner only). */
export function updateLink(code: string, request: UpdateLinkRequest): Promise<Link> {
  return apiRequest<Link>('PATCH', linkPath(code), { body: request });
}

/** Deletes a link (owner only). */
export function deleteLink(code: string): Promise<void> {
  return apiRequest<void>('DELETE', linkPath(code));
}

/** The formats the server draws a link's QR code in. */
export type QrFormat = 'svg' | 'png';

/** A link's QR code image. */
export function fetchQr(
  code: string,
  format: QrFormat,
  size: number,
  signal?: AbortSignal,
): Promise<Blob> {
  return apiBlob(`${linkPath(code)}/qr.${format}?size=${size}`, signal);
}
