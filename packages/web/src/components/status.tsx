import type { ReactNode } from 'react';
import { describeError } from '../api/error-messages.js';

/** A placeholder while data loads; `aria-busy` tells assistive technology to wait. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="state state--loading" aria-busy="true">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** A load that failed: what went wrong in plain words, and a way to try again. */
export function LoadError({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <div className="state state--error" role="alert">
      <p className="state__title">Couldn’t load this</p>
      <p>{describeError(error)}</p>
      {onRetry !== undefined && (
        <button type="button" className="button button--secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** Nothing to show yet, and what to do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state--empty">
      <svg viewBox="0 0 48 48" width="48" height="48" aria-hidden="true" className="state__icon">
        <path
          d="M20 28a6 6 0 0 0 8.5 0l7-7a6 6 0 0 0-8.5-8.5l-1.5 1.5M28 20a6 6 0 0 0-8.5 0l-7 7a6 6 0 0 0 8.5 8.5l1.5-1.5"
          fill="none"
          stroke="currentColor"
          strokeWidth="3"
          strokeLinecap="round"
        />
      </svg>
      <p className="state__title">{title}</p>
      {children}
    </div>
  );
}
