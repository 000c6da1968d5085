/**
 * Background colours for avatars: each keeps white initials above 4.5:1 contrast, in
 * light and dark schemes alike.
 */
const COLOURS = ['#3949c7', '#7b3fa0', '#a4325a', '#9a4a00', '#1b6e3a', '#0f6a7a', '#5a5f73'];

/** The colour of an id: the same person always gets the same one. */
export function avatarColour(id: string): string {
  let hash = 0;
  for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return COLOURS[Math.abs(hash) % COLOURS.length]!;
}

/** Up to two initials of a name ("Ada Lovelace" → "AL", "bob" → "B"). */
export function initialsOf(name: string): string {
  const words = name
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const letters = words.slice(0, 2).map((w) => [...w][0]!.toUpperCase());
  return letters.join('') || '?';
}

/** A round badge of initials for a person or a group; decorative, as the name is beside it. */
export function Avatar({ id, name, size = 40 }: { id: string; name: string; size?: number }) {
  return (
    <span
      className="avatar"
      aria-hidden="true"
      style={{ background: avatarColour(id), width: size, height: size, fontSize: size * 0.4 }}
    >
      {initialsOf(name)}
    </span>
  );
}
