import { LINK_PASSWORD_MAX_LENGTH, type Link as ShortLink } from '@switchboard/shared';
import { useRef, useState, type FormEvent } from 'react';
import { describeError, fieldOfError } from '../api/error-messages.js';
import { updateLink } from '../api/links.js';
import { Dialog } from '../components/dialog.js';
import { FormError, TextField } from '../components/field.js';
import { LinkOptionFields } from '../components/link-options.js';
import { focusFirstInvalid } from '../lib/focus.js';
import {
  formOfLink,
  toUpdateRequest,
  type FieldErrors,
  type LinkFormValues,
  type PasswordChange,
} from '../lib/link-form.js';

/** Changing a link's target and rules; only what was changed is sent. */
export function LinkEditDialog({
  link,
  onClose,
  onSaved,
}: {
  link: ShortLink;
  onClose: () => void;
  onSaved: (link: ShortLink | null) => void;
}) {
  const [values, setValues] = useState<LinkFormValues>(() => formOfLink(link));
  const [passwordChange, setPasswordChange] = useState<PasswordChange>('keep');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);

  const change = (patch: Partial<LinkFormValues>) => {
    setValues((v) => ({ ...v, ...patch }));
    setErrors((e) => {
      const next = { ...e };
      for (const key of Object.keys(patch)) delete next[key as keyof FieldErrors];
      return next;
    });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (busy) return;
    setFormError(null);
    const read = toUpdateRequest(values, link, passwordChange);
    if (!read.ok) {
      setErrors(read.errors);
      focusFirstInvalid(formRef.current);
      return;
    }
    if (Object.keys(read.request).length === 0) {
      onSaved(null);
      return;
    }
    setBusy(true);
    try {
      onSaved(await updateLink(link.code, read.request));
    } catch (error) {
      const field = fieldOfError(error);
      if (field !== null && field !== 'username' && field !== 'alias') {
        setErrors({ [field]: describeError(error) });
        focusFirstInvalid(formRef.current);
      } else {
        setFormError(describeError(error));
      }
      setBusy(false);
    }
  };

  const passwordChoices: { value: PasswordChange; label: string }[] = link.hasPassword
    ? [
        { value: 'keep', label: 'Keep the current password' },
        { value: 'set', label: 'Change the password' },
        { value: 'remove', label: 'Remove the password' },
      ]
    : [
        { value: 'keep', label: 'No password' },
        { value: 'set', label: 'Protect with a password' },
      ];

  return (
    <Dialog open title={`Edit ${link.code}`} onClose={onClose} className="dialog--wide">
      <form ref={formRef} className="stack" noValidate onSubmit={(e) => void submit(e)}>
        <TextField
          label="Destination URL"
          type="text"
          inputMode="url"
          spellCheck={false}
          autoCapitalize="none"
          value={values.url}
          error={errors.url}
          onChange={(e) => change({ url: e.target.value })}
        />
        <div className="options__grid">
          <LinkOptionFields
            values={values}
            errors={errors}
            onChange={change}
            passwordField="hidden"
          />
        </div>
        <fieldset className="fieldset">
          <legend className="field__label">Password</legend>
          <div className="choices">
            {passwordChoices.map((choice) => (
              <label key={choice.value} className="choice">
                <input
                  type="radio"
                  name="password-change"
                  value={choice.value}
                  checked={passwordChange === choice.value}
                  onChange={() => setPasswordChange(choice.value)}
                />
                {choice.label}
              </label>
            ))}
          </div>
          {passwordChange === 'set' && (
            <TextField
              label="New password"
              type="password"
              autoComplete="new-password"
              maxLength={LINK_PASSWORD_MAX_LENGTH}
              value={values.password}
              error={errors.password}
              onChange={(e) => change({ password: e.target.value })}
            />
          )}
        </fieldset>
        {formError !== null && <FormError>{formError}</FormError>}
        <div className="dialog__actions">
          <button type="button" className="button button--ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button--primary" disabled={busy} aria-busy={busy}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
