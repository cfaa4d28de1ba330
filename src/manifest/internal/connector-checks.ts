import { linearRegExpProblem } from '../../core/index.js';
import { child, isPointer } from './pointer.js';
import type { SchemaChecker } from './schema-check.js';
import type { RawIssue } from './structure-check.js';
import { HEADER_NAME, isRecord, list, rec, str, type Rec } from './values.js';

const KINDS = ['http', 'python', 'mcp'] as const;
const TEMPLATE = /\$\{([^}]*)\}/g;
const CONFIG_REF = /^config\.([A-Za-z_][A-Za-z0-9_]*)$/;
const CREDENTIAL_FIELDS = ['value', 'token', 'password', 'client_secret'];

/** Which kind a manifest without `kind` has: the one section present, else http. */
export function inferKind(data: Rec): string {
  if (typeof data.kind === 'string') return data.kind;
  if (data.python !== undefined && data.http === undefined) return 'python';
  if (data.mcp !== undefined && data.http === undefined) return 'mcp';
  return 'http';
}

/** Connector-level cross-field checks: sections per kind, config references, URLs, auth, python, mcp, health. */
export function checkConnector(data: Rec, kind: string, schemas: SchemaChecker): RawIssue[] {
  const issues: RawIssue[] = [];
  for (const other of KINDS) {
    if (other !== kind && data[other] !== undefined) {
      issues.push({ pointer: `/${other}`, message: `section '${other}' does not apply to kind ${kind}`, at: 'key' });
    }
  }
  const config = rec(data.config);
  for (const [key, spec] of Object.entries(config)) {
    if (isRecord(spec) && spec.secret === true && spec.default !== undefined) {
      issues.push({
        pointer: child(child('/config', key), 'default'),
        message: 'a secret should not have a default in the manifest',
        severity: 'warning',
      });
    }
  }
  // Every string under these sections may reference config; nothing else is resolved at call time.
  for (const section of ['http', 'mcp'] as const)
    visitStrings(data[section], `/${section}`, (value, pointer) => checkTemplates(value, pointer, config, issues));
  list(data.tools).forEach((tool, i) =>
    visitStrings(rec(rec(tool).http).headers, `/tools/${i}/http/headers`, (value, pointer) =>
      checkTemplates(value, pointer, config, issues),
    ),
  );
  if (kind === 'http' && isRecord(data.http)) checkHttp(data.http, config, issues);
  if (kind === 'python' && isRecord(data.python)) checkPython(data.python, issues);
  if (kind === 'mcp' && isRecord(data.mcp)) checkMcp(data.mcp, config, issues);
  if (isRecord(data.health)) checkHealth(data, schemas, issues);
  return issues;
}

function visitStrings(node: unknown, pointer: string, visit: (value: string, pointer: string) => void): void {
  if (typeof node === 'string') visit(node, pointer);
  else if (Array.isArray(node)) node.forEach((item, i) => visitStrings(item, child(pointer, i), visit));
  else if (isRecord(node))
    for (const [key, value] of Object.entries(node)) visitStrings(value, child(pointer, key), visit);
}

function checkTemplates(value: string, pointer: string, config: Rec, issues: RawIssue[]): void {
  for (const match of value.matchAll(TEMPLATE)) {
    const ref = CONFIG_REF.exec(match[1]!.trim());
    if (!ref)
      issues.push({ pointer, message: `unsupported placeholder '${match[0]}': only \${config.KEY} is supported` });
    else if (!(ref[1]! in config))
      issues.push({ pointer, message: `references undeclared config key '${ref[1]!}' (declare it under config:)` });
  }
}

/** Checks a URL that may contain `${config.X}`: whole-template values are judged by their default, if any. */
function checkUrl(value: string | undefined, pointer: string, config: Rec, issues: RawIssue[]): void {
  if (value === undefined || value === '') return;
  const whole = /^\$\{\s*config\.([A-Za-z_][A-Za-z0-9_]*)\s*\}$/.exec(value);
  if (whole) {
    const fallback = rec(config[whole[1]!]).default;
    if (typeof fallback === 'string' && !isHttpUrl(fallback)) {
      issues.push({ pointer: `/config/${whole[1]!}/default`, message: `'${fallback}' is not an absolute http(s) URL` });
    }
    return;
  }
  const probe = value.replace(/^\$\{[^}]*\}/, 'http://placeholder').replace(TEMPLATE, 'placeholder');
  if (!isHttpUrl(probe)) issues.push({ pointer, message: `'${value}' is not an absolute http(s) URL` });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Every key of a headers map must be a valid HTTP header name. */
function checkHeaderNames(headers: Rec, base: string, issues: RawIssue[]): void {
  for (const header of Object.keys(headers)) {
    if (!HEADER_NAME.test(header))
      issues.push({ pointer: child(base, header), message: `'${header}' is not a valid HTTP header name`, at: 'key' });
  }
}

function checkHttp(http: Rec, config: Rec, issues: RawIssue[]): void {
  checkUrl(str(http.base_url), '/http/base_url', config, issues);
  checkHeaderNames(rec(http.headers), '/http/headers', issues);
  const auth = rec(http.auth);
  if (auth.type === 'oauth2_client_credentials') checkUrl(str(auth.token_url), '/http/auth/token_url', config, issues);
  if (
    auth.type === 'api_key' &&
    (auth.in ?? 'header') === 'header' &&
    typeof auth.name === 'string' &&
    !HEADER_NAME.test(auth.name)
  ) {
    issues.push({ pointer: '/http/auth/name', message: `'${auth.name}' is not a valid HTTP header name` });
  }
  if (auth.type === 'api_key' && auth.scheme !== undefined && auth.in !== undefined && auth.in !== 'header') {
    issues.push({
      pointer: '/http/auth/scheme',
      message: `scheme is used with in: header only (in is ${String(auth.in)})`,
      severity: 'warning',
    });
  }
  for (const field of [...CREDENTIAL_FIELDS, 'client_id', 'username']) {
    const value = str(auth[field]);
    if (value === undefined) continue;
    const refs = [...value.matchAll(TEMPLATE)]
      .map((m) => CONFIG_REF.exec(m[1]!.trim())?.[1])
      .filter((k): k is string => !!k);
    if (refs.length === 0 && CREDENTIAL_FIELDS.includes(field)) {
      issues.push({
        pointer: `/http/auth/${field}`,
        message: 'holds a literal credential; reference a secret config key as ${config.KEY}',
        severity: 'warning',
      });
    }
    for (const key of refs) {
      if (isRecord(config[key]) && config[key].secret !== true && CREDENTIAL_FIELDS.includes(field)) {
        issues.push({
          pointer: child('/config', key),
          message: `config key '${key}' holds a credential; declare it secret: true`,
          severity: 'warning',
          at: 'key',
        });
      }
    }
  }
}

function checkPython(python: Rec, issues: RawIssue[]): void {
  const hasScript = python.script !== undefined;
  const hasId = python.script_id !== undefined;
  if (!hasScript && !hasId)
    issues.push({ pointer: '/python/script', message: "missing required field 'script' (or 'script_id')" });
  if (hasScript && hasId)
    issues.push({ pointer: '/python/script_id', message: "use either 'script' or 'script_id', not both", at: 'key' });
  const mode = python.mode ?? 'functions';
  if (mode === 'script' && list(python.functions).length > 0) {
    issues.push({ pointer: '/python/functions', message: "'functions' applies to mode functions only", at: 'key' });
  }
  if (mode === 'functions' && list(python.parameters).length > 0) {
    issues.push({ pointer: '/python/parameters', message: "'parameters' applies to mode script only", at: 'key' });
  }
  if (mode === 'functions' && python.tool_name !== undefined) {
    issues.push({ pointer: '/python/tool_name', message: "'tool_name' applies to mode script only", at: 'key' });
  }
  const seen = new Set<string>();
  list(python.parameters).forEach((param, i) => {
    const name = str(rec(param).name);
    if (name === undefined) return;
    if (seen.has(name))
      issues.push({ pointer: `/python/parameters/${i}/name`, message: `duplicate parameter name '${name}'` });
    seen.add(name);
  });
}

function checkMcp(mcp: Rec, config: Rec, issues: RawIssue[]): void {
  const hasCommand = mcp.command !== undefined;
  const hasUrl = mcp.url !== undefined;
  if (!hasCommand && !hasUrl)
    issues.push({
      pointer: '/mcp/command',
      message: "missing required field 'command' (stdio) or 'url' (remote server)",
    });
  if (hasCommand && hasUrl)
    issues.push({ pointer: '/mcp/url', message: "use either 'command' or 'url', not both", at: 'key' });
  if (hasUrl) checkUrl(str(mcp.url), '/mcp/url', config, issues);
  checkHeaderNames(rec(mcp.headers), '/mcp/headers', issues);
}

function checkHealth(data: Rec, schemas: SchemaChecker, issues: RawIssue[]): void {
  const probe = rec(rec(data.health).probe);
  const toolName = str(probe.tool);
  const tools = list(data.tools).map(rec);
  if (toolName !== undefined && (tools.length > 0 || data.kind === 'http')) {
    const tool = tools.find((t) => t.name === toolName);
    if (!tool) issues.push({ pointer: '/health/probe/tool', message: `no tool named '${toolName}' in this manifest` });
    else if (isRecord(tool.input_schema) && isRecord(probe.arguments ?? {})) {
      const validate = schemas.check(tool.input_schema).validate;
      if (validate && !validate(probe.arguments ?? {})) {
        const first = validate.errors?.[0];
        const where = first?.instancePath ? ` at ${first.instancePath}` : '';
        issues.push({
          pointer: '/health/probe/arguments',
          message: `do not match the input_schema of '${toolName}'${where}: ${first?.message ?? 'invalid'}`,
        });
      }
    }
  }
  const expect = rec(probe.expect);
  list(expect.equals).forEach((entry, i) => {
    const pointer = str(rec(entry).pointer);
    if (pointer !== undefined && !isPointer(pointer))
      issues.push({
        pointer: `/health/probe/expect/equals/${i}/pointer`,
        message: `'${pointer}' is not a JSON pointer (e.g. /temperature)`,
      });
  });
  list(expect.matches).forEach((entry, i) => {
    const { pointer, pattern } = rec(entry);
    if (typeof pointer === 'string' && !isPointer(pointer))
      issues.push({
        pointer: `/health/probe/expect/matches/${i}/pointer`,
        message: `'${pointer}' is not a JSON pointer (e.g. /status)`,
      });
    if (typeof pattern === 'string') {
      let problem: string | undefined;
      try {
        // Compiled only (a syntax check); matching runs on the linear-time engine.
        new RegExp(pattern);
        problem = linearRegExpProblem(pattern);
      } catch {
        problem = 'not a valid regular expression';
      }
      if (problem) issues.push({ pointer: `/health/probe/expect/matches/${i}/pattern`, message: problem });
    }
  });
}
