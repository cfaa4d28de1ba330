import type { ComponentChildren, InputHTMLAttributes } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api/client';

/** An API or other error, with the server's code and any positioned issues. */
export function ErrorBox({ error }: { error: Error | undefined }) {
  if (!error) return null;
  const issues = error instanceof ApiError ? error.issues : [];
  return (
    <div class="error" role="alert">
      <strong>{error instanceof ApiError ? `${error.status} ${error.code}` : 'Error'}:</strong>{' '}
      {issues.length ? error.message.split('\n')[0] : error.message}
      {issues.length > 0 && (
        <ul>
          {issues.map((issue, i) => (
            <li key={i}>
              {issue.line !== undefined && `line ${issue.line}${issue.column ? `:${issue.column}` : ''}: `}
              {issue.message}
              {issue.pointer && <code class="muted"> {issue.pointer}</code>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** A text input with its label; `onValue` receives the text as it is typed. */
export function TextField({
  id,
  label,
  value,
  onValue,
  ...input
}: {
  id: string;
  label: string;
  value: string;
  onValue(value: string): void;
  type?: 'password' | 'url';
  name?: string;
  class?: string;
  placeholder?: string;
  autoComplete?: string;
  required?: boolean;
}) {
  return (
    <>
      <label for={id}>{label}</label>
      {/* Preact types an input's attributes per `type`; these fit every type this field takes. */}
      <input
        id={id}
        {...(input as InputHTMLAttributes<HTMLInputElement>)}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </>
  );
}

/** A form that stays on the page: submitting it runs `onSubmit`; its last child is the `submit` button. */
export function ActionForm({
  label,
  class: className,
  onSubmit,
  submit,
  disabled,
  children,
}: {
  label: string;
  class: string;
  onSubmit(): Promise<void>;
  submit: string;
  disabled: boolean;
  children: ComponentChildren;
}) {
  return (
    <form
      class={className}
      aria-label={label}
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit();
      }}
    >
      {children}
      <button type="submit" class="primary" disabled={disabled}>
        {submit}
      </button>
    </form>
  );
}

export function StatusBadge({ status, reason }: { status: string | undefined; reason?: string | null }) {
  return (
    <span class={`badge badge-${status ?? 'unknown'}`} title={reason ?? undefined} data-status={status}>
      {status ?? 'unknown'}
    </span>
  );
}

/** Copies text to the clipboard and says so (falls back to selecting a hidden textarea). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement('textarea');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return (
    <button type="button" class="small" onClick={() => void copy()} aria-label={`${label} to clipboard`}>
      {done ? 'Copied' : label}
    </button>
  );
}

/** A destructive action in two steps: the first click asks, the second does it. */
export function ConfirmButton({
  label,
  confirm,
  onConfirm,
  disabled,
}: {
  label: string;
  confirm?: string;
  onConfirm(): void;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="small danger-outline" disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm">
      <button
        type="button"
        class="small danger"
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirm ?? `Confirm ${label.toLowerCase()}`}
      </button>
      <button type="button" class="small" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre class="json" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="panel" aria-label={title}>
      <header class="panel-head">
        <h2>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="muted empty">{children}</p>;
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** A table's header row: one column header per name (an empty name makes an unlabeled column). */
export function TableHead({ columns }: { columns: readonly string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => (
          <th key={i} scope="col">
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A labelled table with its header row, in a box that scrolls sideways when the table is wider than the page. */
export function Table({
  label,
  columns,
  class: className,
  children,
}: {
  label: string;
  columns: readonly string[];
  class?: string;
  children: ComponentChildren;
}) {
  return (
    <div class="table-wrap">
      <table aria-label={label} class={className}>
        <TableHead columns={columns} />
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
