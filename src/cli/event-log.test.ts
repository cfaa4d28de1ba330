import { describe, expect, it } from 'vitest';
import { createRecordingLogger } from '../../test/api/harness.js';
import type { RegistryEvent } from '../registry/index.js';
import { logRegistryEvents } from './event-log.js';

const event = (type: RegistryEvent['type'], data: Record<string, unknown>): RegistryEvent => ({
  id: 1,
  type,
  tenant_id: 'default',
  project_id: 'demo',
  connector: 'weather',
  at: '2026-01-01T00:00:00.000Z',
  data,
});

describe('logRegistryEvents', () => {
  it('logs installs at info, failures with their reason at warn, and stays quiet for plain health checks', () => {
    const logger = createRecordingLogger();
    let emit: (e: RegistryEvent) => void = () => undefined;
    logRegistryEvents((listener) => ((emit = listener), () => undefined), logger);
    emit(event('connector.installed', { version: '1.0.0', seq: 1, status: 'active' }));
    emit(event('connector.status_changed', { from: 'active', to: 'error', reason: 'weather.yaml:3:5 unknown key' }));
    emit(event('health.checked', { ok: true }));
    expect(logger.lines.map((l) => [l.level, l.msg])).toEqual([
      ['info', 'connector installed'],
      ['warn', 'connector weather is failing'],
    ]);
    expect(logger.lines[1]!.obj).toMatchObject({ connector: 'weather', reason: 'weather.yaml:3:5 unknown key' });
  });
});
