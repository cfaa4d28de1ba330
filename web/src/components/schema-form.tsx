import type { JSX } from 'preact';
import { useState } from 'preact/hooks';

/** The subset of JSON Schema the form understands; anything else falls back to a JSON text field. */
export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  anyOf?: Schema[];
  oneOf?: Schema[];
  format?: string;
  minimum?: number;
  maximum?: number;
}

/** The one type a field is edited as (nullable unions become their non-null member). */
function kindOf(schema: Schema): string {
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) {
    const nonNull = variants.filter((v) => v.type !== 'null');
    if (nonNull.length === 1 && nonNull[0]) return kindOf(nonNull[0]);
    return 'json';
  }
  if (schema.enum) return 'enum';
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'object' || (!type && schema.properties)) return 'object';
  return type ?? 'json';
}

function unwrap(schema: Schema): Schema {
  const variants = schema.anyOf ?? schema.oneOf;
  const nonNull = variants?.filter((v) => v.type !== 'null');
  return nonNull?.length === 1 && nonNull[0] ? nonNull[0] : schema;
}

/** A starting value for a schema: its default, or empty. */
export function initialValue(schema: Schema): unknown {
  if (schema.default !== undefined) return schema.default;
  switch (kindOf(schema)) {
    case 'object': {
      const value: Record<string, unknown> = {};
      for (const [name, sub] of Object.entries(unwrap(schema).properties ?? {})) {
        if (unwrap(schema).required?.includes(name) && kindOf(sub) === 'object') value[name] = initialValue(sub);
      }
      return value;
    }
    case 'array':
      return [];
    default:
      return undefined;
  }
}

interface FieldProps {
  schema: Schema;
  value: unknown;
  onChange(value: unknown): void;
  id: string;
  label: string;
  required?: boolean;
}

/** A form for a JSON Schema: nested objects as fieldsets, arrays with add/remove, enums as selects. */
export function SchemaForm({
  schema,
  value,
  onChange,
  idPrefix,
}: {
  schema: Schema;
  value: unknown;
  onChange(v: unknown): void;
  idPrefix: string;
}) {
  return <ObjectFields schema={schema} value={value} onChange={onChange} id={idPrefix} label="" />;
}

function Field(props: FieldProps) {
  const { schema, value, onChange, id, label, required } = props;
  const inner = unwrap(schema);
  const kind = kindOf(schema);
  const hint = inner.description ?? schema.description;
  const describedBy = hint ? `${id}-hint` : undefined;
  const labelText = `${label}${required ? ' *' : ''}`;
  const hintEl = hint && (
    <small id={`${id}-hint`} class="muted">
      {hint}
    </small>
  );
  /** A control under the field's label, with the hint below. */
  const labeled = (control: JSX.Element) => (
    <div class="field">
      <label for={id}>{labelText}</label>
      {control}
      {hintEl}
    </div>
  );

  if (kind === 'object') {
    return (
      <fieldset class="nested">
        <legend>{labelText}</legend>
        {hintEl}
        <ObjectFields {...props} schema={inner} />
      </fieldset>
    );
  }
  if (kind === 'array') return <ArrayField {...props} schema={inner} />;
  if (kind === 'boolean') {
    return (
      <div class="field check">
        <label for={id}>
          <input
            id={id}
            type="checkbox"
            checked={value === true}
            aria-describedby={describedBy}
            onChange={(e) => onChange(e.currentTarget.checked)}
          />{' '}
          {labelText}
        </label>
        {hintEl}
      </div>
    );
  }
  if (kind === 'enum') {
    const options = inner.enum ?? [];
    return labeled(
      <select
        id={id}
        aria-describedby={describedBy}
        value={value === undefined ? '' : JSON.stringify(value)}
        onChange={(e) => onChange(e.currentTarget.value === '' ? undefined : JSON.parse(e.currentTarget.value))}
      >
        <option value="">{required ? 'Choose…' : '(not set)'}</option>
        {options.map((o) => (
          <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
            {String(o)}
          </option>
        ))}
      </select>,
    );
  }
  if (kind === 'number' || kind === 'integer') {
    return labeled(
      <input
        id={id}
        type="number"
        step={kind === 'integer' ? 1 : 'any'}
        min={inner.minimum}
        max={inner.maximum}
        aria-describedby={describedBy}
        value={typeof value === 'number' ? String(value) : ''}
        onInput={(e) => onChange(e.currentTarget.value === '' ? undefined : Number(e.currentTarget.value))}
      />,
    );
  }
  if (kind === 'string') {
    return labeled(
      <input
        id={id}
        type="text"
        placeholder={inner.format}
        aria-describedby={describedBy}
        value={typeof value === 'string' ? value : ''}
        onInput={(e) => onChange(e.currentTarget.value === '' ? undefined : e.currentTarget.value)}
      />,
    );
  }
  return <JsonField {...props} />;
}

function ObjectFields({ schema, value, onChange, id }: FieldProps) {
  const obj = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  const props = Object.entries(schema.properties ?? {});
  if (props.length === 0)
    return <JsonField schema={schema} value={value} onChange={onChange} id={`${id}-json`} label="Value (JSON)" />;
  return (
    <div class="fields">
      {props.map(([name, sub]) => (
        <Field
          key={name}
          schema={sub}
          id={`${id}-${name}`}
          label={sub.title ?? name}
          required={schema.required?.includes(name)}
          value={obj[name]}
          onChange={(v) => {
            const next = { ...obj };
            if (v === undefined) delete next[name];
            else next[name] = v;
            onChange(next);
          }}
        />
      ))}
    </div>
  );
}

function ArrayField({ schema, value, onChange, id, label, required }: FieldProps) {
  const items = Array.isArray(value) ? value : [];
  const itemSchema = schema.items ?? {};
  return (
    <fieldset class="nested array">
      <legend>
        {label}
        {required ? ' *' : ''} <span class="muted">(list)</span>
      </legend>
      {items.map((item, i) => (
        <div class="array-item" key={i}>
          <Field
            schema={itemSchema}
            id={`${id}-${i}`}
            label={`${label} ${i + 1}`}
            value={item}
            onChange={(v) => onChange(items.map((x, j) => (j === i ? v : x)))}
          />
          <button
            type="button"
            class="small"
            aria-label={`Remove ${label} ${i + 1}`}
            onClick={() => onChange(items.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      <button type="button" class="small" onClick={() => onChange([...items, initialValue(itemSchema)])}>
        Add {label}
      </button>
    </fieldset>
  );
}

function JsonField({ value, onChange, id, label }: FieldProps) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value));
  const [bad, setBad] = useState(false);
  return (
    <div class="field">
      <label for={id}>{label} (JSON)</label>
      <input
        id={id}
        value={text}
        aria-invalid={bad}
        onInput={(e) => {
          const t = e.currentTarget.value;
          setText(t);
          if (t.trim() === '') {
            setBad(false);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(t));
            setBad(false);
          } catch {
            setBad(true);
          }
        }}
      />
    </div>
  );
}
