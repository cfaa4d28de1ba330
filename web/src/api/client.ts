import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

/** Who is calling: the token (admin token or API key) and, for the operator, the tenant to act in. */
export interface Session {
  token: string;
  tenant?: string;
}

/** The typed REST client (generated types: the console cannot drift from /openapi.json). */
export type ApiClient = Client<paths>;

/** One issue of a validation error: where (JSON pointer, line, column) and what. */
export interface Issue {
  pointer?: string;
  message: string;
  line?: number;
  column?: number;
}

/** An error answer of the API, `{error: {code, message, details}}`, with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }

  /** Validation issues with positions, when the server sent them. */
  get issues(): Issue[] {
    const issues = this.details.issues;
    return Array.isArray(issues) ? (issues as Issue[]) : [];
  }
}

export function authHeaders(session: Session): Record<string, string> {
  return { authorization: `Bearer ${session.token}`, ...(session.tenant ? { 'x-tenant-id': session.tenant } : {}) };
}

export function createApiClient(session: Session): ApiClient {
  const client = createClient<paths>({ baseUrl: location.origin });
  client.use({
    onRequest({ request }) {
      for (const [name, value] of Object.entries(authHeaders(session))) request.headers.set(name, value);
      return request;
    },
  });
  return client;
}

function toApiError(status: number, body: unknown): ApiError {
  const err = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)
    ?.error;
  return new ApiError(status, err?.code ?? 'http_error', err?.message ?? `HTTP ${status}`, err?.details ?? {});
}

/** Unwraps an openapi-fetch answer: the data, or a thrown ApiError. */
export async function must<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw toApiError(response.status, error);
  return data as T;
}

/** For the one route the generated types cannot describe (multipart upload). */
export async function postForm(session: Session, path: string, form: FormData): Promise<unknown> {
  const response = await fetch(path, { method: 'POST', headers: authHeaders(session), body: form });
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw toApiError(response.status, body);
  return body;
}

/** A readable message for anything thrown. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
