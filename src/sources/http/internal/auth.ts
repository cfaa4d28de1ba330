import type { HttpAuth } from '../../../manifest/types.js';
import type { ClientCredentials, OAuthTokenCache } from './oauth-token-cache.js';
import { compileTemplate, type Template } from './templates.js';

/** Where credentials are added: lower-case headers, extra query pairs (encoded), cookies. */
export interface AuthTarget {
  headers: Record<string, string>;
  query: string[];
  cookies: [string, string][];
}

/** Applies a connector's auth to requests; credential templates are resolved per call. */
export interface Authenticator {
  /** Every template holding credentials (their config values are treated as secrets). */
  readonly templates: readonly Template[];
  readonly usesOAuth: boolean;
  /** Wire forms of the credentials that are secret on their own (the basic `user:pass` encoding). */
  derivedSecrets(resolve: (t: Template) => string): string[];
  /** Adds credentials to `target`; returns the OAuth token used, if any, so a 401 can retire it. */
  apply(target: AuthTarget, resolve: (t: Template) => string, signal: AbortSignal): Promise<string | undefined>;
  /** Forgets an OAuth token the API rejected. */
  invalidate(resolve: (t: Template) => string, token: string): void;
}

/** The applier of credentials that need no token exchange: `add` puts them on the request. */
function tokenless(
  templates: Template[],
  add: (target: AuthTarget, resolve: (t: Template) => string) => void,
  derivedSecrets: Authenticator['derivedSecrets'] = () => [],
): Authenticator {
  return {
    templates,
    usesOAuth: false,
    derivedSecrets,
    apply(target, resolve) {
      add(target, resolve);
      return Promise.resolve(undefined);
    },
    invalidate: () => undefined,
  };
}

/** Compiles the auth templates once and returns the per-call applier. */
export function createAuthenticator(auth: HttpAuth, tokens: OAuthTokenCache): Authenticator {
  switch (auth.type) {
    case 'none':
      return tokenless([], () => undefined);
    case 'api_key': {
      const value = compileTemplate(auth.value);
      const name = compileTemplate(auth.name);
      return tokenless([value], (target, resolve) => {
        const key = resolve(name);
        const secret = resolve(value);
        if (auth.in === 'header') target.headers[key.toLowerCase()] = auth.scheme ? `${auth.scheme} ${secret}` : secret;
        else if (auth.in === 'query') target.query.push(`${encodeURIComponent(key)}=${encodeURIComponent(secret)}`);
        else target.cookies.push([key, secret]);
      });
    }
    case 'bearer': {
      const token = compileTemplate(auth.token);
      return tokenless([token], (target, resolve) => {
        target.headers.authorization = `Bearer ${resolve(token)}`;
      });
    }
    case 'basic': {
      const username = compileTemplate(auth.username);
      const password = compileTemplate(auth.password);
      const pair = (resolve: (t: Template) => string): string => `${resolve(username)}:${resolve(password)}`;
      return tokenless(
        [username, password],
        (target, resolve) => {
          target.headers.authorization = `Basic ${Buffer.from(pair(resolve)).toString('base64')}`;
        },
        (resolve) => [pair(resolve)],
      );
    }
    case 'oauth2_client_credentials': {
      const tokenUrl = compileTemplate(auth.token_url);
      const clientId = compileTemplate(auth.client_id);
      const clientSecret = compileTemplate(auth.client_secret);
      const audience = auth.audience === undefined ? undefined : compileTemplate(auth.audience);
      const credentials = (resolve: (t: Template) => string): ClientCredentials => ({
        tokenUrl: resolve(tokenUrl),
        clientId: resolve(clientId),
        clientSecret: resolve(clientSecret),
        scopes: auth.scopes,
        ...(audience === undefined ? {} : { audience: resolve(audience) }),
      });
      return {
        templates: [clientSecret],
        usesOAuth: true,
        derivedSecrets: () => [],
        async apply(target, resolve, signal) {
          const token = await tokens.get(credentials(resolve), signal);
          target.headers.authorization = `Bearer ${token}`;
          return token;
        },
        invalidate(resolve, token) {
          tokens.invalidate(credentials(resolve), token);
        },
      };
    }
  }
}
