/** The chat's icons: decorative (`aria-hidden`); the control or text around them names them. */

const stroke = {
  fill: 'none',
  stroke: 'currentColor',
  strokeWidth: 2,
  strokeLinecap: 'round',
  strokeLinejoin: 'round',
} as const;

/** The icon of a message waiting in the outbox. */
export function ClockIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <circle cx="8" cy="8" r="6" {...stroke} strokeWidth={1.6} />
      <path d="M8 4.8V8l2.2 1.4" {...stroke} strokeWidth={1.6} />
    </svg>
  );
}

/** One tick (sent), or two (delivered or read). */
export function TicksIcon({ double }: { double: boolean }) {
  return (
    <svg viewBox="0 0 20 14" width="18" height="13" aria-hidden="true">
      <path
        d={double ? 'M1.5 7.5l3.5 3.5 7-8' : 'M4.5 7.5l3.5 3.5 7-8'}
        {...stroke}
        strokeWidth={1.8}
      />
      {double && <path d="M9 11l7-8" {...stroke} strokeWidth={1.8} />}
    </svg>
  );
}

/** A message the server refused. */
export function FailedIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <circle cx="8" cy="8" r="6.5" fill="currentColor" />
      <path
        d="M8 4.5v4.2M8 11.2v.1"
        stroke="var(--surface)"
        strokeWidth={1.8}
        strokeLinecap="round"
      />
    </svg>
  );
}

/** Back to the conversation list (phones). */
export function BackIcon() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <path d="M15 5l-7 7 7 7" {...stroke} />
    </svg>
  );
}

/** Send a message. */
export function SendIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path d="M4 12l16-8-6 16-2.5-6.5L4 12z" {...stroke} />
    </svg>
  );
}

/** A new 1:1 chat. */
export function NewChatIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path d="M20 12a8 8 0 0 1-11.6 7.1L4 20l1-4A8 8 0 1 1 20 12z" {...stroke} />
      <path d="M12 8.5v7M8.5 12h7" {...stroke} />
    </svg>
  );
}

/** A new group. */
export function NewGroupIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <circle cx="9" cy="8" r="3.2" {...stroke} />
      <path d="M3 19c.6-3.3 3-5 6-5s5.4 1.7 6 5" {...stroke} />
      <path d="M18.5 8v6M15.5 11h6" {...stroke} />
    </svg>
  );
}

/** Desktop notifications, on or off. */
export function BellIcon({ off }: { off: boolean }) {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path d="M6 16V11a6 6 0 0 1 12 0v5l1.5 2h-15L6 16z" {...stroke} />
      <path d="M10 20.5a2.2 2.2 0 0 0 4 0" {...stroke} />
      {off && <path d="M4 4l16 16" {...stroke} />}
    </svg>
  );
}

/** Details of a conversation (group members, contact). */
export function InfoIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <circle cx="12" cy="12" r="9" {...stroke} />
      <path d="M12 11v5.5M12 7.6v.1" {...stroke} />
    </svg>
  );
}

/** Scroll to the newest message. */
export function DownIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
      <path d="M6 9l6 6 6-6" {...stroke} />
    </svg>
  );
}

/** Search the conversation list. */
export function SearchIcon() {
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
      <circle cx="11" cy="11" r="6.5" {...stroke} />
      <path d="M16 16l4 4" {...stroke} />
    </svg>
  );
}
