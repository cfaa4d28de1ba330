/**
 * Real public API documents (test/fixtures/openapi, see its README) imported, installed into a real registry
 * over SQLite with the real HTTP runtime, and called against a loopback API that records each request.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importOpenApi, type ImportOptions, type ImportResult } from '../../src/openapi/index.js';
import { createRegistryHarness, type RegistryHarness } from '../helpers/registry-harness.js';
import { startRecorder, type Recorder } from './recorder.js';

const FIXTURES = 'test/fixtures/openapi';
const COMPANY = '8a210b68-6988-11ed-a1eb-0242ac120002';
const CONNECTION = '2e9d2c44-f675-40ba-8049-353bfcb5e171';
let h: RegistryHarness;
let api: Recorder;

beforeAll(async () => {
  h = await createRegistryHarness();
  api = await startRecorder();
});
afterAll(async () => {
  await api.close();
  await h.close();
});

async function importFixture(file: string, options: ImportOptions = {}): Promise<ImportResult> {
  return importOpenApi({ kind: 'location', value: `${FIXTURES}/${file}` }, { externalRefs: true }, options);
}

async function install(result: ImportResult, config: Record<string, string>): Promise<string> {
  await h.registry.install({ tenantId: 'default', projectId: 'default', manifest: result.manifest, config });
  return String(result.manifest.name);
}

async function call(connector: string, tool: string, args: Record<string, unknown>) {
  const before = api.requests.length;
  const result = await h.registry
    .invokeTool('default', 'default', `${connector}__${tool}`, args)
    .catch((err: { details?: unknown }) => {
      throw new Error(`${tool}: ${JSON.stringify(err.details)}`);
    });
  expect(api.requests.length, `one request for ${tool}`).toBe(before + 1);
  return { result, request: api.requests[before]! };
}

function toolOf(result: ImportResult, name: string): Record<string, any> {
  const tool = (result.manifest.tools as Record<string, any>[]).find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name}`);
  return tool;
}

describe('OpenAPI 3.0 with allOf and a bearer scheme (1Password Connect)', () => {
  let result: ImportResult;
  let name: string;
  beforeAll(async () => {
    result = await importFixture('1password-connect.oas30.json', { name: 'onepassword' });
    name = await install(result, { base_url: `${api.url}/v1`, token: 'connect-token-1' });
  });

  test('maps operations, the bearer scheme and annotations; lists operations on another server as skipped', () => {
    expect(result.manifest.http).toMatchObject({ auth: { type: 'bearer', token: '${config.token}' } });
    expect(result.manifest.config).toMatchObject({ token: { secret: true, required: true } });
    expect(result.stats.tools).toBe(12);
    expect(result.skipped.map((s) => s.operation_id)).toEqual([
      'GetServerHealth',
      'GetHeartbeat',
      'GetPrometheusMetrics',
    ]);
    expect(toolOf(result, 'GetVaults').annotations).toEqual({ readOnlyHint: true });
    expect(toolOf(result, 'DeleteVaultItem').annotations).toMatchObject({ destructiveHint: true });
    // FullItem is allOf[Item, {...}]: the body stays one nested argument; readOnly fields are not asked for.
    const body = toolOf(result, 'CreateVaultItem').input_schema.properties.body;
    expect(body.allOf).toHaveLength(2);
    expect(JSON.stringify(body)).not.toContain('"createdAt"');
  });

  test('GET with a path parameter and a query parameter sends the bearer token', async () => {
    api.reply(200, []);
    const { result: out, request } = await call(name, 'GetVaultItems', {
      vaultUuid: 'abcdefghijklmnopqrstuvwxyz',
      filter: 'title eq "db"',
    });
    expect(out.isError).toBeFalsy();
    expect(out.structuredContent).toEqual({ result: [] });
    expect(request.method).toBe('GET');
    expect(request.path).toBe('/v1/vaults/abcdefghijklmnopqrstuvwxyz/items');
    expect(request.query.get('filter')).toBe('title eq "db"');
    expect(request.headers.authorization).toBe('Bearer connect-token-1');
  });

  test('POST sends the allOf body as nested JSON', async () => {
    const item = {
      vault: { id: 'abcdefghijklmnopqrstuvwxyz' },
      category: 'LOGIN',
      title: 'db',
      tags: ['prod', 'db'],
      urls: [{ href: 'https://db.example.com', primary: true }],
    };
    api.reply(200, { ...item, id: 'zyxwvutsrqponmlkjihgfedcba' });
    const { result: out, request } = await call(name, 'CreateVaultItem', {
      vaultUuid: 'abcdefghijklmnopqrstuvwxyz',
      body: item,
    });
    expect(out.isError).toBeFalsy();
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v1/vaults/abcdefghijklmnopqrstuvwxyz/items');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual(item);
  });

  test('DELETE goes to the item path', async () => {
    api.reply(204);
    const { result: out, request } = await call(name, 'DeleteVaultItem', {
      vaultUuid: 'abcdefghijklmnopqrstuvwxyz',
      itemUuid: 'zyxwvutsrqponmlkjihgfedcba',
    });
    expect(out.isError).toBeFalsy();
    expect(request.method).toBe('DELETE');
    expect(request.path).toBe('/v1/vaults/abcdefghijklmnopqrstuvwxyz/items/zyxwvutsrqponmlkjihgfedcba');
    expect(request.body).toBe('');
  });
});

describe('OpenAPI 3.1 with an apiKey header scheme (Codat banking)', () => {
  let result: ImportResult;
  let name: string;
  const paging = {
    _links: { current: { href: '/x?page=2' }, self: { href: '/x' } },
    pageNumber: 2,
    pageSize: 50,
    totalResults: 0,
  };
  beforeAll(async () => {
    result = await importFixture('codat-banking.oas31.json');
    name = await install(result, { base_url: api.url, api_key: 'Basic a2V5' });
  });

  test('names tools from operationIds and takes the apiKey scheme', () => {
    expect(result.stats).toMatchObject({ operations: 8, tools: 8, skipped: 0 });
    expect(result.manifest.http).toMatchObject({ auth: { type: 'api_key', in: 'header', name: 'Authorization' } });
    expect(toolOf(result, 'list-accounts').output_schema).toBeDefined();
  });

  test('query parameters and the key header reach the API; a valid response becomes structuredContent', async () => {
    api.reply(200, { results: [], ...paging });
    const { result: out, request } = await call(name, 'list-accounts', {
      companyId: COMPANY,
      connectionId: CONNECTION,
      page: 2,
      pageSize: 50,
      query: 'balance.available>0',
      orderBy: '-id',
    });
    expect(out.isError).toBeFalsy();
    expect(out.structuredContent).toMatchObject({ pageNumber: 2 });
    expect(request.method).toBe('GET');
    expect(request.path).toBe(`/companies/${COMPANY}/connections/${CONNECTION}/data/banking-accounts`);
    expect(Object.fromEntries(request.query)).toEqual({
      page: '2',
      pageSize: '50',
      query: 'balance.available>0',
      orderBy: '-id',
    });
    expect(request.headers.authorization).toBe('Basic a2V5');
  });

  test('a response that breaks the 2xx schema (allOf with required paging fields) is an error result', async () => {
    api.reply(200, { results: [] });
    const { result: out } = await call(name, 'list-accounts', {
      companyId: COMPANY,
      connectionId: CONNECTION,
      page: 1,
    });
    expect(out.isError).toBe(true);
  });
});

describe('Swagger 2.0 (Swagger Petstore)', () => {
  let result: ImportResult;
  let name: string;
  beforeAll(async () => {
    result = await importFixture('petstore.swagger20.json', { name: 'petstore' });
    name = await install(result, { base_url: `${api.url}/v2`, api_key: 'special-key' });
  });

  test('the multipart upload is listed as skipped, with the reason', () => {
    expect(result.skipped).toEqual([
      expect.objectContaining({ method: 'POST', path: '/pet/{petId}/uploadImage', operation_id: 'uploadFile' }),
    ]);
    expect(result.skipped[0]!.reason).toMatch(/multipart/);
    expect(result.manifest.http).toMatchObject({ auth: { type: 'api_key', in: 'header', name: 'api_key' } });
  });

  test('an array query parameter repeats, the api key goes in its header', async () => {
    api.reply(200, []);
    const { request } = await call(name, 'findPetsByStatus', { status: ['available', 'sold'] });
    expect(request.method).toBe('GET');
    expect(request.path).toBe('/v2/pet/findByStatus');
    expect(request.query.getAll('status')).toEqual(['available', 'sold']);
    expect(request.headers.api_key).toBe('special-key');
  });

  test('a body parameter becomes top-level arguments sent as a nested JSON body', async () => {
    const pet = {
      name: 'doggie',
      photoUrls: ['https://x/1.png'],
      category: { id: 1, name: 'dogs' },
      tags: [{ id: 2, name: 'good' }],
    };
    api.reply(200);
    const { result: out, request } = await call(name, 'addPet', pet);
    expect(out.isError).toBeFalsy();
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v2/pet');
    expect(JSON.parse(request.body)).toEqual(pet);
  });

  test('formData parameters are sent as a form body', async () => {
    api.reply(200);
    const { request } = await call(name, 'updatePetWithForm', { petId: 7, name: 'rex', status: 'sold' });
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v2/pet/7');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(new URLSearchParams(request.body).toString()).toBe('name=rex&status=sold');
  });

  test('arguments are validated against the imported schema before any request', async () => {
    const before = api.requests.length;
    await expect(h.registry.invokeTool('default', 'default', `${name}__getPetById`, {})).rejects.toMatchObject({
      code: 'validation_failed',
    });
    expect(api.requests.length).toBe(before);
  });
});

describe('OAuth2 client credentials (eBay Charity API)', () => {
  let result: ImportResult;
  let name: string;
  beforeAll(async () => {
    result = await importFixture('ebay-charity.oas30.json', { name: 'ebay-charity' });
    // The token endpoint is a config key: pointed at the loopback API like the base URL.
    name = await install(result, {
      base_url: `${api.url}/commerce/charity/v1`,
      token_url: `${api.url}/identity/v1/oauth2/token`,
      client_id: 'app id',
      client_secret: 'app-secret',
    });
  });

  test('the clientCredentials scheme becomes the auth, with the scopes the operations ask for', () => {
    expect(result.manifest.http).toMatchObject({
      auth: {
        type: 'oauth2_client_credentials',
        token_url: '${config.token_url}',
        client_id: '${config.client_id}',
        client_secret: '${config.client_secret}',
        scopes: ['https://api.ebay.com/oauth/api_scope'],
      },
    });
    expect(result.manifest.config).toMatchObject({
      token_url: { default: 'https://api.ebay.com/identity/v1/oauth2/token' },
      client_id: { secret: true, required: true },
      client_secret: { secret: true, required: true },
    });
    expect(result.stats).toMatchObject({ operations: 2, tools: 2, skipped: 0 });
  });

  test('a call fetches a token (client credentials grant), then sends it with the query and header', async () => {
    api.reply(200, { access_token: 'token-1', token_type: 'Bearer', expires_in: 3600 });
    api.reply(200, { charityOrgs: [], total: 0, limit: 10, offset: 0 });
    const before = api.requests.length;
    const out = await h.registry.invokeTool('default', 'default', `${name}__getCharityOrgs`, {
      q: 'animal shelter',
      limit: '10',
      'X-EBAY-C-MARKETPLACE-ID': 'EBAY_US',
    });
    expect(out.isError).toBeFalsy();
    const [token, search] = api.requests.slice(before);
    expect(api.requests.length).toBe(before + 2);
    expect([token!.method, token!.path]).toEqual(['POST', '/identity/v1/oauth2/token']);
    expect(token!.headers.authorization).toBe(`Basic ${Buffer.from('app%20id:app-secret').toString('base64')}`);
    expect(Object.fromEntries(new URLSearchParams(token!.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'https://api.ebay.com/oauth/api_scope',
    });
    expect([search!.method, search!.path]).toEqual(['GET', '/commerce/charity/v1/charity_org']);
    expect(Object.fromEntries(search!.query)).toEqual({ q: 'animal shelter', limit: '10' });
    expect(search!.headers.authorization).toBe('Bearer token-1');
    expect(search!.headers['x-ebay-c-marketplace-id']).toBe('EBAY_US');
  });

  test('the next call reuses the token', async () => {
    api.reply(200, { charityOrgId: '1234' });
    const { request } = await call(name, 'getCharityOrg', {
      charity_org_id: '1234',
      'X-EBAY-C-MARKETPLACE-ID': 'EBAY_GB',
    });
    expect([request.method, request.path]).toEqual(['GET', '/commerce/charity/v1/charity_org/1234']);
    expect(request.headers.authorization).toBe('Bearer token-1');
  });
});

describe('thousands of operations (Autotask PSA)', () => {
  test('imports every operation; a tag filter keeps a small connector that serves', async () => {
    const all = await importFixture('autotask.oas30.json');
    expect(all.stats.operations).toBeGreaterThan(2900);
    expect(all.stats.tools + all.stats.skipped).toBe(all.stats.operations);
    const names = (all.manifest.tools as { name: string }[]).map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);

    const companies = await importFixture('autotask.oas30.json', {
      name: 'autotask',
      include: ['tag:Companies'],
      exclude: ['*Patch*'],
    });
    expect(companies.stats.tools).toBeGreaterThan(5);
    expect(companies.tools.every((t) => !t.name.includes('Patch'))).toBe(true);
    const name = await install(companies, { base_url: `${api.url}/ATServicesRest` });
    const headers = { ApiIntegrationCode: 'INT-1', UserName: 'api@example.com', Secret: 'pw' };

    api.reply(200, { items: [], pageDetails: { count: 0 } });
    const query = await call(name, 'Companies_UrlParameterQuery', { search: '{"filter":[]}', ...headers });
    expect(query.result.isError).toBeFalsy();
    expect(query.request.path).toBe('/ATServicesRest/V1.0/Companies/query');
    expect(query.request.query.get('search')).toBe('{"filter":[]}');
    expect(query.request.headers).toMatchObject({
      apiintegrationcode: 'INT-1',
      username: 'api@example.com',
      secret: 'pw',
    });

    api.reply(200, {});
    const item = await call(name, 'Companies_QueryItem', { id: 42, ...headers });
    expect(item.request.method).toBe('GET');
    expect(item.request.path).toBe('/ATServicesRest/V1.0/Companies/42');

    // The whole import (every operation a tool) installs too, and a POST sends its body next to the headers.
    const whole = await install(
      { ...all, manifest: { ...all.manifest, name: 'autotask-all' } },
      {
        base_url: `${api.url}/ATServicesRest`,
      },
    );
    const company = { companyName: 'Acme', companyType: 1, phone: '555-0100', ownerResourceID: 29682885 };
    api.reply(200, {}); // the document declares `itemId` an object; an empty result matches it
    const created = await call(whole, 'Companies_CreateEntity', { ...company, ...headers });
    expect(created.result.isError).toBeFalsy();
    expect([created.request.method, created.request.path]).toEqual(['POST', '/ATServicesRest/V1.0/Companies']);
    expect(created.request.headers).toMatchObject({ 'content-type': 'application/json', username: 'api@example.com' });
    expect(JSON.parse(created.request.body)).toEqual(company);
  }, 240_000);
});
