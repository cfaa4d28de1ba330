/**
 * The store: the Store interface, the SecretBox that seals secrets at rest, and `openStore`, which
 * picks the driver (PostgreSQL for a URL, else SQLite) and migrates. The only entry of this folder.
 */
export type {
  Store,
  ChangeNotice,
  NodeMessage,
  SessionShareRecord,
  TenantRecord,
  ApiKeyScope,
  ApiKeyRecord,
  ProjectRecord,
  ConnectorStatus,
  ConnectorRecord,
  StatusChange,
  ToolDiff,
  ConnectorVersionRecord,
  ToolUsageRecord,
  ScriptRecord,
  HealthCheckRecord,
  WebhookRecord,
  WebhookDeliveryRecord,
} from './store.js';
export { createSecretBox } from './secret-box.js';
export type { SecretBox, SecretBoxOptions } from './secret-box.js';
export { openStore, SQLITE_FILE_NAME } from './open-store.js';
export { isFor as isNodeMessageFor } from './internal/driver.js';
export type { OpenStoreOptions } from './open-store.js';
