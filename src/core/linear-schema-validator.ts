import { Ajv2020, type Options } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { linearRegExpEngine, withoutUnsupportedPatterns } from './linear-regexp.js';
import type { JsonSchema } from './tool-source.js';

/** What the MCP SDK's `jsonSchemaValidator` option expects (structurally; core does not import the SDK). */
export interface LinearSchemaValidator {
  getValidator<T>(
    schema: unknown,
  ): (
    input: unknown,
  ) => { valid: true; data: T; errorMessage: undefined } | { valid: false; data: undefined; errorMessage: string };
}

/**
 * An Ajv (JSON Schema 2020-12, formats validated, all errors reported) whose patterns run on the linear-time engine;
 * `options` add to or override these.
 */
export function createLinearAjv(options: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: true,
    strict: false,
    validateFormats: true,
    code: { regExp: linearRegExpEngine },
    ...options,
  });
  (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
  return ajv;
}

/**
 * A JSON Schema validator for the MCP SDK (`new Client(info, {jsonSchemaValidator})`) whose patterns run on
 * the linear-time engine: an upstream's `outputSchema` and `structuredContent` can never stall the event loop.
 * Patterns that engine cannot run are not enforced (see `withoutUnsupportedPatterns`).
 */
export function createLinearSchemaValidator(): LinearSchemaValidator {
  const ajv = createLinearAjv({ validateSchema: false });
  return {
    getValidator<T>(schema: unknown) {
      const validate = ajv.compile(withoutUnsupportedPatterns(schema as JsonSchema).schema);
      return (input: unknown) =>
        validate(input)
          ? { valid: true as const, data: input as T, errorMessage: undefined }
          : { valid: false as const, data: undefined, errorMessage: ajv.errorsText(validate.errors) };
    },
  };
}
