import { useRef } from 'preact/hooks';
import type { Issue } from '../api/client';

/**
 * A plain textarea with a line-number gutter that marks the lines the server reported issues at; each issue
 * is listed under it and moves the caret to its line when chosen.
 */
export function YamlEditor({
  id,
  label,
  value,
  onInput,
  issues,
}: {
  id: string;
  label: string;
  value: string;
  onInput(value: string): void;
  issues: Issue[];
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split('\n');
  const byLine = new Map<number, Issue[]>();
  for (const issue of issues) if (issue.line) byLine.set(issue.line, [...(byLine.get(issue.line) ?? []), issue]);

  const goTo = (line: number, column = 1): void => {
    const el = area.current;
    if (!el) return;
    const offset = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + Math.max(0, column - 1);
    el.focus();
    el.setSelectionRange(offset, offset);
    el.scrollTop = Math.max(0, (line - 3) * 20);
  };

  return (
    <div class="yaml-editor">
      <label for={id}>{label}</label>
      <div class="editor-frame">
        <div class="gutter" ref={gutter} aria-hidden="true">
          {lines.map((_, i) => (
            <div
              key={i}
              class={byLine.has(i + 1) ? 'gutter-line has-error' : 'gutter-line'}
              data-line={i + 1}
              data-error-line={byLine.has(i + 1) ? i + 1 : undefined}
              title={byLine
                .get(i + 1)
                ?.map((x) => x.message)
                .join('\n')}
            >
              {i + 1}
            </div>
          ))}
        </div>
        <textarea
          id={id}
          ref={area}
          spellcheck={false}
          wrap="off"
          value={value}
          aria-invalid={issues.length > 0}
          aria-describedby={issues.length ? `${id}-issues` : undefined}
          onInput={(e) => onInput(e.currentTarget.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          rows={Math.min(30, Math.max(12, lines.length + 1))}
        />
      </div>
      {issues.length > 0 && (
        <ul id={`${id}-issues`} class="issues" aria-label="Manifest errors">
          {issues.map((issue, i) => (
            <li key={i} data-issue-line={issue.line}>
              <button type="button" class="link" onClick={() => issue.line && goTo(issue.line, issue.column)}>
                {issue.line ? `Line ${issue.line}${issue.column ? `:${issue.column}` : ''}` : 'Manifest'}
              </button>{' '}
              {issue.message}
              {issue.pointer && <code class="muted"> {issue.pointer}</code>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
