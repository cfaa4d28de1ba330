import { isRecord, linearRegExpProblem, validationError, type ValidationIssue } from '../../core/index.js';
import type { HealthProbe, ProbeExpectation } from '../../manifest/types.js';

const isPointer = (v: unknown): v is string => typeof v === 'string' && (v === '' || v.startsWith('/'));

/**
 * Validates a functional probe set through the API (it overrides the manifest's) and returns it normalised.
 * `tools` are the connector's tool names; the probe must name one of them.
 */
export function parseProbeInput(input: unknown, tools: readonly string[]): HealthProbe {
  const issues: ValidationIssue[] = [];
  if (!isRecord(input))
    throw validationError('probe is invalid', [{ pointer: '/probe', message: 'must be an object' }]);
  const tool = input.tool;
  if (typeof tool !== 'string' || tool === '') issues.push({ pointer: '/probe/tool', message: 'must be a tool name' });
  else if (!tools.includes(tool))
    issues.push({ pointer: '/probe/tool', message: `no tool named '${tool.slice(0, 100)}' in this connector` });
  if (input.arguments !== undefined && !isRecord(input.arguments)) {
    issues.push({ pointer: '/probe/arguments', message: 'must be an object' });
  }
  const rawExpect = input.expect ?? {};
  const expect: ProbeExpectation = { no_error: true };
  if (!isRecord(rawExpect)) {
    issues.push({ pointer: '/probe/expect', message: 'must be an object' });
  } else {
    if (rawExpect.no_error !== undefined) {
      if (typeof rawExpect.no_error !== 'boolean')
        issues.push({ pointer: '/probe/expect/no_error', message: 'must be a boolean' });
      else expect.no_error = rawExpect.no_error;
    }
    if (rawExpect.within_ms !== undefined) {
      const ms = rawExpect.within_ms;
      if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 1)
        issues.push({ pointer: '/probe/expect/within_ms', message: 'must be a positive integer' });
      else expect.within_ms = ms;
    }
    /** The entries of the array `expect[key]`, each kept when `parse` accepts it (it reports what it does not). */
    const list = <T>(
      key: 'equals' | 'matches',
      parse: (entry: unknown, pointer: string) => T | undefined,
    ): T[] | undefined => {
      const raw = rawExpect[key];
      if (raw === undefined) return undefined;
      if (!Array.isArray(raw)) {
        issues.push({ pointer: `/probe/expect/${key}`, message: 'must be an array' });
        return undefined;
      }
      const kept: T[] = [];
      raw.forEach((entry: unknown, i) => {
        const parsed = parse(entry, `/probe/expect/${key}/${i}`);
        if (parsed) kept.push(parsed);
      });
      return kept;
    };
    const equals = list('equals', (entry, pointer) => {
      if (isRecord(entry) && isPointer(entry.pointer) && 'value' in entry)
        return { pointer: entry.pointer, value: entry.value };
      issues.push({ pointer, message: 'must be {pointer: "/json/pointer", value}' });
      return undefined;
    });
    if (equals) expect.equals = equals;
    const matches = list('matches', (entry, pointer) => {
      if (!isRecord(entry) || !isPointer(entry.pointer) || typeof entry.pattern !== 'string') {
        issues.push({ pointer, message: 'must be {pointer: "/json/pointer", pattern: "regex"}' });
        return undefined;
      }
      let problem: string | undefined;
      try {
        // Compiled only (a syntax check); matching runs on the linear-time engine.
        new RegExp(entry.pattern);
        problem = linearRegExpProblem(entry.pattern);
      } catch {
        problem = 'not a valid regular expression';
      }
      if (!problem) return { pointer: entry.pointer, pattern: entry.pattern };
      issues.push({ pointer: `${pointer}/pattern`, message: problem });
      return undefined;
    });
    if (matches) expect.matches = matches;
  }
  if (issues.length) throw validationError('probe is invalid', issues);
  return { tool: tool as string, arguments: isRecord(input.arguments) ? input.arguments : {}, expect };
}

/** The probe stored in connector metadata (set through the API), when it has the right shape. */
export function metadataProbe(metadata: Record<string, unknown>): HealthProbe | undefined {
  const probe = metadata.probe;
  if (!isRecord(probe) || typeof probe.tool !== 'string' || !isRecord(probe.expect)) return undefined;
  return {
    tool: probe.tool,
    arguments: isRecord(probe.arguments) ? probe.arguments : {},
    expect: probe.expect as unknown as ProbeExpectation,
  };
}
