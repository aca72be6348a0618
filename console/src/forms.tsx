// Form pieces shared by the editors: a field's id from its JSON path, the API's problems shown at the field
// they name, and inputs generated from a control's option schema (the JSON Schema GET /v1/controls answers).

import type { ComponentChildren } from 'preact';
import type { ApiError, FieldProblem } from './api';

/** The id of the input of the field at a JSON path, e.g. `controls.forkGuard.processLimit`. */
export function fieldId(path: string): string {
  return `field-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The problems of a failed save that concern `path` exactly (server paths use dots, array indexes too). */
export function problemsAt(error: ApiError | undefined, path: string): FieldProblem[] {
  return error ? error.problems.filter((p) => p.path === path) : [];
}

/** The accessible wiring of a field with its hint and its problems: aria-invalid and aria-describedby. */
export function fieldAria(path: string, messages: readonly string[], hasHint = false): Record<string, string | boolean | undefined> {
  const describedBy = [messages.length > 0 ? `${fieldId(path)}-error` : undefined, hasHint ? `${fieldId(path)}-hint` : undefined]
    .filter(Boolean)
    .join(' ');
  return { id: fieldId(path), 'aria-invalid': messages.length > 0, 'aria-describedby': describedBy || undefined };
}

/** The messages under a field; the id is what fieldAria points aria-describedby at. */
export function FieldErrors({ path, messages }: { path: string; messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <p id={`${fieldId(path)}-error`} class="error field-error">
      {messages.join('; ')}
    </p>
  );
}

export function Hint({ path, children }: { path: string; children: ComponentChildren }) {
  return (
    <p id={`${fieldId(path)}-hint`} class="hint">
      {children}
    </p>
  );
}

/** The part of JSON Schema the catalog's option schemas use. */
export interface OptionSchema {
  readonly type?: 'boolean' | 'integer' | 'number' | 'string' | 'array';
  readonly default?: unknown;
  readonly description?: string;
  readonly writeOnly?: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
  readonly items?: OptionSchema;
}

/** What a control's options object holds: its properties by name. */
export function optionProperties(schema: unknown): [string, OptionSchema][] {
  const properties = (schema as { properties?: Record<string, OptionSchema> } | undefined)?.properties ?? {};
  return Object.entries(properties);
}

/**
 * An option's value while it is edited: booleans and lists of choices as they are, numbers and free lists as
 * the text in their input (a list one entry per line), so that typing is never rewritten under the cursor.
 */
export type OptionInput = boolean | string | readonly string[];

export function optionInput(schema: OptionSchema, value: unknown): OptionInput {
  const current = value === undefined ? schema.default : value;
  if (schema.type === 'boolean') return current === true;
  if (schema.type === 'array' && schema.items?.enum) return Array.isArray(current) ? current.map(String) : [];
  if (schema.type === 'array') return Array.isArray(current) ? current.map(String).join('\n') : '';
  return typeof current === 'string' || typeof current === 'number' ? String(current) : '';
}

/**
 * The option's JSON value from its input. Text that is not a number stays text: the API then names the
 * field and says what it expected, which is the message the console shows there.
 */
export function optionValue(schema: OptionSchema, input: OptionInput): unknown {
  if (typeof input === 'boolean' || Array.isArray(input)) return input;
  const text = input as string;
  // The catalog's numeric options are all integers.
  const numeric = (entry: string): unknown => (/^-?\d{1,15}$/.test(entry) ? Number(entry) : entry);
  if (schema.type === 'array') {
    const entries = text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    return schema.items?.type === 'integer' || schema.items?.type === 'number' ? entries.map(numeric) : entries;
  }
  if (schema.type === 'integer' || schema.type === 'number') return numeric(text.trim());
  return text;
}

/** A label from an option's key: `processLimit` → `Process limit`. */
export function optionLabel(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

interface OptionFieldProps {
  readonly path: string;
  readonly name: string;
  readonly schema: OptionSchema;
  readonly value: OptionInput;
  readonly messages: readonly string[];
  readonly onChange: (value: OptionInput) => void;
}

/** One option of a control, as the input its schema calls for. */
export function OptionField({ path, name, schema, value, messages, onChange }: OptionFieldProps) {
  const label = optionLabel(name);
  const hint = schema.writeOnly
    ? 'Write-only: the API never returns it; leave empty to keep the stored value.'
    : schema.type === 'array' && !schema.items?.enum
      ? 'One entry per line.'
      : schema.description;
  if (schema.type === 'boolean') {
    return (
      <div class="check">
        <input
          type="checkbox"
          checked={value === true}
          onChange={(e) => onChange(e.currentTarget.checked)}
          {...fieldAria(path, messages)}
        />
        <label for={fieldId(path)}>{label}</label>
        <FieldErrors path={path} messages={messages} />
      </div>
    );
  }
  if (schema.type === 'array' && schema.items?.enum) {
    const chosen = value as readonly string[];
    return (
      <fieldset class="choices" aria-describedby={messages.length > 0 ? `${fieldId(path)}-error` : undefined}>
        <legend>{label}</legend>
        {schema.items.enum.map((choice) => (
          <div class="check" key={choice}>
            <input
              type="checkbox"
              id={`${fieldId(path)}-${choice}`}
              checked={chosen.includes(choice)}
              onChange={(e) => onChange(e.currentTarget.checked ? [...chosen, choice] : chosen.filter((c) => c !== choice))}
            />
            <label for={`${fieldId(path)}-${choice}`}>{choice}</label>
          </div>
        ))}
        <FieldErrors path={path} messages={messages} />
      </fieldset>
    );
  }
  const common = { ...fieldAria(path, messages, hint !== undefined), value: value as string };
  return (
    <div>
      <label for={fieldId(path)}>{label}</label>
      {schema.type === 'array' ? (
        <textarea rows={3} {...common} onInput={(e) => onChange(e.currentTarget.value)} />
      ) : schema.writeOnly ? (
        <input type="password" autocomplete="off" {...common} onInput={(e) => onChange(e.currentTarget.value)} />
      ) : (
        <input
          type="text"
          inputMode={schema.type === 'integer' ? 'numeric' : undefined}
          autocomplete="off"
          {...common}
          onInput={(e) => onChange(e.currentTarget.value)}
        />
      )}
      {hint !== undefined && <Hint path={path}>{hint}</Hint>}
      <FieldErrors path={path} messages={messages} />
    </div>
  );
}
