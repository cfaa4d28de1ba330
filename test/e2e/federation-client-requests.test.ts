import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CLIENT_KINDS,
  type ClientKind,
  type Endpoint,
  type TestClient,
  nameAt,
  textOf,
  until,
} from './federation-clients.js';
import { CONNECTOR, federationWorld } from './federation-helpers.js';

/**
 * Issue #11, the server → client direction: an upstream tool asks the client that called it for a sampling,
 * an elicitation or its roots, and the answer reaches the tool's result; a client that cannot answer gets an error
 * promptly, not a hang; log messages are filtered per client session (2025: logging/setLevel; 2026-07-28: the
 * per-request log level). The upstream behind Toolport is one shared process, so every test that matters for
 * correlation runs two clients at once. Each runs against the fixture directly (the control) and through both
 * Toolport endpoints, with the SDK v2 client in both eras and the SDK v1 client. Also in this direction: a client's
 * cancellation and its roots list_changed reach the upstream (seen in the fixture's MARKS_FILE).
 */
const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
/** A hang shows as the SDK's request timeout; a proper refusal comes long before it. */
const HANG_MS = 20_000;

const marksDir = mkdtempSync(join(tmpdir(), 'toolport-federation-marks-'));
const { connect } = federationWorld({
  direct: { MARKS_FILE: join(marksDir, 'direct.log') },
  upstream: { MARKS_FILE: join(marksDir, 'toolport.log') },
});
afterAll(() => rmSync(marksDir, { recursive: true, force: true }));

/** How many times the upstream behind `endpoint` noted `what` in its MARKS_FILE. */
function marks(endpoint: Endpoint, what: string): number {
  const file = join(marksDir, endpoint === 'direct' ? 'direct.log' : 'toolport.log');
  if (!existsSync(file)) return 0;
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.endsWith(` ${what}`)).length;
}

const sampler = (who: string, seen: any[]) => (params: any) => {
  seen.push(params);
  return {
    role: 'assistant',
    content: { type: 'text', text: `${who} sampled "${params.messages[0].content.text}"` },
    model: `${who}-model`,
    stopReason: 'endTurn',
  };
};

describe.each<Endpoint>(['direct', 'connector', 'aggregate'])('[issue #11] %s endpoint', (endpoint) => {
  describe.each<ClientKind>(CLIENT_KINDS)('%s client', (kind) => {
    it('relays sampling/createMessage to the calling client and its answer into the tool result', async () => {
      const seen: any[] = [];
      const client = await connect(endpoint, kind, { sampling: sampler('alice', seen) });
      const result = await client.callTool(nameAt(endpoint, 'test_sampling'), { prompt: 'Write a haiku' });
      expect(result.isError ?? false).toBe(false);
      expect(textOf(result)).toBe('LLM response: alice sampled "Write a haiku"');
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({
        messages: [{ role: 'user', content: { type: 'text', text: 'Write a haiku' } }],
        maxTokens: 100,
      });
    });

    it('sends each sampling request to the client whose call caused it (two clients at once)', async () => {
      const seenA: any[] = [];
      const seenB: any[] = [];
      const a = await connect(endpoint, kind, { sampling: sampler('alice', seenA) });
      const b = await connect(endpoint, kind, { sampling: sampler('bob', seenB) });
      const tool = nameAt(endpoint, 'test_sampling');
      const [ra, rb] = await Promise.all([
        a.callTool(tool, { prompt: 'from a' }),
        b.callTool(tool, { prompt: 'from b' }),
      ]);
      expect(textOf(ra)).toBe('LLM response: alice sampled "from a"');
      expect(textOf(rb)).toBe('LLM response: bob sampled "from b"');
      expect(seenA.map((p) => p.messages[0].content.text)).toEqual(['from a']);
      expect(seenB.map((p) => p.messages[0].content.text)).toEqual(['from b']);
    });

    it('relays elicitation/create with its schema (defaults, enums) and the answer back', async () => {
      const seen: any[] = [];
      const client = await connect(endpoint, kind, {
        elicitation: (params) => {
          seen.push(params);
          if (params.requestedSchema.properties.username) {
            return { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } };
          }
          return { action: 'decline' };
        },
      });
      const result = await client.callTool(nameAt(endpoint, 'test_elicitation'), { message: 'Who are you?' });
      expect(textOf(result)).toBe('User response: action=accept, content={"username":"ada","email":"ada@example.com"}');
      const defaults = await client.callTool(nameAt(endpoint, 'test_elicitation_sep1034_defaults'));
      expect(textOf(defaults)).toBe('Elicitation completed: action=decline, content={}');
      const enums = await client.callTool(nameAt(endpoint, 'test_elicitation_sep1330_enums'));
      expect(textOf(enums)).toBe('Elicitation completed: action=decline, content={}');
      expect(seen.map((p) => p.message)).toEqual(['Who are you?', 'Please review your details', 'Please pick options']);
      expect(seen[1].requestedSchema.properties).toMatchObject({
        name: { type: 'string', default: 'John Doe' },
        age: { type: 'integer', default: 30 },
        score: { type: 'number', default: 95.5 },
        status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
        verified: { type: 'boolean', default: true },
      });
      expect(seen[2].requestedSchema.properties.legacyEnum).toEqual({
        type: 'string',
        enum: ['opt1', 'opt2', 'opt3'],
        enumNames: ['Option One', 'Option Two', 'Option Three'],
      });
      expect(seen[2].requestedSchema.properties.titledMulti.items.anyOf).toHaveLength(3);
    });

    it('refuses sampling promptly for a client without the sampling capability (no hang)', async () => {
      const client = await connect(endpoint, kind);
      let outcome: string;
      try {
        const result = await client.callTool(nameAt(endpoint, 'test_sampling'), { prompt: 'x' }, { timeout: HANG_MS });
        expect(result.isError, JSON.stringify(result)).toBe(true);
        outcome = textOf(result);
      } catch (error) {
        outcome = String(error);
        expect(outcome).not.toMatch(/timed? ?out/i);
      }
      expect(outcome).toMatch(/sampling/i);
      // The session stays usable.
      expect(textOf(await client.callTool(nameAt(endpoint, 'test_simple_text')))).toBe(
        'This is a simple text response for testing.',
      );
    });

    it('relays roots/list to the calling client and its roots into the tool result', async () => {
      const client = await connect(endpoint, kind, {
        roots: () => ({ roots: [{ uri: 'file:///srv/federation-root', name: 'federation root' }] }),
      });
      const result = await client.callTool(nameAt(endpoint, 'test_roots'));
      expect(result.isError ?? false).toBe(false);
      expect(textOf(result)).toBe('file:///srv/federation-root');
    });

    it('filters log messages per client session: each client gets the levels it asked for', async () => {
      const strict = await connect(endpoint, kind);
      const chatty = await connect(endpoint, kind);
      if (kind !== 'v2-2026') {
        await strict.setLoggingLevel('error');
        await chatty.setLoggingLevel('debug');
      }
      const tool = nameAt(endpoint, 'test_log_levels');
      const levels = (c: TestClient) =>
        c.received.filter((n) => n.method === 'notifications/message').map((n) => n.params.level as string);
      // One call at a time: each client gets exactly its own call's messages, at or above its own level.
      await strict.callTool(tool, {}, { logLevel: 'error' });
      await chatty.callTool(tool, {}, { logLevel: 'debug' });
      await until(() => levels(chatty).length >= LEVELS.length, 'all eight levels for the debug client');
      await until(() => levels(strict).length >= 4, 'error and above for the error client');
      // A later round trip on each: anything still to come from the first calls has arrived by its result.
      await strict.callTool(nameAt(endpoint, 'test_simple_text'), {}, { logLevel: 'error' });
      await chatty.callTool(nameAt(endpoint, 'test_simple_text'), {}, { logLevel: 'debug' });
      expect(levels(chatty)).toEqual(LEVELS);
      expect(levels(strict)).toEqual(['error', 'critical', 'alert', 'emergency']);
      const messages = chatty.received.filter((n) => n.method === 'notifications/message');
      // On the project endpoint the logger names the connector first ({connector}/{logger}, docs/manifest.md).
      const logger = endpoint === 'aggregate' ? `${CONNECTOR}/everything` : 'everything';
      expect(messages[0]!.params).toMatchObject({ level: 'debug', data: 'a debug message', logger });
      // Both at once. Directly (HTTP: a stream per call) the routing stays exact. Through Toolport the upstream is
      // one stdio process whose wire does not tie a log message to the call that sent it, so a message may reach
      // either caller (docs/manifest.md, "Who is asked") — but never below a session's own level, and each client
      // still gets all of its own.
      strict.received.length = 0;
      chatty.received.length = 0;
      await Promise.all([
        strict.callTool(tool, {}, { logLevel: 'error' }),
        chatty.callTool(tool, {}, { logLevel: 'debug' }),
      ]);
      await until(() => levels(chatty).length >= LEVELS.length, 'all eight levels for the debug client (concurrent)');
      await until(() => levels(strict).length >= 4, 'error and above for the error client (concurrent)');
      await strict.callTool(nameAt(endpoint, 'test_simple_text'), {}, { logLevel: 'error' });
      await chatty.callTool(nameAt(endpoint, 'test_simple_text'), {}, { logLevel: 'debug' });
      expect(new Set(levels(chatty))).toEqual(new Set(LEVELS));
      expect(levels(strict).every((level) => LEVELS.indexOf(level) >= LEVELS.indexOf('error'))).toBe(true);
      expect(new Set(levels(strict))).toEqual(new Set(['error', 'critical', 'alert', 'emergency']));
      if (endpoint === 'direct') {
        expect(levels(chatty)).toEqual(LEVELS);
        expect(levels(strict)).toEqual(['error', 'critical', 'alert', 'emergency']);
      }
    });

    it('relays the log messages a tool sends while it runs (test_tool_with_logging)', async () => {
      const client = await connect(endpoint, kind);
      if (kind !== 'v2-2026') await client.setLoggingLevel('info');
      await client.callTool(nameAt(endpoint, 'test_tool_with_logging'), {}, { logLevel: 'info' });
      const data = () => client.received.filter((n) => n.method === 'notifications/message').map((n) => n.params.data);
      await until(() => data().length >= 3, 'three log messages');
      expect(data()).toEqual(['Tool execution started', 'Tool processing data', 'Tool execution completed']);
    });

    it("forwards the client's cancellation of a call to the upstream", async () => {
      const client = await connect(endpoint, kind);
      const started = marks(endpoint, 'call test_sleep');
      const cancelled = marks(endpoint, 'cancelled test_sleep');
      const controller = new AbortController();
      const pending = client.callTool(nameAt(endpoint, 'test_sleep'), { ms: 120_000 }, { signal: controller.signal });
      pending.catch(() => undefined);
      await until(() => marks(endpoint, 'call test_sleep') > started, 'the upstream to start test_sleep');
      controller.abort('stopped by the test');
      await expect(pending).rejects.toThrow();
      await until(() => marks(endpoint, 'cancelled test_sleep') > cancelled, 'the upstream to see the cancellation');
      // The session stays usable (a hang here shows as the request timeout, not the test's).
      expect(textOf(await client.callTool(nameAt(endpoint, 'test_simple_text'), {}, { timeout: 10_000 }))).toBe(
        'This is a simple text response for testing.',
      );
    });

    it.skipIf(kind === 'v2-2026')('a roots change of the client reaches the upstream (2025-era client)', async () => {
      let roots = [{ uri: 'file:///srv/before', name: 'before' }];
      const client = await connect(endpoint, kind, { roots: () => ({ roots }) });
      expect(textOf(await client.callTool(nameAt(endpoint, 'test_roots')))).toBe('file:///srv/before');
      roots = [{ uri: 'file:///srv/after', name: 'after' }];
      const before = marks(endpoint, 'roots list_changed');
      await client.sendRootsListChanged();
      // Directly (a 2025 session) the upstream hears the notification. Through Toolport the upstream connection is
      // 2026-07-28 (the fixture offers it): that era has no roots/list_changed — the upstream asks for the roots
      // within each call (input_required), so the next call sees the change (docs/manifest.md).
      if (endpoint === 'direct') {
        await until(() => marks(endpoint, 'roots list_changed') > before, 'the upstream to see roots/list_changed');
      }
      expect(textOf(await client.callTool(nameAt(endpoint, 'test_roots')))).toBe('file:///srv/after');
    });
  });
});
