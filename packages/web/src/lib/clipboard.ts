/**
 * Copies text to the clipboard. The async Clipboard API needs a secure context, which a
 * self-hosted server on plain http is not, so fall back on a selected textarea there.
 */
export async function copyText(text: string): Promise<void> {
  if (window.isSecureContext && navigator.clipboard !== undefined) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Permission refused or document not focused: try the old way.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  document.body.append(area);
  area.select();
  try {
    // Deprecated but the only way without a secure context; it reports failure as false.
    if (!document.execCommand('copy')) throw new Error('copy refused');
  } finally {
    area.remove();
    previous?.focus();
  }
}
