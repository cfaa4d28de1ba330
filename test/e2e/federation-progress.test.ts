import { describe, expect, it } from 'vitest';
import { CLIENT_KINDS, type ClientKind, type Endpoint, nameAt, textOf } from './federation-clients.js';
import { federationWorld } from './federation-helpers.js';

/**
 * Issue #11, progress: 20 calls in a row per client and endpoint, 0 notifications lost, none reordered, every one
 * delivered before the result. Two upstream tools: the conformance tool (0, 50, 100 of 100, 50 ms apart, the result
 * right after the last) and a burst (5 notifications back to back, then the result: they reach Toolport in one
 * read with it).
 */
const RUNS = 20;
const CASES = [
  {
    tool: 'test_tool_with_progress',
    args: {},
    progress: ['0/100', '50/100', '100/100'],
    result: 'Progress test completed',
  },
  {
    tool: 'test_progress_burst',
    args: { steps: 5 },
    progress: ['1/5', '2/5', '3/5', '4/5', '5/5'],
    result: 'burst done 5',
  },
];

const { connect } = federationWorld();

describe.each<Endpoint>(['direct', 'connector', 'aggregate'])('[issue #11] %s endpoint', (endpoint) => {
  describe.each<ClientKind>(CLIENT_KINDS)('%s client', (kind) => {
    for (const { tool, args, progress, result } of CASES) {
      it(`${tool}: ${RUNS} calls, every progress notification in order before the result`, async () => {
        const client = await connect(endpoint, kind);
        const expected = [...progress.map((p) => `progress ${p}`), `result ${result}`];
        const lost: string[] = [];
        for (let run = 0; run < RUNS; run += 1) {
          const events: string[] = [];
          const out = await client.callTool(nameAt(endpoint, tool), args, {
            onprogress: (p) => void events.push(`progress ${p.progress}/${p.total}`),
          });
          events.push(`result ${textOf(out)}`);
          if (JSON.stringify(events) !== JSON.stringify(expected)) lost.push(`run ${run}: ${events.join(', ')}`);
        }
        expect(lost, `expected each run to see ${expected.join(', ')}`).toEqual([]);
      }, 60_000);
    }
  });
});
