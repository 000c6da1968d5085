import { z } from 'zod';
import { LINK_PASSWORD_MAX_LENGTH } from '../limits.js';

/** The redirect status a link answers with; 302 unless asked otherwise. */
export const RedirectType = z.union([
  z.literal(301),
  z.literal(302),
  z.literal(307),
  z.literal(308),
]);
export type RedirectType = z.infer<typeof RedirectType>;

/**
 * Creating a link. Types only: the URL, alias, expiry and click rules are checked by
 * the service so that each refusal has its own code.
 */
export const CreateLinkRequest = z.object({
  url: z.string().max(65_536),
  alias: z.string().max(256).optional(),
  expiresAt: z.string().max(64).nullable().optional().describe('ISO 8601 date-time in the future'),
  maxClicks: z.number().nullable().optional().describe('Positive integer'),
  password: z.string().min(1).max(LINK_PASSWORD_MAX_LENGTH).nullable().optional(),
  redirectType: z.number().optional().describe('301, 302 (default), 307 or 308'),
});
export type CreateLinkRequest = z.infer<typeof CreateLinkRequest>;

/** Changing a link: every field optional; `null` clears expiry, click limit or password. */
export const UpdateLinkRequest = CreateLinkRequest.omit({ alias: true }).partial();
export type UpdateLinkRequest = z.infer<typeof UpdateLinkRequest>;

export const Link = z
  .object({
    code: z.string(),
    shortUrl: z.string(),
    url: z.string(),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime().nullable(),
    maxClicks: z.number().int().nullable(),
    redirectType: RedirectType,
    clicks: z.number().int(),
    hasPassword: z.boolean(),
  })
  .meta({ id: 'Link' });
export type Link = z.infer<typeof Link>;

/** One row of a breakdown: a referrer host, device class or browser family and its count. */
export const Breakdown = z.object({ key: z.string(), clicks: z.number().int() });
export type Breakdown = z.infer<typeof Breakdown>;

export const LinkStats = z
  .object({
    clicks: z.number().int(),
    byDay: z.array(z.object({ day: z.iso.date(), clicks: z.number().int() })),
    referrers: z.array(Breakdown).describe('By referrer host; `(direct)` when there was none'),
    devices: z.array(Breakdown).describe('By device class: desktop, mobile, tablet, bot, other'),
    browsers: z.array(Breakdown).describe('By browser family'),
    bots: z.number().int().describe('Clicks that came from crawlers and other bots'),
  })
  .meta({ id: 'LinkStats' });
export type LinkStats = z.infer<typeof LinkStats>;

/** Following a password-protected link. */
export const UnlockLinkRequest = z.object({ password: z.string().max(LINK_PASSWORD_MAX_LENGTH) });
export type UnlockLinkRequest = z.infer<typeof UnlockLinkRequest>;
