import { child } from './pointer.js';
import type { SchemaChecker } from './schema-check.js';
import type { RawIssue } from './structure-check.js';
import { HEADER_NAME, isRecord, list, parseEndpoint, rec, str, type Rec } from './values.js';

/** Where a tool's HTTP call is described, resolved from `http` or the `endpoint` shorthand. */
interface ResolvedCall {
  method: string;
  path: string;
  pathPointer: string;
}

const NO_BODY = new Set(['GET', 'HEAD']);

/** Cross-field checks of `tools[]`: names, HTTP mapping against input schemas, embedded schemas. */
export function checkTools(data: Rec, kind: string, schemas: SchemaChecker): RawIssue[] {
  const issues: RawIssue[] = [];
  const firstIndex = new Map<string, number>();
  list(data.tools).forEach((value, index) => {
    if (!isRecord(value)) return;
    const at = `/tools/${index}`;
    const name = str(value.name);
    if (name !== undefined) {
      const first = firstIndex.get(name);
      if (first === undefined) firstIndex.set(name, index);
      else
        issues.push({
          pointer: `${at}/name`,
          message: `duplicate tool name '${name}' (first defined at /tools/${first})`,
        });
    }
    checkSchemas(value, at, schemas, issues);
    const call = checkCallShape(value, at, kind, issues);
    if (call) checkHttpMapping(value, at, call, issues);
  });
  return issues;
}

function checkSchemas(tool: Rec, at: string, schemas: SchemaChecker, issues: RawIssue[]): void {
  for (const key of ['input_schema', 'output_schema'] as const) {
    const schema = tool[key];
    if (!isRecord(schema)) continue;
    const pointer = child(at, key);
    if (schema.type !== undefined && schema.type !== 'object') {
      issues.push({
        pointer: `${pointer}/type`,
        message: `${key} must have type "object" (MCP tools exchange JSON objects)`,
      });
    }
    for (const problem of schemas.check(schema).problems) {
      issues.push({ pointer: pointer + problem.pointer, message: problem.message });
    }
  }
}

/** Checks http/endpoint presence for the kind and returns the call when it can be read. */
function checkCallShape(tool: Rec, at: string, kind: string, issues: RawIssue[]): ResolvedCall | undefined {
  const hasHttp = tool.http !== undefined;
  const hasEndpoint = tool.endpoint !== undefined;
  if (kind !== 'http') {
    if (hasHttp || hasEndpoint) {
      const key = hasHttp ? 'http' : 'endpoint';
      issues.push({
        pointer: `${at}/${key}`,
        message: `'${key}' applies to http connectors only (kind is ${kind})`,
        at: 'key',
      });
    }
    return undefined;
  }
  if (hasHttp && hasEndpoint) {
    issues.push({ pointer: `${at}/endpoint`, message: "use either 'endpoint' or 'http', not both", at: 'key' });
    return undefined;
  }
  if (!hasHttp && !hasEndpoint) {
    issues.push({
      pointer: `${at}/http`,
      message: "missing required field 'http' (or the shorthand 'endpoint: \"GET /path\"')",
    });
    return undefined;
  }
  if (hasEndpoint) {
    const parsed = typeof tool.endpoint === 'string' ? parseEndpoint(tool.endpoint) : undefined;
    return parsed && { ...parsed, pathPointer: `${at}/endpoint` };
  }
  const http = rec(tool.http);
  const method = str(http.method);
  const path = str(http.path);
  return method && path?.startsWith('/') ? { method, path, pathPointer: `${at}/http/path` } : undefined;
}

function checkHttpMapping(tool: Rec, at: string, call: ResolvedCall, issues: RawIssue[]): void {
  const placeholders = pathPlaceholders(call.path, call.pathPointer, issues);
  const input = tool.input_schema === undefined ? { properties: {} } : rec(tool.input_schema);
  // Schemas built from $ref/allOf have no flat property list; membership cannot be judged then.
  const properties = isRecord(input.properties) ? input.properties : input.$ref || input.allOf ? undefined : {};
  const required = new Set(list(input.required).filter((r): r is string => typeof r === 'string'));
  for (const name of placeholders) {
    if (properties && !(name in properties)) {
      issues.push({
        pointer: call.pathPointer,
        message: `path parameter '{${name}}' is not declared in input_schema.properties`,
      });
    } else if (properties && !required.has(name)) {
      issues.push({
        pointer: call.pathPointer,
        message: `path parameter '{${name}}' should be listed in input_schema.required`,
        severity: 'warning',
      });
    }
  }
  const http = rec(tool.http);
  const declared = (name: string): boolean => !properties || name in properties;
  for (const [name, location] of Object.entries(rec(http.args))) {
    const pointer = child(`${at}/http/args`, name);
    if (!declared(name))
      issues.push({ pointer, message: `argument '${name}' is not declared in input_schema.properties`, at: 'key' });
    else if (location === 'path' && !placeholders.has(name)) {
      issues.push({ pointer, message: `argument '${name}' is mapped to the path, but the path has no {${name}}` });
    } else if (location !== 'path' && placeholders.has(name)) {
      issues.push({ pointer, message: `argument '${name}' fills {${name}} in the path; its location must be 'path'` });
    } else if (location === 'body' && NO_BODY.has(call.method)) {
      issues.push({ pointer, message: `${call.method} requests have no body; send '${name}' as query or header` });
    }
  }
  for (const name of Object.keys(rec(http.rename))) {
    if (!declared(name))
      issues.push({
        pointer: child(`${at}/http/rename`, name),
        message: `argument '${name}' is not declared in input_schema.properties`,
        at: 'key',
      });
  }
  const bodyArg = str(http.body_arg);
  if (bodyArg !== undefined) {
    if (!declared(bodyArg))
      issues.push({
        pointer: `${at}/http/body_arg`,
        message: `argument '${bodyArg}' is not declared in input_schema.properties`,
      });
    else if (NO_BODY.has(call.method))
      issues.push({ pointer: `${at}/http/body_arg`, message: `${call.method} requests have no body` });
  }
  for (const header of Object.keys(rec(http.headers))) {
    if (!HEADER_NAME.test(header))
      issues.push({
        pointer: child(`${at}/http/headers`, header),
        message: `'${header}' is not a valid HTTP header name`,
        at: 'key',
      });
  }
}

/** The `{name}` placeholders of a path; malformed braces are reported. */
function pathPlaceholders(path: string, pointer: string, issues: RawIssue[]): Set<string> {
  const names = new Set<string>();
  const rest = path.replace(/\{([^{}]*)\}/g, (_, name: string) => {
    if (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) names.add(name);
    else issues.push({ pointer, message: `'{${name}}' is not a valid path parameter name` });
    return '';
  });
  if (rest.includes('{') || rest.includes('}')) issues.push({ pointer, message: 'unbalanced { } in path' });
  return names;
}
