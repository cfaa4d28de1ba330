import { describe, expect, it } from 'vitest';
import type { HttpToolSpec } from '../../../manifest/types.js';
import { ArgumentError, buildRequest, compileRequestPlan } from './request-plan.js';

function spec(partial: Partial<HttpToolSpec>): HttpToolSpec {
  return { method: 'GET', path: '/', args: {}, body_format: 'json', ...partial };
}

describe('buildRequest', () => {
  it('fills and URL-encodes path placeholders, escaping dot segments', () => {
    const plan = compileRequestPlan(spec({ path: '/users/{id}/files/{name}' }));
    expect(buildRequest(plan, { id: 'a/b c', name: '..' }).pathAndQuery).toBe('/users/a%2Fb%20c/files/%2E%2E');
  });

  it('names a missing path argument without its value', () => {
    const plan = compileRequestPlan(spec({ path: '/users/{id}' }));
    expect(() => buildRequest(plan, {})).toThrow(new ArgumentError("missing path argument 'id'"));
  });

  it('defaults unlisted arguments to the query for GET, repeating arrays and JSON-encoding objects', () => {
    const plan = compileRequestPlan(spec({ path: '/search?fixed=1' }));
    const built = buildRequest(plan, { q: 'a b', tag: ['x', 'y'], filter: { n: 1 }, skip: null });
    expect(built.pathAndQuery).toBe('/search?fixed=1&q=a%20b&tag=x&tag=y&filter=%7B%22n%22%3A1%7D');
    expect(built.body).toBeUndefined();
  });

  it('defaults unlisted arguments to a JSON body for POST, keeping nesting', () => {
    const plan = compileRequestPlan(spec({ method: 'POST', path: '/items/{id}' }));
    const built = buildRequest(plan, { id: 7, item: { tags: ['a'], dims: { w: 1 } }, note: null });
    expect(built.pathAndQuery).toBe('/items/7');
    expect(built.headers['content-type']).toBe('application/json');
    expect(JSON.parse(built.body!.toString())).toEqual({ item: { tags: ['a'], dims: { w: 1 } }, note: null });
  });

  it('places header and cookie arguments under their wire names', () => {
    const plan = compileRequestPlan(
      spec({ args: { trace: 'header', session: 'cookie' }, rename: { trace: 'X-Trace-Id', session: 'sid' } }),
    );
    const built = buildRequest(plan, { trace: 'abc', session: 's 1' });
    expect(built.headers['x-trace-id']).toBe('abc');
    expect(built.cookies).toEqual([['sid', 's 1']]);
  });

  it('rejects header values with line breaks', () => {
    const plan = compileRequestPlan(spec({ args: { trace: 'header' } }));
    expect(() => buildRequest(plan, { trace: 'a\r\nX-Evil: 1' })).toThrow(/argument 'trace' contains characters/);
  });

  it('sends one argument as the whole body with body_arg', () => {
    const plan = compileRequestPlan(spec({ method: 'PUT', body_arg: 'doc' }));
    const built = buildRequest(plan, { doc: [1, { a: 2 }] });
    expect(built.body!.toString()).toBe('[1,{"a":2}]');
  });

  it('encodes a form body with repeated arrays', () => {
    const plan = compileRequestPlan(spec({ method: 'POST', body_format: 'form' }));
    const built = buildRequest(plan, { a: 'x y', list: [1, 2], obj: { k: true } });
    expect(built.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(built.body!.toString()).toBe('a=x+y&list=1&list=2&obj=%7B%22k%22%3Atrue%7D');
  });

  it('sends no body when a POST has no body arguments', () => {
    const plan = compileRequestPlan(spec({ method: 'POST' }));
    expect(buildRequest(plan, {}).body).toBeUndefined();
  });
});
