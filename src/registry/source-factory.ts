import type { ToolSource, Trust } from '../core/index.js';
import type { ConnectorManifest } from '../manifest/types.js';

/** What a source factory is given to build the source of one connector version. */
export interface SourceFactoryInput {
  tenantId: string;
  projectId: string;
  connector: string;
  manifest: ConnectorManifest;
  /** Plaintext config values (secrets included); never log them. */
  config: Record<string, string>;
  /** Who the content was admitted for: `tenant` content must run sandboxed and within the operator's limits. */
  trust: Trust;
}

/** Builds a ToolSource for one kind. Concrete factories are wired in the CLI (the composition root). */
export type SourceFactory = (input: SourceFactoryInput) => ToolSource | Promise<ToolSource>;

/** Source factories by connector kind. */
export type SourceFactories = Partial<Record<ConnectorManifest['kind'], SourceFactory>>;
