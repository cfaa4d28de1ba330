import { AEAD_IV_BYTES, AEAD_TAG_BYTES, isRecord, seal, unseal } from '../../core/index.js';
import type { Endpoint } from './endpoint.js';

/**
 * What a 2025-era session negotiated, carried inside its `Mcp-Session-Id` so that any node of a cluster can serve
 * the session: the endpoint and owner it is bound to, and the client's `initialize` parameters, which a node
 * replays to rebuild the session it has never seen.
 */
export interface SessionState {
  readonly endpoint: Endpoint;
  /** The API key that opened it (`operator` for the admin token): another key gets "Session not found". */
  readonly keyId: string;
  /** The protocol version the client asked for in `initialize` (replaying it negotiates the same one). */
  readonly protocolVersion: string;
  readonly capabilities: Record<string, unknown>;
  readonly clientInfo: Record<string, unknown>;
  /** When it was opened (ms since the epoch). */
  readonly issuedAt: number;
}

/** Prefix of portable session ids (and version of their format). */
const PREFIX = 'tp1.';
/**
 * Longest id minted: it travels in a header on every request. A client whose `initialize` parameters do not fit
 * gets a plain random id instead (its session lives on one node only, as before).
 */
export const MAX_TOKEN_CHARS = 2048;

/**
 * Seals and opens portable session ids: AES-256-GCM under a key every node of the cluster shares (derived from
 * the secret key), so an id is both opaque (tenant and key ids are not readable by a proxy that logs headers)
 * and authenticated (a client cannot forge or alter one). An id is a capability bound to its owner's key, never
 * a credential: every request still carries and checks the bearer token.
 */
export class SessionTokens {
  readonly #key: Buffer;
  readonly #maxAgeMs: number;

  constructor(key: Uint8Array, options: { maxAgeMs?: number } = {}) {
    if (key.length !== 32) throw new Error('session token key must be 32 bytes');
    this.#key = Buffer.from(key);
    this.#maxAgeMs = options.maxAgeMs ?? 24 * 60 * 60_000;
  }

  /** When a session issued at `issuedAt` stops being accepted (ms). */
  expiresAt(issuedAt: number): number {
    return issuedAt + this.#maxAgeMs;
  }

  /** The id of a new session carrying `state`, or undefined when it would be too long for a header. */
  mint(state: SessionState): string | undefined {
    const { endpoint } = state;
    const payload = JSON.stringify({
      t: endpoint.tenantId,
      p: endpoint.projectId,
      ...(endpoint.connector !== undefined ? { c: endpoint.connector } : {}),
      k: state.keyId,
      v: state.protocolVersion,
      cap: state.capabilities,
      ci: state.clientInfo,
      at: state.issuedAt,
    });
    const { iv, tag, ct } = seal(this.#key, payload, Buffer.from(PREFIX));
    const token = PREFIX + Buffer.concat([iv, tag, ct]).toString('base64url');
    return token.length <= MAX_TOKEN_CHARS ? token : undefined;
  }

  /**
   * The state sealed in `token`; undefined when it is not a portable id, was sealed under another key, was
   * altered, or is older than the maximum age.
   */
  open(token: string, now = Date.now()): SessionState | undefined {
    if (!token.startsWith(PREFIX) || token.length > MAX_TOKEN_CHARS) return undefined;
    const raw = Buffer.from(token.slice(PREFIX.length), 'base64url');
    if (raw.length <= AEAD_IV_BYTES + AEAD_TAG_BYTES) return undefined;
    let payload: unknown;
    try {
      const parts = {
        iv: raw.subarray(0, AEAD_IV_BYTES),
        tag: raw.subarray(AEAD_IV_BYTES, AEAD_IV_BYTES + AEAD_TAG_BYTES),
        ct: raw.subarray(AEAD_IV_BYTES + AEAD_TAG_BYTES),
      };
      payload = JSON.parse(unseal(this.#key, parts, Buffer.from(PREFIX)));
    } catch {
      return undefined;
    }
    const p = payload as Record<string, unknown>;
    if (
      typeof p.t !== 'string' ||
      typeof p.p !== 'string' ||
      (p.c !== undefined && typeof p.c !== 'string') ||
      typeof p.k !== 'string' ||
      typeof p.v !== 'string' ||
      !isRecord(p.cap) ||
      !isRecord(p.ci) ||
      typeof p.at !== 'number'
    ) {
      return undefined;
    }
    if (now - p.at > this.#maxAgeMs) return undefined;
    return {
      endpoint: { tenantId: p.t, projectId: p.p, ...(p.c !== undefined ? { connector: p.c as string } : {}) },
      keyId: p.k,
      protocolVersion: p.v,
      capabilities: p.cap,
      clientInfo: p.ci,
      issuedAt: p.at,
    };
  }
}

/** The `initialize` parameters of a parsed initialize request body (what a portable id carries). */
export function initializeParams(
  body: unknown,
): { protocolVersion: string; capabilities: Record<string, unknown>; clientInfo: Record<string, unknown> } | undefined {
  const params = (body as { params?: unknown } | undefined)?.params as Record<string, unknown> | undefined;
  if (!params || typeof params.protocolVersion !== 'string') return undefined;
  if (!isRecord(params.capabilities) || !isRecord(params.clientInfo)) return undefined;
  return { protocolVersion: params.protocolVersion, capabilities: params.capabilities, clientInfo: params.clientInfo };
}
