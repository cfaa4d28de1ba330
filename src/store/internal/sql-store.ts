import { createError } from '../../core/index.js';
import type { SecretBox } from '../secret-box.js';
import type { ApiKeyRecord, ProjectRecord, ScriptRecord, Store, TenantRecord } from '../store.js';
import { methodsOf, withMembers } from './composed.js';
import { ConnectorQueries } from './connector-queries.js';
import type { SqlDriver, SqlParam } from './driver.js';
import { translatingOp, type Op, type ViolationText } from './errors.js';
import { selectAll } from './query-group.js';
import { toApiKey, toJson, toProject, toScript, toTenant, type Row } from './rows.js';
import { SessionQueries } from './session-queries.js';
import { likePattern } from './validate.js';
import { WebhookQueries } from './webhook-queries.js';

const TENANT_MISSING: ViolationText = { foreignKey: 'Tenant does not exist' };

/** The Store methods each query group answers, exposed on SqlStore as they are. */
const CONNECTOR_METHODS = [
  'saveConnectorVersion',
  'updateConnector',
  'updateConnectorStatus',
  'updateConnectorMetadata',
  'getConnector',
  'listConnectors',
  'deleteConnector',
  'listConnectorVersions',
  'getConnectorVersion',
  'addToolUsage',
  'listToolUsage',
  'addHealthCheck',
  'listHealthChecks',
] as const;
const WEBHOOK_METHODS = [
  'createWebhook',
  'listWebhooks',
  'deleteWebhook',
  'addWebhookDelivery',
  'listWebhookDeliveries',
] as const;
const SESSION_METHODS = [
  'getSessionShare',
  'getSessionNodes',
  'addSessionNode',
  'removeSessionNode',
  'setSessionLogLevel',
  'setSessionSubscription',
  'endSessionShare',
  'purgeSessionShares',
] as const;

type QueryGroupMethods = Pick<ConnectorQueries, (typeof CONNECTOR_METHODS)[number]> &
  Pick<WebhookQueries, (typeof WEBHOOK_METHODS)[number]> &
  Pick<SessionQueries, (typeof SESSION_METHODS)[number]>;

/**
 * The Store over any SqlDriver: SQL, encryption and error translation live here once; drivers supply
 * execution, transactions, migrations and cluster coordination. Connectors (with versions, usage and health),
 * webhooks and shared sessions are answered by their query groups (connector-, webhook-, session-queries.ts),
 * whose methods the instance carries as its own.
 */
export class SqlStore extends withMembers<QueryGroupMethods>() implements Store {
  readonly driver: 'sqlite' | 'postgres';
  readonly #db: SqlDriver;
  /** Runs one operation, translating driver failures into ToolportErrors (shared with the query groups). */
  readonly #op: Op;

  constructor(db: SqlDriver, box: SecretBox) {
    const op = translatingOp(db.dialect);
    super({
      ...methodsOf(new ConnectorQueries(db, box, op), CONNECTOR_METHODS),
      ...methodsOf(new WebhookQueries(db, box, op), WEBHOOK_METHODS),
      ...methodsOf(new SessionQueries(db, box, op), SESSION_METHODS),
    });
    this.driver = db.name;
    this.#db = db;
    this.#op = op;
  }

  /** Runs one write as the named operation, for its effect; `text` words the constraint violations it may hit. */
  #execute(operation: string, sql: string, params: SqlParam[], text?: ViolationText): Promise<void> {
    return this.#op(operation, async () => void (await this.#db.run(sql, params)), text);
  }

  /** Runs one UPDATE or DELETE as the named operation; true when it changed a row. */
  #changesAny(operation: string, sql: string, params: SqlParam[]): Promise<boolean> {
    return this.#op(operation, async () => (await this.#db.run(sql, params)) > 0);
  }

  migrate(): Promise<void> {
    return this.#op('migrate', () => this.#db.migrate());
  }

  close(): Promise<void> {
    return this.#db.close();
  }

  ping(): Promise<void> {
    return this.#op('ping', async () => void (await this.#db.get('SELECT 1 AS ok')));
  }

  // Tenants

  createTenant(t: TenantRecord): Promise<void> {
    return this.#execute(
      'createTenant',
      'INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)',
      [t.id, t.name, t.created_at],
      { unique: 'Tenant already exists', details: { tenant_id: t.id } },
    );
  }

  getTenant(id: string): Promise<TenantRecord | null> {
    return this.#op('getTenant', async () => {
      const row = await this.#db.get<Row>('SELECT * FROM tenants WHERE id = ?', [id]);
      return row ? toTenant(row) : null;
    });
  }

  listTenants(): Promise<TenantRecord[]> {
    return selectAll(this.#db, this.#op, 'listTenants', 'SELECT * FROM tenants ORDER BY id', [], toTenant);
  }

  deleteTenant(id: string): Promise<boolean> {
    // One statement; ON DELETE CASCADE removes everything below the tenant atomically.
    return this.#changesAny('deleteTenant', 'DELETE FROM tenants WHERE id = ?', [id]);
  }

  // API keys

  createApiKey(k: ApiKeyRecord): Promise<void> {
    return this.#execute(
      'createApiKey',
      `INSERT INTO api_keys (id, tenant_id, name, prefix, hash, scopes, created_at, last_used_at, revoked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [k.id, k.tenant_id, k.name, k.prefix, k.hash, toJson(k.scopes), k.created_at, k.last_used_at, k.revoked_at],
      { unique: 'API key already exists', ...TENANT_MISSING, details: { tenant_id: k.tenant_id, key_id: k.id } },
    );
  }

  getApiKeyByHash(hash: string): Promise<ApiKeyRecord | null> {
    return this.#op('getApiKeyByHash', async () => {
      const row = await this.#db.get<Row>('SELECT * FROM api_keys WHERE hash = ?', [hash]);
      return row ? toApiKey(row) : null;
    });
  }

  listApiKeys(tenantId: string): Promise<ApiKeyRecord[]> {
    const sql = 'SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id';
    return selectAll(this.#db, this.#op, 'listApiKeys', sql, [tenantId], toApiKey);
  }

  revokeApiKey(tenantId: string, keyId: string, at: string): Promise<boolean> {
    // COALESCE keeps the first revocation time when a key is revoked twice.
    return this.#changesAny(
      'revokeApiKey',
      'UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?',
      [at, tenantId, keyId],
    );
  }

  touchApiKey(keyId: string, at: string): Promise<void> {
    // Only moves forward, so out-of-order touches from several nodes cannot rewind it.
    return this.#execute(
      'touchApiKey',
      'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
      [at, keyId, at],
    );
  }

  // Projects

  createProject(p: ProjectRecord): Promise<void> {
    return this.#execute(
      'createProject',
      'INSERT INTO projects (tenant_id, id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [p.tenant_id, p.id, p.name, p.description, p.created_at, p.updated_at],
      { unique: 'Project already exists', ...TENANT_MISSING, details: { tenant_id: p.tenant_id, project_id: p.id } },
    );
  }

  getProject(tenantId: string, id: string): Promise<ProjectRecord | null> {
    return this.#op('getProject', async () => {
      const row = await this.#db.get<Row>('SELECT * FROM projects WHERE tenant_id = ? AND id = ?', [tenantId, id]);
      return row ? toProject(row) : null;
    });
  }

  listProjects(tenantId?: string): Promise<ProjectRecord[]> {
    return this.#op('listProjects', async () => {
      const rows =
        tenantId === undefined
          ? await this.#db.all<Row>('SELECT * FROM projects ORDER BY tenant_id, id')
          : await this.#db.all<Row>('SELECT * FROM projects WHERE tenant_id = ? ORDER BY id', [tenantId]);
      return rows.map(toProject);
    });
  }

  updateProject(
    tenantId: string,
    id: string,
    patch: { name?: string; description?: string; updated_at: string },
  ): Promise<ProjectRecord | null> {
    return this.#op('updateProject', async () => {
      const rows = await this.#db.all<Row>(
        `UPDATE projects SET name = COALESCE(?, name), description = COALESCE(?, description), updated_at = ?
         WHERE tenant_id = ? AND id = ? RETURNING *`,
        [patch.name ?? null, patch.description ?? null, patch.updated_at, tenantId, id],
      );
      return rows[0] ? toProject(rows[0]) : null;
    });
  }

  deleteProject(tenantId: string, id: string): Promise<boolean> {
    return this.#deleteOfTenant('deleteProject', 'projects', tenantId, id);
  }

  /** Deletes the row `id` of a tenant from `table`; true when there was one. */
  #deleteOfTenant(operation: string, table: 'projects' | 'scripts', tenantId: string, id: string): Promise<boolean> {
    return this.#changesAny(operation, `DELETE FROM ${table} WHERE tenant_id = ? AND id = ?`, [tenantId, id]);
  }

  // Scripts

  saveScript(s: ScriptRecord): Promise<ScriptRecord> {
    return this.#op(
      'saveScript',
      () =>
        this.#db.transaction(async (tx) => {
          await tx.run(
            `INSERT INTO scripts (tenant_id, id, filename, content, size, analysis, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (tenant_id, id) DO NOTHING`,
            [
              s.tenant_id,
              s.id,
              s.filename,
              s.content,
              s.size,
              s.analysis === null ? null : toJson(s.analysis),
              s.created_at,
            ],
          );
          const row = await tx.get<Row>('SELECT * FROM scripts WHERE tenant_id = ? AND id = ?', [s.tenant_id, s.id]);
          return toScript(row!);
        }),
      { ...TENANT_MISSING, details: { tenant_id: s.tenant_id } },
    );
  }

  getScript(tenantId: string, id: string): Promise<ScriptRecord | null> {
    return this.#op('getScript', async () => {
      const row = await this.#db.get<Row>('SELECT * FROM scripts WHERE tenant_id = ? AND id = ?', [tenantId, id]);
      return row ? toScript(row) : null;
    });
  }

  listScripts(tenantId: string, search?: string): Promise<Omit<ScriptRecord, 'content'>[]> {
    return this.#op('listScripts', async () => {
      const columns = 'tenant_id, id, filename, size, analysis, created_at';
      const rows =
        search === undefined || search === ''
          ? await this.#db.all<Row>(`SELECT ${columns} FROM scripts WHERE tenant_id = ? ORDER BY created_at, id`, [
              tenantId,
            ])
          : await this.#db.all<Row>(
              `SELECT ${columns} FROM scripts WHERE tenant_id = ? AND ${this.#db.dialect.ilike('filename')} ORDER BY created_at, id`,
              [tenantId, likePattern(search)],
            );
      return rows.map((r) => {
        const { content: _content, ...rest } = toScript(r);
        return rest;
      });
    });
  }

  setScriptAnalysis(tenantId: string, id: string, analysis: Record<string, unknown>): Promise<void> {
    return this.#op('setScriptAnalysis', async () => {
      const changed = await this.#db.run('UPDATE scripts SET analysis = ? WHERE tenant_id = ? AND id = ?', [
        toJson(analysis),
        tenantId,
        id,
      ]);
      if (changed === 0)
        throw createError('not_found', 'Script does not exist', { tenant_id: tenantId, script_id: id });
    });
  }

  deleteScript(tenantId: string, id: string): Promise<boolean> {
    return this.#deleteOfTenant('deleteScript', 'scripts', tenantId, id);
  }

  // Settings

  getSetting(key: string): Promise<string | null> {
    return this.#op('getSetting', async () => {
      const row = await this.#db.get<Row>('SELECT value FROM settings WHERE key = ?', [key]);
      return row ? String(row.value) : null;
    });
  }

  setSetting(key: string, value: string): Promise<void> {
    return this.#execute(
      'setSetting',
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [key, value],
    );
  }

  // Cluster coordination is the driver's.

  readonly onChange: Store['onChange'] = (listener) => this.#db.onChange(listener);
  readonly listening: Store['listening'] = () => this.#db.listening();
  readonly onResync: Store['onResync'] = (listener) => this.#db.onResync(listener);
  readonly notify: Store['notify'] = (notice) => this.#op('notify', () => this.#db.notify(notice));
  readonly withLeaderLock: Store['withLeaderLock'] = (name, fn) => this.#db.withLeaderLock(name, fn);
  readonly sendNodeMessage: Store['sendNodeMessage'] = (message) =>
    this.#op('sendNodeMessage', () => this.#db.sendNodeMessage(message));
  readonly onNodeMessage: Store['onNodeMessage'] = (node, listener) => this.#db.onNodeMessage(node, listener);
}
