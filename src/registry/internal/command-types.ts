import type { Logger, Trust } from '../../core/index.js';
import type { ConnectorManifest } from '../../manifest/types.js';
import type { Store } from '../../store/store.js';
import type { RegistryEventType } from '../types.js';
import type { LiveState } from './live-state.js';
import type { LiveConnector } from './live.js';
import type { SourceRunner } from './source-runner.js';

/** The store operations the commands own: every write of a connector row goes through them. */
export type ConnectorStore = Pick<
  Store,
  | 'getProject'
  | 'saveConnectorVersion'
  | 'updateConnector'
  | 'updateConnectorStatus'
  | 'updateConnectorMetadata'
  | 'deleteConnector'
  | 'getConnector'
  | 'getConnectorVersion'
  | 'listConnectorVersions'
>;

/** Files a connector was installed from are watched while it is live (hot reload). */
export interface ConnectorFiles {
  watch(live: Readonly<LiveConnector>): void;
  unwatch(live: Readonly<LiveConnector>): void;
}

/** Publishes a registry event (and tells other nodes). */
export type Announce = (
  type: RegistryEventType,
  tenantId: string,
  projectId: string,
  connector: string | undefined,
  data?: Record<string, unknown>,
) => void;

/** What the commands are built from. */
export interface ConnectorCommandsOptions {
  store: ConnectorStore;
  live: LiveState;
  runner: SourceRunner;
  files: ConnectorFiles;
  announce: Announce;
  /** Drops a removed connector's usage counters. */
  forgetUsage(tenantId: string, projectId: string, name?: string): void;
  logger: Logger;
  maxConnectors: number;
  /** The operator's admission policy, asked before content is installed or rolled back to. */
  admit: AdmissionPolicy;
}

/** Decides whether content may be installed with a trust level; throws ToolportError('forbidden') naming the setting. */
export type AdmissionPolicy = (manifest: ConnectorManifest, trust: Trust) => void | Promise<void>;

/** What a refresh from the store did to the live connector. */
export type RefreshOutcome = 'none' | 'changed' | 'removed';
