import { z } from 'zod';
import { LINK_PASSWORD_MAX_LENGTH, URL_MAX_LENGTH } from '../limits.js';
import { PageQuery, pageOf, requestBody, requestQuery } from './common.js';

/** The redirect status a link answers with; 302 unless asked otherwise. */
export const RedirectType = z.union([
  z.literal(301),
  z.literal(302),
  z.literal(307),
  z.literal(308),
]);
export type RedirectType = z.infer<typeof RedirectType>;

/**
 * A link's target. Its length is not capped here but by the URL policy, which answers
 * `URL_TOO_LONG` for anything over `URL_MAX_LENGTH` before it parses the URL: a cap in
 * the schema would answer `INVALID_REQUEST` above it instead. The request body limit
 * (1 MiB) bounds what reaches the policy. The document still shows the limit.
 */
const TargetUrl = z.string().meta({
  maxLength: URL_MAX_LENGTH,
  description: `An absolute http: or https: URL of at most ${URL_MAX_LENGTH} characters, as given and once normalised; a longer one is refused with \`400 URL_TOO_LONG\`.`,
});

/** The fields of a link, besides its target, that can be set at creation and changed later. */
const linkSettings = {
  expiresAt: z.string().max(64).nullable().optional().describe('ISO 8601 date-time in the future'),
  maxClicks: z.number().nullable().optional().describe('Positive integer'),
  password: z.string().min(1).max(LINK_PASSWORD_MAX_LENGTH).nullable().optional(),
  redirectType: z.number().optional().describe('301, 302 (default), 307 or 308'),
};

/**
 * Creating a link. Types only: the URL, alias, expiry and click rules are checked by
 * the service so that each refusal has its own code.
 */
export const CreateLinkRequest = requestBody({
  url: TargetUrl,
  alias: z.string().max(256).optional(),
  ...linkSettings,
});
export type CreateLinkRequest = z.infer<typeof CreateLinkRequest>;

/**
 * Changing a link: every field optional; `null` clears expiry, click limit or password.
 * The alias cannot be changed, and sending one is refused rather than ignored.
 */
export const UpdateLinkRequest = requestBody({ url: TargetUrl, ...linkSettings }).partial();
export type UpdateLinkRequest = z.infer<typeof UpdateLinkRequest>;

/** A link as the API presents it; `clicks` includes clicks not yet written to the database. */
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
    updatedAt: z.iso.datetime(),
    status: z
      .enum(['active', 'expired', 'exhausted'])
      .describe('Whether the link still redirects, and if not, why'),
  })
  .meta({ id: 'Link' });
export type Link = z.infer<typeof Link>;

/** The path parameter of every per-link route: a generated code or an alias. */
export const LinkCodeParams = z.object({
  code: z.string().min(1).max(256).describe('The generated code or the alias'),
});
export type LinkCodeParams = z.infer<typeof LinkCodeParams>;

/** `GET /api/links`: the caller's links, newest first. */
export const ListLinksQuery = PageQuery;
export type ListLinksQuery = z.infer<typeof ListLinksQuery>;

/** A page of the caller's links; pass `nextCursor` as `cursor` for the next one. */
export const LinkPage = pageOf(Link).meta({ id: 'LinkPage' });
export type LinkPage = z.infer<typeof LinkPage>;

/** One row of a breakdown: a referrer host, device class or browser family and its count. */
export const Breakdown = z.object({ key: z.string(), clicks: z.number().int() });
export type Breakdown = z.infer<typeof Breakdown>;

/** The window of `GET /api/links/:code/stats`. */
export const LinkStatsQuery = requestQuery({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(366)
    .default(30)
    .describe('How many days (ending today, UTC) `byDay` and the breakdowns cover'),
});
export type LinkStatsQuery = z.infer<typeof LinkStatsQuery>;

/** A link's clicks: the total, and by day, referrer, device and browser over a window. */
export const LinkStats = z
  .object({
    clicks: z.number().int().describe('Every click since the link was made'),
    from: z.iso.date().describe('First day of the window (UTC)'),
    to: z.iso.date().describe('Last day of the window (UTC): today'),
    byDay: z
      .array(z.object({ day: z.iso.date(), clicks: z.number().int() }))
      .describe('Every day of the window, oldest first, days without clicks included'),
    referrers: z.array(Breakdown).describe('By referrer host; `(direct)` when there was none'),
    devices: z.array(Breakdown).describe('By device class: desktop, mobile, tablet, bot, other'),
    browsers: z.array(Breakdown).describe('By browser family'),
    bots: z.number().int().describe('Clicks in the window that came from crawlers and other bots'),
  })
  .meta({ id: 'LinkStats' });
export type LinkStats = z.infer<typeof LinkStats>;

/** Following a password-protected link. */
export const UnlockLinkRequest = requestBody({
  password: z.string().max(LINK_PASSWORD_MAX_LENGTH),
});
export type UnlockLinkRequest = z.infer<typeof UnlockLinkRequest>;

/** The target of a password-protected link, for the right password; the click is counted. */
export const UnlockLinkResponse = z.object({
  url: z.string(),
  redirectType: RedirectType,
});
export type UnlockLinkResponse = z.infer<typeof UnlockLinkResponse>;

/**
 * Options of the QR code images (`qr.svg`, `qr.png`). Unlike the JSON API's query
 * strings, unknown parameters are ignored: these URLs are embedded in pages and printed,
 * are cached for a day, and are refreshed with cache busters (`?v=2`).
 */
export const QrCodeQuery = z.object({
  size: z.coerce
    .number()
    .int()
    .min(64)
    .max(2048)
    .default(256)
    .describe('Width and height in pixels'),
  margin: z.coerce
    .number()
    .int()
    .min(0)
    .max(16)
    .default(4)
    .describe('Quiet zone around the code, in modules (4 is what the standard asks for)'),
  dark: z
    .string()
    .regex(/^[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/)
    .default('000000')
    .describe('Colour of the modules: RRGGBB or RRGGBBAA, without `#`'),
  light: z
    .string()
    .regex(/^[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/)
    .default('ffffff')
    .describe('Background colour: RRGGBB or RRGGBBAA (`ffffff00` is transparent)'),
});
export type QrCodeQuery = z.infer<typeof QrCodeQuery>;
