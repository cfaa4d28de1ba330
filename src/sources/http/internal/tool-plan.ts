import type { ValidateFunction } from 'ajv/dist/2020.js';
import { createError, createLinearAjv, type ToolDefinition, type ValidationIssue } from '../../../core/index.js';
import type { ConnectorManifest, HttpConnectorSpec } from '../../../manifest/types.js';
import { compileRequestPlan, type RequestPlan } from './request-plan.js';
import { compileTemplate, type Template } from './templates.js';

/** Everything a call of one tool needs that does not depend on its arguments, computed once. */
export interface ToolPlan {
  definition: ToolDefinition;
  request: RequestPlan;
  /** Connector headers overlaid with the tool's own (lower-case names, templates). */
  headers: readonly [string, Template][];
  timeoutMs: number;
  retries: number;
  validate?: ValidateFunction;
}

/** Builds the plans of every tool of an HTTP manifest; throws validation_failed listing each problem. */
export function compileToolPlans(manifest: ConnectorManifest): {
  http: HttpConnectorSpec;
  tools: Map<string, ToolPlan>;
} {
  const http = manifest.http;
  if (manifest.kind !== 'http' || !http) {
    throw createError('validation_failed', `connector '${manifest.name}' is not an HTTP connector`, {
      issues: [{ pointer: '/http', message: 'an HTTP connector needs an `http` section' }],
    });
  }
  // Patterns run on the linear-time engine (manifest validation refused those it cannot run).
  const ajv = createLinearAjv({ allErrors: false });
  const issues: ValidationIssue[] = [];
  const tools = new Map<string, ToolPlan>();
  const compiled = new Map<string, ValidateFunction>();

  manifest.tools.forEach((tool, index) => {
    if (!tool.http) {
      issues.push({ pointer: `/tools/${index}/http`, message: `tool '${tool.name}' has no HTTP mapping` });
      return;
    }
    const outputSchema = tool.output_schema;
    if (outputSchema && !ajv.validateSchema(outputSchema)) {
      issues.push({
        pointer: `/tools/${index}/output_schema`,
        message: `invalid JSON Schema: ${ajv.errorsText(ajv.errors)}`,
      });
      return;
    }
    // Compiled on the first response (milliseconds per schema: a manifest of many tools must not stall the
    // event loop at load). Manifest validation already refused schemas that cannot compile; one that still
    // fails leaves the output unchecked. Tools of one API often share a schema: each distinct one compiles once.
    let validate: ValidateFunction | null | undefined;
    const lazyValidate = (): ValidateFunction | undefined => {
      if (validate === undefined && outputSchema) {
        const key = JSON.stringify(outputSchema);
        try {
          validate = compiled.get(key) ?? ajv.compile(outputSchema);
          compiled.set(key, validate);
        } catch {
          validate = null;
        }
      }
      return validate ?? undefined;
    };
    const headers = new Map<string, Template>();
    for (const [name, value] of Object.entries({ ...http.headers, ...tool.http.headers })) {
      headers.set(name.toLowerCase(), compileTemplate(value));
    }
    const definition: ToolDefinition = {
      name: tool.name,
      inputSchema: tool.input_schema,
      ...(tool.title === undefined ? {} : { title: tool.title }),
      ...(tool.description === undefined ? {} : { description: tool.description }),
      ...(tool.output_schema === undefined ? {} : { outputSchema: tool.output_schema }),
      ...(tool.annotations === undefined ? {} : { annotations: tool.annotations }),
    };
    const plan: ToolPlan = {
      definition,
      request: compileRequestPlan(tool.http),
      headers: [...headers],
      timeoutMs: tool.http.timeout_ms ?? http.timeout_ms,
      retries: Math.max(0, tool.http.retries ?? http.retries),
    };
    if (outputSchema) Object.defineProperty(plan, 'validate', { get: lazyValidate, enumerable: true });
    tools.set(tool.name, plan);
  });

  if (issues.length > 0) {
    throw createError('validation_failed', `connector '${manifest.name}' has invalid HTTP tools`, { issues });
  }
  return { http, tools };
}
