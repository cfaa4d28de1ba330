import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../manifest/index.js';
import type { ConnectorManifest } from '../../manifest/types.js';
import { assertSecretsStayWithOrigin, configTargets, secretsNeedingResend } from './secret-origins.js';

function parse(yaml: string): ConnectorManifest {
  const parsed = parseManifest(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.manifest;
}

const http = (baseUrl: string, auth: string, extra = ''): ConnectorManifest =>
  parse(`
name: api
version: 1.0.0
kind: http
config:
  token: { secret: true, required: true }
  client_secret: { secret: true, required: false }
  host: { secret: false, required: false, default: api.example.com }
  mode: { secret: false, required: false }
http:
  base_url: ${baseUrl}
  auth: ${auth}
${extra}
tools:
  - name: t
    input_schema: { type: object }
    http: { method: GET, path: /t }
`);

const bearer = '{ type: bearer, token: "${config.token}" }';
const oauth = (tokenUrl: string): string =>
  `{ type: oauth2_client_credentials, token_url: "${tokenUrl}", client_id: app, client_secret: "\${config.client_secret}" }`;
const mcp = (target: string): ConnectorManifest =>
  parse(`
name: up
version: 1.0.0
kind: mcp
config:
  token: { secret: true, required: true }
mcp:
  ${target}
  headers: { Authorization: "Bearer \${config.token}" }
`);

describe('secret origins', () => {
  it('maps each config key to the origins it is sent to', () => {
    const targets = configTargets({
      manifest: http(
        'https://api.example.com/v1',
        oauth('https://login.example.com/token'),
        '  headers: { X-Mode: "${config.mode}" }',
      ),
      config: { client_secret: 's', mode: 'fast' },
    });
    expect([...(targets.get('client_secret') ?? [])]).toEqual(['https://login.example.com']);
    expect([...(targets.get('mode') ?? [])]).toEqual(['https://api.example.com']);
  });

  it('asks for a secret again when base_url, token_url or the mcp url changes origin, not for a path change', () => {
    const cfg = { token: 't', client_secret: 'c' };
    const base = (url: string) => ({ manifest: http(url, bearer), config: cfg });
    expect(secretsNeedingResend(base('https://a.example/v1'), base('https://a.example/v2'), [])).toEqual([]);
    expect(secretsNeedingResend(base('https://a.example/v1'), base('https://b.example/v1'), [])).toEqual(['token']);
    expect(secretsNeedingResend(base('https://a.example'), base('http://a.example'), [])).toEqual(['token']);
    expect(secretsNeedingResend(base('https://a.example'), base('https://b.example'), ['token'])).toEqual([]);

    const tok = (url: string) => ({ manifest: http('https://a.example', oauth(url)), config: cfg });
    expect(secretsNeedingResend(tok('https://login.a.example/t'), tok('https://evil.example/t'), [])).toEqual([
      'client_secret',
    ]);

    const up = (url: string) => ({ manifest: mcp(`url: ${url}`), config: { token: 't' } });
    expect(secretsNeedingResend(up('https://mcp.a.example/mcp'), up('https://mcp.b.example/mcp'), [])).toEqual([
      'token',
    ]);
    const stdio = { manifest: mcp('command: node'), config: { token: 't' } };
    expect(secretsNeedingResend(up('https://mcp.a.example/mcp'), stdio, [])).toEqual(['token']);
  });

  it('asks again when a header template starts sending a secret to an origin that did not get it', () => {
    const before = {
      manifest: http('https://a.example', oauth('https://login.example/t')),
      config: { token: 't', client_secret: 'c' },
    };
    const after = {
      manifest: http(
        'https://a.example',
        oauth('https://login.example/t'),
        '  headers: { X-Leak: "${config.client_secret}" }',
      ),
      config: before.config,
    };
    expect(secretsNeedingResend(before, after, [])).toEqual(['client_secret']);
  });

  it('follows a base_url built from config, and lets declared non-secret values move freely', () => {
    const m = http('https://${config.host}/v1', bearer, '  headers: { X-Mode: "${config.mode}" }');
    const before = { manifest: m, config: { token: 't', mode: 'fast' } };
    const after = { manifest: m, config: { token: 't', mode: 'fast', host: 'evil.example' } };
    expect(secretsNeedingResend(before, after, ['host'])).toEqual(['token']);
  });

  it('throws secrets_required naming the keys, unless reuse_secrets is set', () => {
    const before = { manifest: http('https://a.example', bearer), config: { token: 't' } };
    const after = { manifest: http('https://b.example', bearer), config: { token: 't' } };
    expect(() => assertSecretsStayWithOrigin(before, after, {})).toThrow(
      expect.objectContaining({ code: 'secrets_required', details: expect.objectContaining({ keys: ['token'] }) }),
    );
    expect(() => assertSecretsStayWithOrigin(before, after, { reuseSecrets: true })).not.toThrow();
    expect(() => assertSecretsStayWithOrigin(undefined, after, {})).not.toThrow();
  });
});
