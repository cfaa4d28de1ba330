import { createHash } from 'node:crypto';
import { isRecord } from '../../core/index.js';
import type { Session, SessionOwner } from './sessions.js';

/** Ids of requests a session copy sends its client: `tp.{node}.{the SDK's id}`. */
export const ID_PREFIX = 'tp.';
export const ROUTED_ID = /^tp\.([0-9a-f]{12})\.(\d{1,15})$/;

type Json = Record<string, unknown>;

/** The store key of a session: a digest of its id (the sealed id itself is not stored). */
export function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** A request (or a cancellation of one) the server sends, with its id made `prefix + id`. */
export function routed(message: unknown, prefix: string): unknown {
  if (!isRecord(message) || typeof message.method !== 'string') return message;
  if (typeof message.id === 'number') return { ...message, id: `${prefix}${message.id}` };
  if (message.method === 'notifications/cancelled' && isRecord(message.params)) {
    const requestId = message.params.requestId;
    if (typeof requestId === 'number')
      return { ...message, params: { ...message.params, requestId: `${prefix}${requestId}` } };
  }
  return message;
}

/** A client's answer (result or error) to a request whose id a node routed. */
export function isRoutedAnswer(item: Json): boolean {
  return typeof item.id === 'string' && item.id.startsWith(ID_PREFIX) && ('result' in item || 'error' in item);
}

export function ownerOf(session: Session): SessionOwner {
  return { tenantId: session.slot.owner.tenantId, keyId: session.slot.owner.keyId };
}

export function sameOwner(owner: unknown, session: Session): boolean {
  return isRecord(owner) && owner.tenantId === session.slot.owner.tenantId && owner.keyId === session.slot.owner.keyId;
}
