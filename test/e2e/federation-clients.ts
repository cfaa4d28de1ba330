import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';

/**
 * One MCP client the federation tests drive the same way whatever it is: the official SDK v2 client in the 2025
 * session era or the 2026-07-28 per-request era, or the SDK v1 client (2025 era). Handlers for server→client
 * requests are given up front, because they decide the capabilities the client declares.
 */
export type ClientKind = 'v2-2025' | 'v2-2026' | 'v1';
export const CLIENT_KINDS: ClientKind[] = ['v2-2025', 'v2-2026', 'v1'];
export const MODERN = '2026-07-28';

export const NOTIFICATIONS = [
  'notifications/message',
  'notifications/resources/updated',
  'notifications/resources/list_changed',
  'notifications/prompts/list_changed',
  'notifications/tools/list_changed',
] as const;
export type NotificationMethod = (typeof NOTIFICATIONS)[number];

export interface Handlers {
  sampling?: (params: any) => unknown;
  elicitation?: (params: any) => unknown;
  roots?: () => unknown;
}

export interface Received {
  method: NotificationMethod;
  params: any;
}

export interface TestClient {
  kind: ClientKind;
  era: 'legacy' | 'modern';
  /** Every notification of NOTIFICATIONS received, in order. */
  received: Received[];
  instructions(): string | undefined;
  capabilities(): Record<string, any> | undefined;
  callTool(name: string, args?: Record<string, unknown>, options?: CallOptions): Promise<any>;
  listTools(): Promise<any[]>;
  listResources(): Promise<any[]>;
  /** One page of resources/list, as the server cut it. */
  listResourcesPage(cursor?: string): Promise<{ resources: any[]; nextCursor?: string }>;
  listResourceTemplates(): Promise<any[]>;
  readResource(uri: string): Promise<any>;
  listPrompts(): Promise<any[]>;
  getPrompt(name: string, args?: Record<string, string>): Promise<any>;
  complete(params: any): Promise<any>;
  setLoggingLevel(level: string): Promise<unknown>;
  /** Tells the server the client's roots changed (2025 era). */
  sendRootsListChanged(): Promise<void>;
  /** 2025: resources/subscribe. 2026: a subscriptions/listen stream for the URI. */
  subscribe(uri: string): Promise<void>;
  /** 2025: resources/unsubscribe. 2026: closes that listen stream. */
  unsubscribe(uri: string): Promise<void>;
  /** 2026: opens a listen stream for the list_changed notifications; 2025: nothing to do (they are unsolicited). */
  listenForListChanges(): Promise<void>;
  close(): Promise<void>;
}

export interface CallOptions {
  onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
  /** 2026-07-28: the per-request log level (`_meta`); ignored on 2025 connections (use setLoggingLevel). */
  logLevel?: string;
  timeout?: number;
  signal?: AbortSignal;
}

const LOG_LEVEL_META_KEY = 'io.modelcontextprotocol/logLevel';

export async function connectClient(
  kind: ClientKind,
  url: string,
  token: string | undefined,
  handlers: Handlers = {},
): Promise<TestClient> {
  const headers: Record<string, string> = token ? { Authorization: `Bearer ${token}` } : {};
  const capabilities: Record<string, object> = {};
  if (handlers.sampling) capabilities.sampling = {};
  if (handlers.elicitation) capabilities.elicitation = { form: {} };
  if (handlers.roots) capabilities.roots = { listChanged: true };
  const received: Received[] = [];
  return kind === 'v1'
    ? connectV1(url, headers, capabilities, handlers, received)
    : connectV2(kind, url, headers, capabilities, handlers, received);
}

async function connectV2(
  kind: ClientKind,
  url: string,
  headers: Record<string, string>,
  capabilities: Record<string, object>,
  handlers: Handlers,
  received: Received[],
): Promise<TestClient> {
  const modern = kind === 'v2-2026';
  const client = new ClientV2({ name: `federation-${kind}`, version: '1.0.0' }, {
    capabilities,
    ...(modern ? { versionNegotiation: { mode: { pin: MODERN } } } : {}),
  } as never);
  if (handlers.sampling)
    client.setRequestHandler('sampling/createMessage', (r: any) => handlers.sampling!(r.params) as never);
  if (handlers.elicitation)
    client.setRequestHandler('elicitation/create', (r: any) => handlers.elicitation!(r.params) as never);
  if (handlers.roots) client.setRequestHandler('roots/list', () => handlers.roots!() as never);
  for (const method of NOTIFICATIONS) {
    client.setNotificationHandler(method, (n: any) => void received.push({ method, params: n.params }));
  }
  await client.connect(new TransportV2(new URL(url), { requestInit: { headers } }));
  const listens = new Map<string, { close(): Promise<void> }>();
  const fresh = { cacheMode: 'refresh' } as never;
  return {
    kind,
    era: modern ? 'modern' : 'legacy',
    received,
    instructions: () => client.getInstructions(),
    capabilities: () => client.getServerCapabilities() as Record<string, any> | undefined,
    callTool: (name, args = {}, options = {}) =>
      client.callTool(
        {
          name,
          arguments: args,
          ...(modern && options.logLevel ? { _meta: { [LOG_LEVEL_META_KEY]: options.logLevel } } : {}),
        },
        { onprogress: options.onprogress, timeout: options.timeout, signal: options.signal } as never,
      ),
    listTools: async () => (await client.listTools(undefined, fresh)).tools,
    listResources: async () => (await client.listResources(undefined, fresh)).resources,
    // The plain request: listResources() without a cursor would walk every page itself.
    listResourcesPage: (cursor) =>
      client.request({ method: 'resources/list', params: cursor === undefined ? {} : { cursor } }) as never,
    listResourceTemplates: async () => (await client.listResourceTemplates(undefined, fresh)).resourceTemplates,
    readResource: (uri) => client.readResource({ uri }, fresh),
    listPrompts: async () => (await client.listPrompts(undefined, fresh)).prompts,
    getPrompt: (name, args) => client.getPrompt({ name, ...(args ? { arguments: args } : {}) }),
    complete: (params) => client.complete(params),
    setLoggingLevel: (level) => client.setLoggingLevel(level as never),
    sendRootsListChanged: () => client.sendRootsListChanged(),
    subscribe: async (uri) => {
      if (!modern) return void (await client.subscribeResource({ uri }));
      listens.set(uri, await client.listen({ resourceSubscriptions: [uri] }));
    },
    unsubscribe: async (uri) => {
      if (!modern) return void (await client.unsubscribeResource({ uri }));
      await listens.get(uri)?.close();
      listens.delete(uri);
    },
    listenForListChanges: async () => {
      if (!modern) return;
      const filter = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true };
      listens.set('*lists', await client.listen(filter));
    },
    close: async () => {
      for (const sub of listens.values()) await sub.close().catch(() => undefined);
      await client.close();
    },
  };
}

async function connectV1(
  url: string,
  headers: Record<string, string>,
  capabilities: Record<string, object>,
  handlers: Handlers,
  received: Received[],
): Promise<TestClient> {
  const client = new ClientV1({ name: 'federation-v1', version: '1.0.0' }, { capabilities });
  if (handlers.sampling)
    client.setRequestHandler(CreateMessageRequestSchema, (r) => handlers.sampling!(r.params) as never);
  if (handlers.elicitation)
    client.setRequestHandler(ElicitRequestSchema, (r) => handlers.elicitation!(r.params) as never);
  if (handlers.roots) client.setRequestHandler(ListRootsRequestSchema, () => handlers.roots!() as never);
  const schemas = {
    'notifications/message': LoggingMessageNotificationSchema,
    'notifications/resources/updated': ResourceUpdatedNotificationSchema,
    'notifications/resources/list_changed': ResourceListChangedNotificationSchema,
    'notifications/prompts/list_changed': PromptListChangedNotificationSchema,
    'notifications/tools/list_changed': ToolListChangedNotificationSchema,
  } as const;
  for (const method of NOTIFICATIONS) {
    client.setNotificationHandler(
      schemas[method] as never,
      (n: any) => void received.push({ method, params: n.params }),
    );
  }
  await client.connect(new TransportV1(new URL(url), { requestInit: { headers } }));
  return {
    kind: 'v1',
    era: 'legacy',
    received,
    instructions: () => client.getInstructions(),
    capabilities: () => client.getServerCapabilities() as Record<string, any> | undefined,
    callTool: (name, args = {}, options = {}) =>
      client.callTool({ name, arguments: args }, undefined, {
        onprogress: options.onprogress,
        timeout: options.timeout,
        signal: options.signal,
      }),
    // The v1 client returns one page per call (the v2 client walks them itself): follow nextCursor, as a client must.
    listTools: () => allPages((cursor) => client.listTools(cursor), 'tools'),
    listResources: () => allPages((cursor) => client.listResources(cursor), 'resources'),
    listResourcesPage: (cursor) => client.listResources(cursor === undefined ? {} : { cursor }),
    listResourceTemplates: () => allPages((cursor) => client.listResourceTemplates(cursor), 'resourceTemplates'),
    readResource: (uri) => client.readResource({ uri }),
    listPrompts: () => allPages((cursor) => client.listPrompts(cursor), 'prompts'),
    getPrompt: (name, args) => client.getPrompt({ name, ...(args ? { arguments: args } : {}) }),
    complete: (params) => client.complete(params),
    setLoggingLevel: (level) => client.setLoggingLevel(level as never),
    sendRootsListChanged: () => client.sendRootsListChanged(),
    subscribe: async (uri) => void (await client.subscribeResource({ uri })),
    unsubscribe: async (uri) => void (await client.unsubscribeResource({ uri })),
    listenForListChanges: async () => undefined,
    close: () => client.close(),
  };
}

/** Every item of a paginated list, page after page until the server gives no nextCursor. */
async function allPages<K extends string>(
  page: (params: { cursor: string } | undefined) => Promise<{ [key in K]: any[] } & { nextCursor?: string }>,
  key: K,
): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | undefined;
  for (let pages = 0; ; pages++) {
    if (pages >= 50) throw new Error(`${key}: more than 50 pages, a cursor loop`);
    const result = await page(cursor === undefined ? undefined : { cursor });
    items.push(...result[key]);
    cursor = result.nextCursor;
    if (cursor === undefined) return items;
  }
}

/** Where a test reaches the fixture: directly (the control) or through one of Toolport's two endpoints. */
export type Endpoint = 'direct' | 'connector' | 'aggregate';

/** The name a tool or prompt of the fixture has at an endpoint (`{connector}__{name}` on the aggregate). */
export function nameAt(endpoint: Endpoint, name: string, connector = 'everything'): string {
  return endpoint === 'aggregate' ? `${connector}__${name}` : name;
}

/** Waits until `predicate` holds, polling every 20 ms; fails naming `what` after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The text of a tool result's content. */
export function textOf(result: { content?: { type: string; text?: string }[] }): string {
  return (result.content ?? []).map((c) => c.text ?? '').join('');
}
