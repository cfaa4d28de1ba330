import type { ValidationIssue } from '../../core/index.js';

/** Renders issues one per line as `file:line:col: message (pointer)`; issues without a position omit it. */
export function formatIssues(issues: readonly ValidationIssue[]): string {
  return issues
    .map((issue) => {
      const file = issue.file ?? '<manifest>';
      const where = issue.line !== undefined ? `${file}:${issue.line}:${issue.column ?? 1}` : file;
      return `${where}: ${issue.message} (${issue.pointer === '' ? '/' : issue.pointer})`;
    })
    .join('\n');
}
