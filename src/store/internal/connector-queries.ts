import { createError } from '../../core/index.js';
import type {
  ConnectorRecord,
  ConnectorVersionRecord,
  HealthCheckRecord,
  StatusChange,
  ToolUsageRecord,
} from '../store.js';
import type { SqlParam } from './driver.js';
import { QueryGroup, selectAll } from './query-group.js';
import { toConnector, toHealthCheck, toJson, toUsage, toVersion, type Row } from './rows.js';
import { openSealed } from './sealed.js';
import { foldUsageBatch } from './usage.js';
import { requireInt } from './validate.js';

/** Builds `WHERE a = ? AND b = ?` from the filters that are set. */
function where(filters: [column: string, value: string | undefined][]): { sql: string; params: SqlParam[] } {
  const set = filters.filter((f): f is [string, string] => f[1] !== undefined);
  return {
    sql: set.length ? `WHERE ${set.map(([c]) => `${c} = ?`).join(' AND ')}` : '',
    params: set.map(([, v]) => v),
  };
}

/** Connectors, their versions, tool usage and health history. */
export class ConnectorQueries extends QueryGroup {
  /** The values of every column a connector's save or update sets, in the order both statements list them. */
  #rowValues(c: ConnectorRecord): SqlParam[] {
    const config = this.box.encrypt(JSON.stringify(c.config));
    return [
      c.kind,
      c.enabled,
      c.status,
      c.status_reason,
      c.current_version,
      c.source_path,
      config,
      toJson(c.metadata),
    ].concat([c.updated_at, c.trust]);
  }

  #toRecord(r: Row): ConnectorRecord {
    const where = { tenant_id: r.tenant_id, project_id: r.project_id, connector: r.name };
    return toConnector(r, JSON.parse(openSealed(this.box, r.config_enc, where)) as Record<string, string>);
  }

  saveConnectorVersion(c: ConnectorRecord, v: ConnectorVersionRecord): Promise<void> {
    const details = { tenant_id: c.tenant_id, project_id: c.project_id, connector: c.name, seq: v.seq };
    return this.op(
      'saveConnectorVersion',
      () => {
        if (v.tenant_id !== c.tenant_id || v.project_id !== c.project_id || v.connector_name !== c.name) {
          throw createError(
            'bad_request',
            'The version must belong to the connector (tenant_id, project_id, connector_name)',
            { field: 'version' },
          );
        }
        return this.db.transaction(async (tx) => {
          // created_at is kept from the first install; everything else follows the new version.
          await tx.run(
            `INSERT INTO connectors (kind, enabled, status, status_reason, current_version, source_path, config_enc,
               metadata, updated_at, trust, tenant_id, project_id, name, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (tenant_id, project_id, name) DO UPDATE SET kind = excluded.kind, enabled = excluded.enabled,
               status = excluded.status, status_reason = excluded.status_reason, current_version = excluded.current_version,
               source_path = excluded.source_path, config_enc = excluded.config_enc, metadata = excluded.metadata,
               updated_at = excluded.updated_at, trust = excluded.trust`,
            [...this.#rowValues(c), c.tenant_id, c.project_id, c.name, c.created_at],
          );
          await tx.run(
            `INSERT INTO connector_versions (tenant_id, project_id, connector_name, seq, version, hash, manifest, diff, source_path, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
            [
              v.tenant_id,
              v.project_id,
              v.connector_name,
              v.seq,
              v.version,
              v.hash,
              toJson(v.manifest),
              toJson(v.diff),
              v.source_path,
              v.created_at,
            ],
          );
        });
      },
      { unique: 'Connector version already exists', foreignKey: 'Project does not exist', details },
    );
  }

  updateConnector(c: ConnectorRecord): Promise<void> {
    const details = { tenant_id: c.tenant_id, project_id: c.project_id, connector: c.name };
    return this.op('updateConnector', () =>
      this.db.transaction(async (tx) => {
        // A connector may only point at a version it has (rollback targets an existing one).
        const version = await tx.get<Row>(
          'SELECT seq FROM connector_versions WHERE tenant_id = ? AND project_id = ? AND connector_name = ? AND seq = ?',
          [c.tenant_id, c.project_id, c.name, c.current_version],
        );
        const changed = version
          ? await tx.run(
              `UPDATE connectors SET kind = ?, enabled = ?, status = ?, status_reason = ?, current_version = ?, source_path = ?,
                 config_enc = ?, metadata = ?, updated_at = ?, trust = ?
               WHERE tenant_id = ? AND project_id = ? AND name = ?`,
              [...this.#rowValues(c), c.tenant_id, c.project_id, c.name],
            )
          : 0;
        if (changed === 0) {
          const exists = await tx.get<Row>(
            'SELECT name FROM connectors WHERE tenant_id = ? AND project_id = ? AND name = ?',
            [c.tenant_id, c.project_id, c.name],
          );
          throw exists
            ? createError('not_found', 'Connector version does not exist', { ...details, seq: c.current_version })
            : createError('not_found', 'Connector does not exist', details);
        }
      }),
    );
  }

  updateConnectorStatus(tenantId: string, projectId: string, name: string, change: StatusChange): Promise<boolean> {
    return this.#updateColumns('updateConnectorStatus', { t: tenantId, p: projectId, name }, change);
  }

  updateConnectorMetadata(
    tenantId: string,
    projectId: string,
    name: string,
    metadata: Record<string, unknown>,
    updated_at: string,
  ): Promise<boolean> {
    const columns = { metadata: toJson(metadata), updated_at };
    return this.#updateColumns('updateConnectorMetadata', { t: tenantId, p: projectId, name }, columns);
  }

  /** Sets some columns of one connector row (status-only or metadata-only updates); false when absent. */
  #updateColumns(
    operation: string,
    key: { t: string; p: string; name: string },
    columns: Record<string, SqlParam>,
  ): Promise<boolean> {
    const names = Object.keys(columns);
    const sets = names.map((c) => `${c} = ?`).join(', ');
    return this.op(
      operation,
      async () =>
        (await this.db.run(`UPDATE connectors SET ${sets} WHERE tenant_id = ? AND project_id = ? AND name = ?`, [
          ...Object.values(columns),
          key.t,
          key.p,
          key.name,
        ])) > 0,
    );
  }

  getConnector(tenantId: string, projectId: string, name: string): Promise<ConnectorRecord | null> {
    return this.op('getConnector', async () => {
      const row = await this.db.get<Row>(
        'SELECT * FROM connectors WHERE tenant_id = ? AND project_id = ? AND name = ?',
        [tenantId, projectId, name],
      );
      return row ? this.#toRecord(row) : null;
    });
  }

  listConnectors(filter: { tenantId?: string; projectId?: string } = {}): Promise<ConnectorRecord[]> {
    const w = where([
      ['tenant_id', filter.tenantId],
      ['project_id', filter.projectId],
    ]);
    return this.op('listConnectors', async () =>
      (await this.db.all<Row>(`SELECT * FROM connectors ${w.sql} ORDER BY tenant_id, project_id, name`, w.params)).map(
        (r) => this.#toRecord(r),
      ),
    );
  }

  deleteConnector(tenantId: string, projectId: string, name: string): Promise<boolean> {
    return this.op(
      'deleteConnector',
      async () =>
        (await this.db.run('DELETE FROM connectors WHERE tenant_id = ? AND project_id = ? AND name = ?', [
          tenantId,
          projectId,
          name,
        ])) > 0,
    );
  }

  listConnectorVersions(tenantId: string, projectId: string, name: string): Promise<ConnectorVersionRecord[]> {
    return selectAll(
      this.db,
      this.op,
      'listConnectorVersions',
      'SELECT * FROM connector_versions WHERE tenant_id = ? AND project_id = ? AND connector_name = ? ORDER BY seq',
      [tenantId, projectId, name],
      toVersion,
    );
  }

  getConnectorVersion(
    tenantId: string,
    projectId: string,
    name: string,
    seq: number,
  ): Promise<ConnectorVersionRecord | null> {
    return this.op('getConnectorVersion', async () => {
      const row = await this.db.get<Row>(
        'SELECT * FROM connector_versions WHERE tenant_id = ? AND project_id = ? AND connector_name = ? AND seq = ?',
        [tenantId, projectId, name, seq],
      );
      return row ? toVersion(row) : null;
    });
  }

  /**
   * Adds a batch to the stored totals in one transaction. Rows of connectors deleted since the calls
   * were counted are dropped: usage of a removed connector has nowhere to go.
   */
  addToolUsage(batch: ToolUsageRecord[]): Promise<void> {
    const merge = this.db.dialect.mergeCounts('tool_usage.latency_buckets', 'excluded.latency_buckets');
    const sql = `INSERT INTO tool_usage (tenant_id, project_id, connector_name, tool_name, calls, errors, total_latency_ms,
        last_used_at, latency_buckets)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (tenant_id, project_id, connector_name, tool_name) DO UPDATE SET
        calls = tool_usage.calls + excluded.calls,
        errors = tool_usage.errors + excluded.errors,
        total_latency_ms = tool_usage.total_latency_ms + excluded.total_latency_ms,
        last_used_at = CASE
          WHEN excluded.last_used_at IS NULL THEN tool_usage.last_used_at
          WHEN tool_usage.last_used_at IS NULL OR excluded.last_used_at > tool_usage.last_used_at THEN excluded.last_used_at
          ELSE tool_usage.last_used_at END,
        latency_buckets = ${merge}`;
    return this.op('addToolUsage', async () => {
      const rows = foldUsageBatch(batch);
      if (rows.length === 0) return;
      await this.db.transaction(async (tx) => {
        const present = new Map<string, boolean>();
        for (const r of rows) {
          const key = JSON.stringify([r.tenant_id, r.project_id, r.connector_name]);
          let exists = present.get(key);
          if (exists === undefined) {
            exists = !!(await tx.get<Row>(
              'SELECT name FROM connectors WHERE tenant_id = ? AND project_id = ? AND name = ?',
              [r.tenant_id, r.project_id, r.connector_name],
            ));
            present.set(key, exists);
          }
          if (!exists) continue;
          await tx.run(sql, [
            r.tenant_id,
            r.project_id,
            r.connector_name,
            r.tool_name,
            r.calls,
            r.errors,
            r.total_latency_ms,
            r.last_used_at,
            toJson(r.latency_buckets ?? {}),
          ]);
        }
      });
    });
  }

  listToolUsage(
    filter: { tenantId?: string; projectId?: string; connectorName?: string } = {},
  ): Promise<ToolUsageRecord[]> {
    const w = where([
      ['tenant_id', filter.tenantId],
      ['project_id', filter.projectId],
      ['connector_name', filter.connectorName],
    ]);
    const sql = `SELECT * FROM tool_usage ${w.sql} ORDER BY tenant_id, project_id, connector_name, tool_name`;
    return selectAll(this.db, this.op, 'listToolUsage', sql, w.params, toUsage);
  }

  addHealthCheck(h: HealthCheckRecord, keep: number): Promise<void> {
    const key = [h.tenant_id, h.project_id, h.connector_name];
    return this.op(
      'addHealthCheck',
      () => {
        requireInt('keep', keep, 1);
        return this.db.transaction(async (tx) => {
          await tx.run(
            `INSERT INTO health_checks (tenant_id, project_id, connector_name, checked_at, ok, latency_ms, message, details)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            [...key, h.checked_at, h.ok, h.latency_ms, h.message, toJson(h.details ?? {})],
          );
          const match = 'tenant_id = ? AND project_id = ? AND connector_name = ?';
          await tx.run(
            `DELETE FROM health_checks WHERE ${match} AND seq NOT IN (
               SELECT seq FROM health_checks WHERE ${match} ORDER BY checked_at DESC, seq DESC LIMIT ?)`,
            [...key, ...key, keep],
          );
        });
      },
      {
        foreignKey: 'Connector does not exist',
        details: { tenant_id: h.tenant_id, project_id: h.project_id, connector: h.connector_name },
      },
    );
  }

  listHealthChecks(
    tenantId: string,
    projectId: string,
    connectorName: string,
    limit: number,
  ): Promise<HealthCheckRecord[]> {
    return this.op('listHealthChecks', async () => {
      const rows = await this.db.all<Row>(
        `SELECT * FROM health_checks WHERE tenant_id = ? AND project_id = ? AND connector_name = ?
         ORDER BY checked_at DESC, seq DESC LIMIT ?`,
        [tenantId, projectId, connectorName, requireInt('limit', limit, 0)],
      );
      return rows.map(toHealthCheck);
    });
  }
}
