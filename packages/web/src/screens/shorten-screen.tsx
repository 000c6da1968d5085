import type { Link as ShortLink } from '@switchboard/shared';
import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'wouter';
import { describeError, fieldOfError } from '../api/error-messages.js';
import { createLink } from '../api/links.js';
import { useSession } from '../api/session.js';
import { useAnnounce } from '../components/announcer.js';
import { CopyButton } from '../components/copy-button.js';
import { FormError, TextField } from '../components/field.js';
import { LinkOptionFields } from '../components/link-options.js';
import { QrPanel } from '../components/qr-panel.js';
import { PageHeader } from '../components/shell.js';
import { formatDateTime } from '../lib/dates.js';
import { focusFirstInvalid, focusWhenDrawn } from '../lib/focus.js';
import {
  checkAlias,
  EMPTY_LINK_FORM,
  toCreateRequest,
  type FieldErrors,
  type LinkFormValues,
} from '../lib/link-form.js';

const ADVANCED: readonly (keyof FieldErrors)[] = [
  'alias',
  'expiresAt',
  'maxClicks',
  'password',
  'redirectType',
];

/** The home screen: shorten a URL, with the power-user options folded away. */
export function ShortenScreen() {
  const session = useSession();
  const announce = useAnnounce();
  const [values, setValues] = useState<LinkFormValues>(EMPTY_LINK_FORM);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [optionsOpen, setOptionsOpen] = useState(false);
  const [created, setCreated] = useState<ShortLink | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const resultRef = useRef<HTMLHeadingElement>(null);

  const change = (patch: Partial<LinkFormValues>) => {
    setValues((v) => ({ ...v, ...patch }));
    // A field's error goes away as soon as it is edited; the next submit checks again.
    setErrors((e) => {
      const next = { ...e };
      for (const key of Object.keys(patch)) delete next[key as keyof FieldErrors];
      return next;
    });
  };

  const showErrors = (found: FieldErrors) => {
    setErrors(found);
    if (ADVANCED.some((f) => found[f] !== undefined)) setOptionsOpen(true);
    focusFirstInvalid(formRef.current);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setFormError(null);
    const read = toCreateRequest(values);
    if (!read.ok) {
      showErrors(read.errors);
      return;
    }
    setBusy(true);
    try {
      const link = await createLink(read.request);
      setCreated(link);
      setValues(EMPTY_LINK_FORM);
      setErrors({});
      announce('Short link created', 'success');
      focusWhenDrawn(() => resultRef.current);
    } catch (error) {
      const field = fieldOfError(error);
      if (field !== null) showErrors({ [field]: describeError(error) });
      else setFormError(describeError(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="stack stack--lg">
      <PageHeader title="Shorten a link" documentTitle="Shorten a link">
        <p className="page-header__lead">
          Paste a long address to get a short link you can share, track and print as a QR code.
        </p>
      </PageHeader>

      <form ref={formRef} className="card shorten" noValidate onSubmit={(e) => void submit(e)}>
        <div className="shorten__main">
          <TextField
            className="shorten__url"
            label="Long URL"
            type="text"
            inputMode="url"
            autoComplete="url"
            spellCheck={false}
            autoCapitalize="none"
            placeholder="https://example.com/a/very/long/address"
            value={values.url}
            error={errors.url}
            onChange={(e) => change({ url: e.target.value })}
          />
          <button
            type="submit"
            className="button button--primary button--large"
            disabled={busy}
            aria-busy={busy}
          >
            {busy ? 'Shortening…' : 'Shorten'}
          </button>
        </div>
        <details
          className="options"
          open={optionsOpen}
          onToggle={(e) => setOptionsOpen(e.currentTarget.open)}
        >
          <summary className="options__summary">More options</summary>
          <div className="options__grid">
            <TextField
              label="Custom alias"
              prefix={`${window.location.host}/`}
              hint="Letters, digits, “_” and “-”; 3 to 64 characters. Case-sensitive."
              autoComplete="off"
              spellCheck={false}
              autoCapitalize="none"
              placeholder="my-launch"
              value={values.alias}
              error={errors.alias}
              onChange={(e) => change({ alias: e.target.value })}
              onBlur={() => {
                const problem = checkAlias(values.alias.trim());
                if (problem !== undefined) setErrors((e) => ({ ...e, alias: problem }));
              }}
            />
            <LinkOptionFields values={values} errors={errors} onChange={change} />
          </div>
        </details>
        {formError !== null && <FormError>{formError}</FormError>}
      </form>

      {created !== null && (
        <section className="card result" aria-labelledby="result-title">
          <div className="result__body">
            <h2 id="result-title" className="result__title" tabIndex={-1} ref={resultRef}>
              Your short link is ready
            </h2>
            <p className="result__short">
              <a href={created.shortUrl} target="_blank" rel="noreferrer" className="result__link">
                {created.shortUrl}
              </a>
            </p>
            <p className="result__target" title={created.url}>
              <span className="visually-hidden">Goes to </span>
              <span aria-hidden="true">→ </span>
              {created.url}
            </p>
            <LinkFacts link={created} />
            <div className="result__actions">
              <CopyButton value={created.shortUrl} className="button button--primary" />
              <Link
                href={`/links/${encodeURIComponent(created.code)}`}
                className="button button--secondary"
              >
                View stats
              </Link>
            </div>
            {session === null && (
              <p className="result__hint">
                <Link href="/signup">Create an account</Link> to keep every link you make in one
                place, edit them later and see who clicks.
              </p>
            )}
          </div>
          <QrPanel code={created.code} shortUrl={created.shortUrl} />
        </section>
      )}
    </div>
  );
}

/** The rules a link carries (expiry, click limit, password, redirect), as badges. */
export function LinkFacts({ link }: { link: ShortLink }) {
  const facts: string[] = [];
  if (link.expiresAt !== null) facts.push(`Expires ${formatDateTime(link.expiresAt)}`);
  if (link.maxClicks !== null) facts.push(`Limit ${link.maxClicks.toLocaleString()} clicks`);
  if (link.hasPassword) facts.push('Password protected');
  if (link.redirectType !== 302) facts.push(`${link.redirectType} redirect`);
  if (facts.length === 0) return null;
  return (
    <ul className="facts" aria-label="Link settings">
      {facts.map((fact) => (
        <li key={fact} className="badge">
          {fact}
        </li>
      ))}
    </ul>
  );
}
