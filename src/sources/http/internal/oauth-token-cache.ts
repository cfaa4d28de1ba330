import { createHash } from 'node:crypto';
import type { Clock } from '../../../core/index.js';
import type { Redactor } from './redactor.js';
import { NetworkError, type Transport } from './transport.js';

/** Resolved client-credentials parameters of one token endpoint. */
export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  audience?: string;
}

/** A token endpoint failure; the message carries the status and OAuth error code, never credentials. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
}

interface CachedToken {
  token: string;
  /** Epoch ms after which the token is not used any more (expiry minus a safety margin). */
  renewAt: number;
}

/** Tokens without `expires_in` are kept this long; a 401 still replaces them early. */
const DEFAULT_LIFETIME_MS = 3_600_000;
/** Renew this long before expiry (at most 10% of the lifetime, so short-lived tokens stay usable). */
const MAX_MARGIN_MS = 30_000;
const OAUTH_ERROR_CODE = /^[a-z_]{1,64}$/;

/**
 * OAuth 2 client-credentials tokens of one source: cached until shortly before they expire, with
 * one in-flight refresh shared by all concurrent callers. The refresh runs under its own timeout,
 * so one caller cancelling does not fail the others waiting on it.
 */
export class OAuthTokenCache {
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  readonly #redactor: Redactor;
  readonly #tokens = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();

  constructor(options: { transport: Transport; clock: Clock; timeoutMs: number; redactor: Redactor }) {
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs;
    this.#redactor = options.redactor;
  }

  /** A valid access token, fetched when none is cached or the cached one is about to expire. */
  async get(credentials: ClientCredentials, signal: AbortSignal): Promise<string> {
    const key = fingerprint(credentials);
    const cached = this.#tokens.get(key);
    if (cached && cached.renewAt > this.#clock.now()) return cached.token;
    let inflight = this.#inflight.get(key);
    if (!inflight) {
      // The token is cached before the in-flight entry goes, so no caller can slip in between.
      inflight = this.#fetch(credentials)
        .then((token) => {
          this.#tokens.set(key, token);
          return token;
        })
        .finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, inflight);
    }
    return (await raceAbort(inflight, signal)).token;
  }

  /** Drops `token` after the API rejected it; a newer token fetched meanwhile is kept. */
  invalidate(credentials: ClientCredentials, token: string): void {
    const key = fingerprint(credentials);
    if (this.#tokens.get(key)?.token === token) this.#tokens.delete(key);
  }

  async #fetch(credentials: ClientCredentials): Promise<CachedToken> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (credentials.scopes.length > 0) form.set('scope', credentials.scopes.join(' '));
    if (credentials.audience) form.set('audience', credentials.audience);
    // RFC 6749 §2.3.1: client id and secret are form-encoded before they go into the basic header.
    const basic = Buffer.from(
      `${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`,
    ).toString('base64');
    let url: URL;
    try {
      url = new URL(credentials.tokenUrl);
    } catch {
      throw new TokenError('oauth2 token_url is not a valid URL');
    }
    const started = this.#clock.now();
    let response;
    try {
      response = await this.#transport.send({
        url,
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: Buffer.from(form.toString()),
        signal: AbortSignal.timeout(this.#timeoutMs),
        maxBytes: 64 * 1024,
      });
    } catch (err) {
      if (err instanceof NetworkError)
        throw new TokenError(`oauth2 token request failed: ${this.#redactor.text(err.message)}`);
      if (err instanceof Error && err.name === 'TimeoutError')
        throw new TokenError(`oauth2 token request timed out after ${this.#timeoutMs} ms`);
      throw err;
    }
    const fields = parseTokenBody(response.body.toString('utf8'), String(response.headers['content-type'] ?? ''));
    if (response.status >= 400 || response.tooLarge) {
      const code = typeof fields.error === 'string' && OAUTH_ERROR_CODE.test(fields.error) ? ` (${fields.error})` : '';
      throw new TokenError(`oauth2 token request failed: HTTP ${response.status} ${response.statusText}${code}`);
    }
    const token = fields.access_token;
    if (typeof token !== 'string' || token === '') throw new TokenError('oauth2 token response has no access_token');
    this.#redactor.add(token);
    const expiresIn = Number(fields.expires_in);
    const lifetime = Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn * 1000 : DEFAULT_LIFETIME_MS;
    return { token, renewAt: started + lifetime - Math.min(MAX_MARGIN_MS, lifetime / 10) };
  }
}

function parseTokenBody(text: string, contentType: string): Record<string, unknown> {
  // Some providers (GitHub among them) answer form-encoded unless told otherwise.
  if (contentType.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function fingerprint(c: ClientCredentials): string {
  return createHash('sha256')
    .update(JSON.stringify([c.tokenUrl, c.clientId, c.clientSecret, c.scopes, c.audience ?? '']))
    .digest('hex');
}

/** `promise`, or a rejection with the signal's reason as soon as `signal` aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
