import type { ServerResponse } from 'node:http';
import { writeDuplicateId } from './request-ids.js';
import { RPC, writeRpcError, writeSessionCapError } from './responses.js';
import { type Session, type SessionOwner, type SessionTable, sameEndpoint } from './sessions.js';
import { LegacySseTransport } from './sse-transport.js';
import { type Endpoint, type ToolServerOptions, createToolServer } from './tool-server.js';

/** The message endpoint path of an SSE endpoint (`/sse/p[/c]/messages`). */
export function ssePostPath(endpoint: Endpoint): string {
  const base = `/sse/${encodeURIComponent(endpoint.projectId)}`;
  return `${endpoint.connector === undefined ? base : `${base}/${encodeURIComponent(endpoint.connector)}`}/messages`;
}

/** Opens a legacy HTTP+SSE session on a hijacked GET response; the stream lives as long as the session. */
export async function openSseSession(
  res: ServerResponse,
  endpoint: Endpoint,
  serverOptions: Omit<ToolServerOptions, 'endpoint'>,
  sessions: SessionTable,
  owner: SessionOwner,
): Promise<void> {
  const slot = sessions.reserve(owner);
  if ('refused' in slot) {
    writeSessionCapError(res, slot, sessions.retryAfterSeconds);
    return;
  }
  const server = createToolServer({ ...serverOptions, endpoint });
  const transport = new LegacySseTransport(res, ssePostPath(endpoint));
  const session: Session = {
    id: transport.sessionId,
    kind: 'sse',
    endpoint,
    slot,
    server,
    transport,
    lastSeen: Date.now(),
    active: 0,
  };
  sessions.add(session);
  // The open stream keeps the session busy; when it closes, the session ends with it.
  const end = sessions.begin(session);
  server.onclose = () => {
    end();
    sessions.remove(session.id);
  };
  try {
    await server.connect(transport);
  } catch (err) {
    // A stream that never started must not hold its slot (nor stay "busy" forever).
    end();
    sessions.remove(session.id);
    throw err;
  }
}

/**
 * Handles `POST …/messages?sessionId=…`: 202 when delivered, 404 for an unknown session, 409 for a request id the
 * session is still answering, 400 for a bad body.
 */
export function postSseMessage(
  res: ServerResponse,
  sessionId: string | undefined,
  body: unknown,
  endpoint: Endpoint,
  sessions: SessionTable,
): void {
  const session = sessionId === undefined ? undefined : sessions.get(sessionId);
  if (!session || session.kind !== 'sse' || !sameEndpoint(session.endpoint, endpoint)) {
    writeRpcError(res, 404, RPC.sessionNotFound, 'Session not found');
    return;
  }
  session.lastSeen = Date.now();
  const duplicate = session.transport.conflictingId(body);
  if (duplicate !== undefined) {
    writeDuplicateId(res, duplicate);
    return;
  }
  if (!session.transport.deliver(body)) {
    writeRpcError(res, 400, RPC.invalidRequest, 'Invalid JSON-RPC message');
    return;
  }
  res.writeHead(202, { 'Content-Type': 'text/plain' });
  res.end('Accepted');
}
