import { useEffect, useState } from 'react';
import { copyText } from '../lib/clipboard.js';
import { useAnnounce } from './announcer.js';

const FEEDBACK_MS = 2_000;

/** Copies a value in one click, and says so on the button and to screen readers. */
export function CopyButton({
  value,
  label = 'Copy',
  what = 'Link',
  className = 'button button--secondary',
}: {
  value: string;
  label?: string;
  /** What was copied, for the announcement ("Link copied"). */
  what?: string;
  className?: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const announce = useAnnounce();

  useEffect(() => {
    if (state === 'idle') return undefined;
    const timer = setTimeout(() => setState('idle'), FEEDBACK_MS);
    return () => clearTimeout(timer);
  }, [state]);

  const copy = async () => {
    try {
      await copyText(value);
      setState('copied');
      announce(`${what} copied to the clipboard`, 'success');
    } catch {
      setState('failed');
      announce('Could not copy: select the text and copy it by hand', 'error');
    }
  };

  return (
    <button
      type="button"
      className={className}
      data-state={state}
      aria-label={state === 'idle' ? `${label} ${value}` : undefined}
      onClick={() => void copy()}
    >
      <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" className="button__icon">
        {state === 'copied' ? (
          <path
            d="M5 12l5 5 9-10"
            fill="none"
            stroke="currentColor"
            strokeWidth="2.2"
            strokeLinecap="round"
            strokeLinejoin="round"
          />
        ) : (
          <>
            <rect
              x="8"
              y="8"
              width="12"
              height="12"
              rx="2"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
            />
            <path
              d="M16 8V6a2 2 0 0 0-2-2H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h2"
              fill="none"
              stroke="currentColor"
              strokeWidth="2"
            />
          </>
        )}
      </svg>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}
    </button>
  );
}
