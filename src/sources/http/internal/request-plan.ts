import type { ArgLocation, HttpToolSpec } from '../../../manifest/types.js';

/** The tool-specific parts of an HTTP request, built from arguments (auth and base URL come later). */
export interface BuiltRequest {
  method: HttpToolSpec['method'];
  /** Path with placeholders filled and URL-encoded, plus the query string when there is one. */
  pathAndQuery: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  cookies: [string, string][];
  body?: Buffer;
}

/** An argument value that cannot be put where the manifest says; the message names the argument only. */
export class ArgumentError extends Error {
  override readonly name = 'ArgumentError';
}

/** A tool's HTTP mapping, analysed once when the source is created. */
export interface RequestPlan {
  method: HttpToolSpec['method'];
  /** Literal path pieces and `{param}` names, alternating. */
  pathParts: readonly (string | { param: string })[];
  /** Query pairs written literally in the manifest path (`/search?kind=a`). */
  fixedQuery: string;
  locate(arg: string): ArgLocation;
  wireName(arg: string): string;
  bodyFormat: 'json' | 'form';
  bodyArg?: string;
}

const NO_BODY_DEFAULT = new Set(['GET', 'DELETE', 'HEAD']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const INVALID_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** Analyses a tool's HTTP spec: placeholders, default argument locations, wire names. */
export function compileRequestPlan(spec: HttpToolSpec): RequestPlan {
  const [rawPath = '', fixedQuery = ''] = spec.path.split(/\?(.*)/s, 2);
  const pathParts: (string | { param: string })[] = [];
  const placeholders = new Set<string>();
  let last = 0;
  for (const match of rawPath.matchAll(/\{([^{}]+)\}/g)) {
    if (match.index > last) pathParts.push(rawPath.slice(last, match.index));
    const param = match[1] ?? '';
    pathParts.push({ param });
    placeholders.add(param);
    last = match.index + match[0].length;
  }
  if (last < rawPath.length) pathParts.push(rawPath.slice(last));
  const defaultLocation: ArgLocation = NO_BODY_DEFAULT.has(spec.method) ? 'query' : 'body';
  const rename = spec.rename ?? {};
  return {
    method: spec.method,
    pathParts,
    fixedQuery,
    locate: (arg) => spec.args[arg] ?? (placeholders.has(arg) ? 'path' : defaultLocation),
    wireName: (arg) => rename[arg] ?? arg,
    bodyFormat: spec.body_format,
    ...(spec.body_arg === undefined ? {} : { bodyArg: spec.body_arg }),
  };
}

/** A scalar rendering for path, query, header and cookie positions; objects travel as JSON. */
function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** Encodes a path parameter; `.` and `..` are escaped too, so a value cannot climb out of the path. */
function pathSegment(value: unknown): string {
  const encoded = encodeURIComponent(scalar(value));
  return encoded === '.' || encoded === '..' ? encoded.replaceAll('.', '%2E') : encoded;
}

function formBody(value: unknown, arg: string): Buffer {
  if (typeof value === 'string') return Buffer.from(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArgumentError(`argument '${arg}' must be an object to be sent as a form body`);
  }
  const form = new URLSearchParams();
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || item === null) continue;
    if (Array.isArray(item)) for (const each of item) form.append(key, scalar(each));
    else form.append(key, scalar(item));
  }
  return Buffer.from(form.toString());
}

/** Places every argument where the plan says and encodes it for that position. */
export function buildRequest(plan: RequestPlan, args: Record<string, unknown>): BuiltRequest {
  const pathValues = new Map<string, string>();
  const query: string[] = [];
  const headers: Record<string, string> = {};
  const cookies: [string, string][] = [];
  const bodyFields: Record<string, unknown> = {};
  let hasBodyField = false;

  for (const [arg, value] of Object.entries(args)) {
    if (value === undefined) continue;
    if (arg === plan.bodyArg) continue;
    const name = plan.wireName(arg);
    switch (plan.locate(arg)) {
      case 'path':
        if (value === null) break;
        pathValues.set(name, Array.isArray(value) ? value.map(pathSegment).join(',') : pathSegment(value));
        break;
      case 'query':
        if (value === null) break;
        for (const item of Array.isArray(value) ? value : [value]) {
          query.push(`${encodeURIComponent(name)}=${encodeURIComponent(scalar(item))}`);
        }
        break;
      case 'header': {
        if (value === null) break;
        const text = Array.isArray(value) ? value.map(scalar).join(', ') : scalar(value);
        if (!HEADER_NAME.test(name)) throw new ArgumentError(`argument '${arg}' maps to an invalid header name`);
        if (INVALID_HEADER_VALUE.test(text))
          throw new ArgumentError(`argument '${arg}' contains characters not allowed in a header`);
        headers[name.toLowerCase()] = text;
        break;
      }
      case 'cookie':
        if (value === null) break;
        cookies.push([name, scalar(value)]);
        break;
      case 'body':
        bodyFields[name] = value;
        hasBodyField = true;
        break;
    }
  }

  let path = '';
  for (const part of plan.pathParts) {
    if (typeof part === 'string') {
      path += part;
      continue;
    }
    const value = pathValues.get(part.param);
    if (value === undefined || value === '') throw new ArgumentError(`missing path argument '${part.param}'`);
    path += value;
  }
  const queryString = [plan.fixedQuery, ...query].filter((q) => q !== '').join('&');

  let body: Buffer | undefined;
  const bodyValue = plan.bodyArg === undefined ? (hasBodyField ? bodyFields : undefined) : args[plan.bodyArg];
  if (bodyValue !== undefined) {
    if (plan.bodyFormat === 'form') {
      body = formBody(bodyValue, plan.bodyArg ?? 'body');
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      // Built from the argument values as data: nesting survives and nothing is string-templated.
      body = Buffer.from(JSON.stringify(bodyValue));
      headers['content-type'] = 'application/json';
    }
  }

  return {
    method: plan.method,
    pathAndQuery: queryString === '' ? path : `${path}?${queryString}`,
    headers,
    cookies,
    ...(body === undefined ? {} : { body }),
  };
}
