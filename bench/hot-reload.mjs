// Manifest file edit → notifications/tools/list_changed at a connected MCP client, end to end:
// a real `toolport serve` with hot reload, a real SDK client over Streamable HTTP, real file writes.
// Budget (DESIGN.md): ≤ 100 ms p99. Run: `npm run build && node bench/hot-reload.mjs [edits]`.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const EDITS = Number(process.argv[2] ?? 50);
const TOKEN = 'bench-admin-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'toolport-bench-reload-'));
const file = join(dir, 'echo.yaml');

const manifest = (i) => `name: echo
version: 1.0.${i}
kind: http
http: { base_url: "http://127.0.0.1:9" }
tools:
  - name: tool_${i}
    input_schema: { type: object }
    http: { method: GET, path: /x }
`;

function percentile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const server = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', '0', '--data', join(dir, 'data')], {
  env: { ...process.env, TOOLPORT_ADMIN_TOKEN: TOKEN, TOOLPORT_HOT_RELOAD: '1', TOOLPORT_LOG_LEVEL: 'error' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
});

try {
  writeFileSync(file, manifest(0));
  const res = await fetch(`${url}/v1/projects/default/connectors/install-from-file`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ file_path: file }),
  });
  if (res.status !== 201) throw new Error(`install failed: ${res.status} ${await res.text()}`);

  const client = new Client({ name: 'bench', version: '1.0.0' });
  let notified;
  client.setNotificationHandler('notifications/tools/list_changed', () => notified?.());
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp/default`), {
      requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
    }),
  );
  await client.listTools();

  const samples = [];
  for (let i = 1; i <= EDITS; i++) {
    const seen = new Promise((resolve) => (notified = resolve));
    const started = performance.now();
    writeFileSync(file, manifest(i));
    await Promise.race([
      seen,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`edit ${i}: no list_changed in 5 s`)), 5000)),
    ]);
    samples.push(performance.now() - started);
    // Let the debounce windows settle so edits are measured one at a time.
    await new Promise((r) => setTimeout(r, 50));
  }
  await client.close();
  samples.sort((a, b) => a - b);
  const fmt = (n) => `${n.toFixed(1)} ms`;
  console.log(
    `hot reload: ${EDITS} edits → list_changed  p50 ${fmt(percentile(samples, 0.5))}  p99 ${fmt(percentile(samples, 0.99))}  max ${fmt(samples.at(-1))}`,
  );
} finally {
  server.kill('SIGTERM');
}
