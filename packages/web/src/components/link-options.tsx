import { LINK_PASSWORD_MAX_LENGTH } from '@switchboard/shared';
import { toLocalInputValue } from '../lib/dates.js';
import { REDIRECT_TYPES, type FieldErrors, type LinkFormValues } from '../lib/link-form.js';
import { SelectField, TextField } from './field.js';

/** The fields both the shorten form and the edit dialog offer beyond the URL. */
export function LinkOptionFields({
  values,
  errors,
  onChange,
  passwordField,
}: {
  values: LinkFormValues;
  errors: FieldErrors;
  onChange: (patch: Partial<LinkFormValues>) => void;
  /** The edit dialog manages the password itself (keep, change or remove). */
  passwordField?: 'hidden';
}) {
  return (
    <>
      <TextField
        label="Expires"
        type="datetime-local"
        hint="After this moment the link stops working. Leave empty to keep it forever."
        value={values.expiresAt}
        min={toLocalInputValue(new Date())}
        error={errors.expiresAt}
        onChange={(e) => onChange({ expiresAt: e.target.value })}
      />
      <TextField
        label="Click limit"
        type="number"
        inputMode="numeric"
        min={1}
        step={1}
        placeholder="No limit"
        hint="The link stops working after this many clicks."
        value={values.maxClicks}
        error={errors.maxClicks}
        onChange={(e) => onChange({ maxClicks: e.target.value })}
      />
      {passwordField !== 'hidden' && (
        <TextField
          label="Password"
          type="password"
          autoComplete="new-password"
          maxLength={LINK_PASSWORD_MAX_LENGTH}
          hint="Visitors must enter it before they are redirected."
          value={values.password}
          error={errors.password}
          onChange={(e) => onChange({ password: e.target.value })}
        />
      )}
      <SelectField
        label="Redirect type"
        hint="Keep 302 unless you need another: browsers remember 301 and 308, so later clicks skip the count and edits may not reach them."
        value={values.redirectType}
        error={errors.redirectType}
        onChange={(e) => onChange({ redirectType: e.target.value })}
      >
        {REDIRECT_TYPES.map((type) => (
          <option key={type.value} value={String(type.value)}>
            {type.label}
          </option>
        ))}
      </SelectField>
    </>
  );
}
