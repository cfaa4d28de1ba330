import { Ajv2020 } from 'ajv/dist/2020.js';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  type Authenticate,
  type CheckResult,
  type InvokeContext,
  type Principal,
  type ToolCallResult,
  type ToolDefinition,
  type ToolSource,
  createError,
} from '../../src/core/index.js';
import { type Gateway, type GatewayOptions, createGateway } from '../../src/gateway/index.js';
import type {
  ConnectorView,
  ProjectSnapshot,
  RegisteredTool,
  RegistryEvent,
  RegistryEventType,
  ToolProvider,
} from '../../src/registry/types.js';

/** A real ToolSource with a handful of behaviours the gateway must carry through. */
export class EchoSource implements ToolSource {
  readonly kind = 'echo';
  calls: { tool: string; args: Record<string, unknown> }[] = [];
  aborted = 0;
  #openGate!: () => void;
  readonly #gate = new Promise<void>((resolve) => (this.#openGate = resolve));
  constructor(private readonly tools: ToolDefinition[] = ECHO_TOOLS) {}

  /** Lets every call of the `gate` tool (waiting or still to come) finish: a call held in flight for as long as a test needs. */
  openGate(): void {
    this.#openGate();
  }

  async load(): Promise<ToolDefinition[]> {
    return this.tools;
  }

  async invoke(tool: string, args: Record<string, unknown>, ctx?: InvokeContext): Promise<ToolCallResult> {
    this.calls.push({ tool, args });
    switch (tool) {
      case 'echo':
        return { content: [{ type: 'text', text: String(args.text) }] };
      case 'add': {
        const sum = Number(args.a) + Number(args.b);
        return { content: [], structuredContent: { sum } };
      }
      case 'count': {
        const steps = Number(args.steps ?? 3);
        for (let i = 1; i <= steps; i++) {
          ctx?.onProgress?.({ progress: i, total: steps, message: `step ${i}` });
          await new Promise((r) => setTimeout(r, 5));
        }
        return { content: [{ type: 'text', text: `counted ${steps}` }] };
      }
      case 'gate':
        await this.#gate;
        return { content: [{ type: 'text', text: 'gate opened' }] };
      case 'wait':
        // Resolves only when the caller cancels: proves the abort signal reaches the source.
        return new Promise((resolve) => {
          ctx?.signal?.addEventListener('abort', () => {
            this.aborted++;
            resolve({ content: [{ type: 'text', text: 'aborted' }] });
          });
        });
      case 'fail':
        throw createError('tool_failed', 'upstream said no');
      case 'crash':
        throw new Error('secret internal detail');
      default:
        return { content: [{ type: 'text', text: `no such tool ${tool}` }], isError: true };
    }
  }

  async check(): Promise<CheckResult> {
    return { ok: true, latencyMs: 0 };
  }

  async close(): Promise<void> {}
}

export const ECHO_TOOLS: ToolDefinition[] = [
  {
    name: 'echo',
    description: 'Echoes text',
    inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'add',
    description: 'Adds numbers',
    inputSchema: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
      additionalProperties: false,
    },
    outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
  },
  {
    name: 'count',
    description: 'Reports progress',
    inputSchema: { type: 'object', properties: { steps: { type: 'integer' } } },
  },
  { name: 'wait', description: 'Waits until cancelled', inputSchema: { type: 'object' } },
  { name: 'fail', description: 'Fails', inputSchema: { type: 'object' } },
  { name: 'crash', description: 'Throws', inputSchema: { type: 'object' } },
];

interface Connector {
  source: ToolSource;
  enabled: boolean;
  tools: RegisteredTool[];
}

/**
 * A small in-memory ToolProvider over real ToolSources: loads tools, compiles validators with Ajv once per
 * connector change, publishes immutable snapshots and registry events like the registry does.
 */
export class TestProvider implements ToolProvider {
  #projects = new Map<
    string,
    { tenantId: string; projectId: string; connectors: Map<string, Connector>; snapshot: ProjectSnapshot }
  >();
  #listeners = new Set<(event: RegistryEvent) => void>();
  #ajv = new Ajv2020({ allErrors: true, strict: false });
  #eventId = 0;

  createProject(tenantId: string, projectId: string): void {
    const project = {
      tenantId,
      projectId,
      connectors: new Map<string, Connector>(),
      snapshot: undefined as unknown as ProjectSnapshot,
    };
    this.#projects.set(`${tenantId}/${projectId}`, project);
    this.#rebuild(project, 0);
  }

  async install(tenantId: string, projectId: string, name: string, source: ToolSource, enabled = true): Promise<void> {
    const project = this.#project(tenantId, projectId);
    const definitions = await source.load();
    const tools = definitions.map((definition): RegisteredTool => {
      const check = this.#ajv.compile(definition.inputSchema);
      return {
        connector: name,
        name: definition.name,
        qualifiedName: `${name}__${definition.name}`,
        definition,
        validate: (args) =>
          check(args)
            ? null
            : (check.errors ?? []).map((e) => ({ pointer: e.instancePath || '/', message: e.message ?? 'invalid' })),
      };
    });
    const existed = project.connectors.has(name);
    project.connectors.set(name, { source, enabled, tools });
    this.#rebuild(project, project.snapshot.revision + 1);
    this.#emit(existed ? 'connector.updated' : 'connector.installed', tenantId, projectId, name);
  }

  async uninstall(tenantId: string, projectId: string, name: string): Promise<void> {
    const project = this.#project(tenantId, projectId);
    project.connectors.delete(name);
    this.#rebuild(project, project.snapshot.revision + 1);
    this.#emit('connector.uninstalled', tenantId, projectId, name);
  }

  /** Emits an event without changing anything (e.g. health results). */
  emit(type: RegistryEventType, tenantId: string, projectId: string, connector?: string): void {
    this.#emit(type, tenantId, projectId, connector);
  }

  getSnapshot(tenantId: string, projectId: string): ProjectSnapshot | undefined {
    return this.#projects.get(`${tenantId}/${projectId}`)?.snapshot;
  }

  readonly callTool: ToolProvider['callTool'] = async (tenantId, projectId, connector, tool, args, ctx) => {
    const found = this.#projects.get(`${tenantId}/${projectId}`)?.connectors.get(connector);
    if (!found?.enabled) throw createError('tool_not_found', 'no such tool');
    return found.source.invoke(tool, args, ctx);
  };

  subscribe(listener: (event: RegistryEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  #project(tenantId: string, projectId: string) {
    const project = this.#projects.get(`${tenantId}/${projectId}`);
    if (!project) throw createError('not_found', 'project not found');
    return project;
  }

  #rebuild(
    project: { tenantId: string; projectId: string; connectors: Map<string, Connector>; snapshot: ProjectSnapshot },
    revision: number,
  ): void {
    const tools = [...project.connectors.values()].filter((c) => c.enabled).flatMap((c) => c.tools);
    const connectors = new Map<string, ConnectorView>(
      [...project.connectors].map(([name, c]) => [
        name,
        {
          name,
          kind: 'http',
          enabled: c.enabled,
          status: c.enabled ? 'active' : 'inactive',
          status_reason: null,
          version: '1',
          seq: 1,
          tools: c.tools,
        },
      ]),
    );
    project.snapshot = Object.freeze({
      tenantId: project.tenantId,
      projectId: project.projectId,
      revision,
      tools,
      byQualifiedName: new Map(tools.map((t) => [t.qualifiedName, t])),
      connectors,
    });
  }

  #emit(type: RegistryEventType, tenantId: string, projectId: string, connector?: string): void {
    const event: RegistryEvent = {
      id: ++this.#eventId,
      type,
      tenant_id: tenantId,
      project_id: projectId,
      ...(connector !== undefined ? { connector } : {}),
      at: new Date().toISOString(),
      data: {},
    };
    for (const listener of this.#listeners) listener(event);
  }
}

/** Tokens of the test authenticator. */
export const TOKENS = {
  tenantA: 'key-tenant-a',
  tenantB: 'key-tenant-b',
  adminOnly: 'key-admin-only',
  operator: 'operator-token',
} as const;

/** Resolves the fixed test tokens; the operator acts in `default` unless `X-Tenant-Id` names another tenant. */
export const testAuthenticate: Authenticate = async (token, tenantHeader) => {
  const principals: Record<string, Principal> = {
    [TOKENS.tenantA]: { tenantId: 'a', scopes: ['invoke'], isOperator: false, keyId: 'ka' },
    [TOKENS.tenantB]: { tenantId: 'b', scopes: ['invoke', 'admin'], isOperator: false, keyId: 'kb' },
    [TOKENS.adminOnly]: { tenantId: 'a', scopes: ['admin'], isOperator: false, keyId: 'kc' },
    [TOKENS.operator]: { tenantId: tenantHeader ?? 'default', scopes: ['admin', 'invoke'], isOperator: true },
  };
  return principals[token] ?? null;
};

/** A gateway mounted on a real Fastify server listening on 127.0.0.1:0. */
export interface RunningGateway {
  app: FastifyInstance;
  gateway: Gateway;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startGateway(
  provider: ToolProvider,
  options: Partial<GatewayOptions> = {},
): Promise<RunningGateway> {
  // The SDK client's fetch pool can leave a connection that never sent a byte (an aborted request); only a forced
  // close reaps it before the server's headers timeout.
  const app = Fastify({ logger: false, forceCloseConnections: true });
  const gateway = createGateway({
    provider,
    authenticate: testAuthenticate,
    serverInfo: { name: 'toolport-test', version: '0.0.1' },
    ...options,
  });
  await gateway.register(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    gateway,
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      await app.close();
      await gateway.close();
    },
  };
}

/** A provider with tenant `a` (project `p1` with connectors `echo` and `other`, project `p2`) and tenant `b`. */
export async function createFixtureProvider(): Promise<TestProvider> {
  const provider = new TestProvider();
  provider.createProject('a', 'p1');
  provider.createProject('a', 'p2');
  provider.createProject('b', 'p1');
  provider.createProject('default', 'demo');
  await provider.install('a', 'p1', 'echo', new EchoSource());
  await provider.install('a', 'p1', 'other', new EchoSource([ECHO_TOOLS[0]!]));
  await provider.install('a', 'p2', 'echo', new EchoSource());
  await provider.install('b', 'p1', 'secret', new EchoSource());
  await provider.install('default', 'demo', 'echo', new EchoSource([ECHO_TOOLS[0]!]));
  return provider;
}
