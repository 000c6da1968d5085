import { DEVICE_NAME_MAX_LENGTH } from '@switchboard/shared';
import { UAParser } from 'ua-parser-js';

/** User agents longer than this are cut before they are stored. */
export const USER_AGENT_MAX_LENGTH = 512;

/** Control characters and bidirectional overrides, which could disguise a name on screen. */
const UNSAFE_TEXT = /[\p{Cc}\u2028\u2029\u202A-\u202E\u2066-\u2069]/gu;

/** A header value made safe to store and show: no control characters, bounded length. */
export function cleanUserAgent(userAgent: string | undefined): string | null {
  if (userAgent === undefined) return null;
  const cleaned = userAgent.replace(UNSAFE_TEXT, '').trim().slice(0, USER_AGENT_MAX_LENGTH);
  return cleaned.length > 0 ? cleaned : null;
}

/**
 * A name a person recognises for a device that did not name itself: "Firefox on
 * Linux", "Mobile Safari on iPhone", the product of a script's user agent ("curl"),
 * or "Unknown device".
 */
export function deviceNameFrom(userAgent: string | null): string {
  if (userAgent === null) return 'Unknown device';
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const where = device.model ?? os.name;
  let name: string;
  if (browser.name !== undefined) {
    name = where === undefined ? browser.name : `${browser.name} on ${where}`;
  } else {
    // Scripts send `product/version (comment)`: the product says enough.
    const product = userAgent.split(/[\s/;(]/, 1)[0] ?? '';
    name =
      where === undefined || product === '' ? product || where || '' : `${product} on ${where}`;
  }
  name = name.trim().slice(0, DEVICE_NAME_MAX_LENGTH);
  return name.length > 0 ? name : 'Unknown device';
}
