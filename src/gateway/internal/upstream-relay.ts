import type { LoggingMessageNotification, Server } from '@modelcontextprotocol/server';
import type { Logger } from '../../core/index.js';
import type { ToolProvider, UpstreamEvent } from '../../registry/types.js';
import type { Endpoint } from './endpoint.js';
import { aggregateUri, splitUri } from './federation-aggregate.js';
import type { SessionMesh } from './session-mesh.js';
import { type SessionTable, projectKey } from './sessions.js';
import type { StreamableEndpoints } from './streamable.js';
import type { SubscriptionBook } from './subscription-book.js';

/**
 * Relays what upstream MCP connectors announce to the sessions that federate them: resources and prompts
 * `list_changed` to every session of the connector's endpoint and of the project endpoint (and to the matching
 * 2026-07-28 `subscriptions/listen` streams), `resources/updated` only to the sessions subscribed to that resource,
 * and log messages to every session at or above the level it set (`logging/setLevel`, per session).
 */
export function createUpstreamRelay(options: {
  provider: ToolProvider;
  sessions: SessionTable;
  streamable: StreamableEndpoints;
  subscriptions: SubscriptionBook;
  logger: Logger;
  /** Where a session's GET stream may be on another node (resources/updated goes there). */
  mesh?: SessionMesh;
}): { close(): void } {
  const { sessions, streamable, subscriptions, logger, mesh } = options;
  if (mesh) {
    mesh.deliverUpdate = (session, connector, params) => {
      const { tenantId, projectId, connector: served } = session.endpoint;
      if (served !== undefined && served !== connector) return;
      const at = { aggregate: served === undefined, tenantId, projectId, connector, subscriptions };
      deliverUpstream(session.server, 'notifications/resources/updated', params, at)?.catch(failed(session.id));
    };
  }
  const failed = (session: string) => (err: unknown) =>
    logger.debug(
      { session, err: err instanceof Error ? err.message : String(err) },
      'upstream notification not relayed',
    );

  const onEvent = (event: UpstreamEvent): void => {
    const { tenantId, projectId, connector, notification } = event;
    const { method, params } = notification;
    const key = projectKey(tenantId, projectId);
    const serves = (endpoint: Endpoint): boolean =>
      endpoint.connector === undefined || endpoint.connector === connector;
    for (const session of sessions.forProject(key)) {
      if (!serves(session.endpoint)) continue;
      const aggregate = session.endpoint.connector === undefined;
      // A subscribed session whose GET stream is on another node: that node sends the update.
      if (
        mesh &&
        method === 'notifications/resources/updated' &&
        typeof params?.uri === 'string' &&
        subscriptions.has(session.server, tenantId, projectId, connector, params.uri) &&
        mesh.forwardUpdate(session, connector, params)
      ) {
        continue;
      }
      const sent = deliverUpstream(session.server, method, params, {
        aggregate,
        tenantId,
        projectId,
        connector,
        subscriptions,
      });
      sent?.catch(failed(session.id));
    }
    if (method === 'notifications/resources/list_changed') streamable.notifyModernFederation(key, serves, 'resources');
    if (method === 'notifications/prompts/list_changed') streamable.notifyModernFederation(key, serves, 'prompts');
    if (method === 'notifications/resources/updated' && typeof params?.uri === 'string') {
      const uri = params.uri;
      streamable.notifyModernResource(key, serves, (endpoint) =>
        endpoint.connector === undefined ? aggregateUri(connector, uri) : uri,
      );
    }
  };

  const unsubscribe = options.provider.subscribeUpstream?.(onEvent) ?? (() => undefined);
  return { close: unsubscribe };
}

/**
 * Subscribes the upstreams to the resources a 2026-07-28 listen stream names (its URIs as the endpoint shows them);
 * returns the function that releases them when the stream closes. URIs of no serving connector are ignored.
 */
export function watchListenedResources(
  provider: ToolProvider,
  subscriptions: SubscriptionBook,
  logger: Logger,
): (endpoint: Endpoint, uris: string[]) => () => void {
  return (endpoint, uris) => {
    const holder = {};
    const aborter = new AbortController();
    for (const shown of uris) {
      let target: { connector: string; uri: string };
      try {
        target = endpoint.connector === undefined ? splitUri(shown) : { connector: endpoint.connector, uri: shown };
      } catch {
        continue;
      }
      const peer = provider.peer?.(endpoint.tenantId, endpoint.projectId, target.connector);
      if (!peer?.describe()?.capabilities.resources) continue;
      const scope = { ...endpoint, connector: target.connector };
      subscriptions.subscribe(holder, scope, peer, target.uri, aborter.signal).catch((err: unknown) => {
        logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'upstream subscribe for listen failed');
      });
    }
    return () => {
      aborter.abort();
      subscriptions.release(holder);
    };
  };
}

/** Sends one upstream notification to one session's server, if it is for that session; undefined otherwise. */
export function deliverUpstream(
  server: Server,
  method: string,
  params: Record<string, unknown> | undefined,
  at: {
    aggregate: boolean;
    tenantId: string;
    projectId: string;
    connector: string;
    subscriptions: SubscriptionBook;
  },
): Promise<void> | undefined {
  const caps = server.getCapabilities();
  switch (method) {
    case 'notifications/resources/list_changed':
      return caps.resources ? server.sendResourceListChanged() : undefined;
    case 'notifications/prompts/list_changed':
      return caps.prompts ? server.sendPromptListChanged() : undefined;
    case 'notifications/resources/updated': {
      const uri = params?.uri;
      if (typeof uri !== 'string' || !at.subscriptions.has(server, at.tenantId, at.projectId, at.connector, uri)) {
        return undefined;
      }
      return server.sendResourceUpdated({ ...params, uri: at.aggregate ? aggregateUri(at.connector, uri) : uri });
    }
    case 'notifications/message': {
      if (!caps.logging || !params) return undefined;
      const message = params as LoggingMessageNotification['params'];
      // On the project endpoint the logger names the connector the message came from.
      const relayed = at.aggregate
        ? { ...message, logger: message.logger ? `${at.connector}/${message.logger}` : at.connector }
        : message;
      return server.sendLoggingMessage(relayed, server.transport?.sessionId);
    }
    default:
      return undefined;
  }
}
