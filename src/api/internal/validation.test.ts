import type { ErrorObject } from 'ajv';
import { describe, expect, it } from 'vitest';
import { toValidationIssues } from './validation.js';

const err = (e: Partial<ErrorObject>): ErrorObject =>
  ({ instancePath: '', schemaPath: '#', keyword: 'type', params: {}, ...e }) as ErrorObject;

describe('toValidationIssues', () => {
  it('points at the missing or unexpected field and names it', () => {
    const issues = toValidationIssues(
      [
        err({ keyword: 'required', params: { missingProperty: 'id' } }),
        err({ keyword: 'additionalProperties', instancePath: '/config', params: { additionalProperty: 'a/b' } }),
      ],
      'body',
    );
    expect(issues).toEqual([
      { pointer: '/id', message: "field 'id' is required" },
      { pointer: '/config/a~1b', message: "field 'config.a/b' is not allowed" },
    ]);
  });

  it("uses a field's x-error message and says where a parameter lives", () => {
    const issues = toValidationIssues(
      [
        err({
          keyword: 'pattern',
          instancePath: '/name',
          message: 'must match pattern "^x$"',
          parentSchema: { 'x-error': 'must be a slug' },
        }),
      ],
      'params',
    );
    expect(issues).toEqual([{ pointer: '/name', message: "path parameter 'name' must be a slug" }]);
  });

  it('points at an invalid property name and lists union types readably', () => {
    const issues = toValidationIssues(
      [
        err({
          keyword: 'pattern',
          instancePath: '/config',
          propertyName: 'bad key',
          parentSchema: { 'x-error': 'must be a config key' },
        }),
        err({
          keyword: 'propertyNames',
          instancePath: '/config',
          params: { propertyName: 'bad key' },
          message: 'property name must be valid',
        }),
        err({
          keyword: 'type',
          instancePath: '/config/ok',
          params: { type: ['string', 'null'] },
          message: 'must be string,null',
        }),
      ],
      'body',
    );
    expect(issues).toEqual([
      { pointer: '/config/bad key', message: "field 'config.bad key' has an invalid name: it must be a config key" },
      { pointer: '/config/ok', message: "field 'config.ok' must be string or null" },
    ]);
  });

  it('names array positions and the whole body', () => {
    const issues = toValidationIssues(
      [
        err({ instancePath: '/scopes/1', message: 'must be equal to one of the allowed values' }),
        err({ message: 'must be object' }),
      ],
      'body',
    );
    expect(issues.map((i) => i.message)).toEqual([
      "field 'scopes[1]' must be equal to one of the allowed values",
      'request body must be object',
    ]);
  });
});
