import type { SessionShareRecord } from '../store.js';
import { QueryGroup } from './query-group.js';
import type { Row } from './rows.js';

/** The state of a live shared session, keyed by session. */
const STATE = ['mcp_session_levels', 'mcp_session_subscriptions', 'mcp_session_nodes'] as const;
/** Tables that hold shared session rows, each with an `expires_at` column. */
const EXPIRING = [...STATE, 'mcp_session_ended', 'node_messages'] as const;

const NODES_SQL = 'SELECT node FROM mcp_session_nodes WHERE session_key = ? ORDER BY node';
const nodeNames = (rows: Row[]): string[] => rows.map((r) => String(r.node));

/** What the nodes share of 2025-era MCP sessions: log level, resource subscriptions, nodes holding a copy. */
export class SessionQueries extends QueryGroup {
  getSessionShare(key: string): Promise<SessionShareRecord> {
    return this.op('getSessionShare', async () => {
      const [level, subscriptions, nodes, ended] = await Promise.all([
        this.db.get<Row>('SELECT log_level FROM mcp_session_levels WHERE session_key = ?', [key]),
        this.db.all<Row>('SELECT uri FROM mcp_session_subscriptions WHERE session_key = ? ORDER BY uri', [key]),
        this.db.all<Row>(NODES_SQL, [key]),
        this.db.get<Row>('SELECT 1 AS ended FROM mcp_session_ended WHERE session_key = ?', [key]),
      ]);
      return {
        log_level: level ? String(level.log_level) : null,
        subscriptions: subscriptions.map((r) => String(r.uri)),
        nodes: nodeNames(nodes),
        ended: ended !== undefined,
      };
    });
  }

  getSessionNodes(key: string): Promise<string[]> {
    return this.op('getSessionNodes', async () => nodeNames(await this.db.all<Row>(NODES_SQL, [key])));
  }

  addSessionNode(key: string, node: string, expiresAt: string): Promise<void> {
    return this.execute(
      'addSessionNode',
      `INSERT INTO mcp_session_nodes (session_key, node, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (session_key, node) DO NOTHING`,
      [key, node, expiresAt],
    );
  }

  removeSessionNode(key: string, node: string): Promise<void> {
    return this.execute('removeSessionNode', 'DELETE FROM mcp_session_nodes WHERE session_key = ? AND node = ?', [
      key,
      node,
    ]);
  }

  setSessionLogLevel(key: string, level: string, expiresAt: string): Promise<void> {
    return this.execute(
      'setSessionLogLevel',
      `INSERT INTO mcp_session_levels (session_key, log_level, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (session_key) DO UPDATE SET log_level = excluded.log_level`,
      [key, level, expiresAt],
    );
  }

  setSessionSubscription(key: string, uri: string, subscribed: boolean, expiresAt: string): Promise<void> {
    return this.op('setSessionSubscription', async () => {
      if (!subscribed) {
        await this.db.run('DELETE FROM mcp_session_subscriptions WHERE session_key = ? AND uri = ?', [key, uri]);
        return;
      }
      await this.db.run(
        `INSERT INTO mcp_session_subscriptions (session_key, uri, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (session_key, uri) DO NOTHING`,
        [key, uri, expiresAt],
      );
    });
  }

  endSessionShare(key: string, expiresAt: string): Promise<string[]> {
    return this.op('endSessionShare', () =>
      this.db.transaction(async (tx) => {
        await tx.run(
          `INSERT INTO mcp_session_ended (session_key, expires_at) VALUES (?, ?)
           ON CONFLICT (session_key) DO NOTHING`,
          [key, expiresAt],
        );
        const nodes = await tx.all<Row>(NODES_SQL, [key]);
        for (const table of STATE) await tx.run(`DELETE FROM ${table} WHERE session_key = ?`, [key]);
        return nodeNames(nodes);
      }),
    );
  }

  purgeSessionShares(now: string): Promise<number> {
    return this.op('purgeSessionShares', async () => {
      let removed = 0;
      for (const table of EXPIRING) removed += await this.db.run(`DELETE FROM ${table} WHERE expires_at <= ?`, [now]);
      return removed;
    });
  }
}
