import { createError } from '../../core/index.js';
import type { WebhookDeliveryRecord, WebhookRecord } from '../store.js';
import { QueryGroup } from './query-group.js';
import { toDelivery, toJson, toWebhook, type Row } from './rows.js';
import { openSealed } from './sealed.js';
import { requireInt } from './validate.js';

/** Webhook subscriptions (secret sealed at rest) and their delivery log. */
export class WebhookQueries extends QueryGroup {
  createWebhook(h: WebhookRecord): Promise<void> {
    return this.op(
      'createWebhook',
      async () =>
        void (await this.db.run(
          `INSERT INTO webhooks (id, tenant_id, project_id, url, secret_enc, events, enabled, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            h.id,
            h.tenant_id,
            h.project_id,
            h.url,
            this.box.encrypt(h.secret),
            toJson(h.events),
            h.enabled,
            h.created_at,
          ],
        )),
      {
        unique: 'Webhook already exists',
        foreignKey: 'Project does not exist',
        details: { tenant_id: h.tenant_id, project_id: h.project_id, webhook_id: h.id },
      },
    );
  }

  listWebhooks(tenantId: string, projectId?: string): Promise<WebhookRecord[]> {
    return this.op('listWebhooks', async () => {
      const rows =
        projectId === undefined
          ? await this.db.all<Row>('SELECT * FROM webhooks WHERE tenant_id = ? ORDER BY created_at, id', [tenantId])
          : await this.db.all<Row>(
              'SELECT * FROM webhooks WHERE tenant_id = ? AND project_id = ? ORDER BY created_at, id',
              [tenantId, projectId],
            );
      return rows.map((r) => toWebhook(r, openSealed(this.box, r.secret_enc, { webhook_id: r.id })));
    });
  }

  deleteWebhook(tenantId: string, id: string): Promise<boolean> {
    return this.op(
      'deleteWebhook',
      async () => (await this.db.run('DELETE FROM webhooks WHERE tenant_id = ? AND id = ?', [tenantId, id])) > 0,
    );
  }

  addWebhookDelivery(d: WebhookDeliveryRecord, keep: number): Promise<void> {
    return this.op('addWebhookDelivery', () => {
      requireInt('keep', keep, 1);
      return this.db.transaction(async (tx) => {
        const hook = await tx.get<Row>('SELECT id FROM webhooks WHERE id = ? AND tenant_id = ?', [
          d.webhook_id,
          d.tenant_id,
        ]);
        if (!hook)
          throw createError('not_found', 'Webhook does not exist', {
            tenant_id: d.tenant_id,
            webhook_id: d.webhook_id,
          });
        await tx.run(
          `INSERT INTO webhook_deliveries (id, webhook_id, tenant_id, event, attempt, status_code, ok, error, delivered_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [d.id, d.webhook_id, d.tenant_id, d.event, d.attempt, d.status_code, d.ok, d.error, d.delivered_at],
        );
        await tx.run(
          `DELETE FROM webhook_deliveries WHERE webhook_id = ? AND seq NOT IN (
             SELECT seq FROM webhook_deliveries WHERE webhook_id = ? ORDER BY delivered_at DESC, seq DESC LIMIT ?)`,
          [d.webhook_id, d.webhook_id, keep],
        );
      });
    });
  }

  listWebhookDeliveries(tenantId: string, webhookId: string, limit: number): Promise<WebhookDeliveryRecord[]> {
    return this.op('listWebhookDeliveries', async () => {
      const rows = await this.db.all<Row>(
        'SELECT * FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ? ORDER BY delivered_at DESC, seq DESC LIMIT ?',
        [tenantId, webhookId, requireInt('limit', limit, 0)],
      );
      return rows.map(toDelivery);
    });
  }
}
