// Takes the screenshots of the web console shown in the README (docs/console/*.png): starts Toolport on a fresh
// data dir with the samples, adds a Python service and some usage, then visits each page in Debian's chromium.
// Run after `npm run build`: node scripts/console-screenshots.mjs [outDir]
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';

const outDir = process.argv[2] ?? 'docs/console';
const token = 'screenshot-admin-token-0123456789';
const dataDir = mkdtempSync(join(tmpdir(), 'toolport-shots-'));
mkdirSync(outDir, { recursive: true });

const server = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', '0', '--data', dataDir, '--samples'], {
  env: {
    ...process.env,
    TOOLPORT_ADMIN_TOKEN: token,
    TOOLPORT_LOG_LEVEL: 'warn',
    TOOLPORT_ALLOW_PRIVATE_NETWORKS: '1',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d) => {
    out += d;
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]);
  });
  server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});

const api = async (method, path, body) => {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return res.json();
};

const browser = await launchChromium();
try {
  // A Python service with a few calls and health checks, so the pages have something to show.
  const form = new FormData();
  form.append('file', new Blob([readFileSync('test/web/fixtures/calc.py')]), 'calc.py');
  const uploaded = await (
    await fetch(`${url}/api/v1/upload_script`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    })
  ).json();
  await api('POST', `/api/v1/scripts/${uploaded.id}/generate_mcp_wrapper`, {
    service_name: 'calc',
    functions: ['add', 'greet', 'stats'],
    auto_activate: true,
    project: 'demo',
  });
  for (let i = 0; i < 12; i++) {
    await api('POST', '/v1/projects/demo/tools/calc__add/invoke', { arguments: { a: i, b: 2 } });
    await api('POST', '/v1/projects/demo/tools/calc__greet/invoke', { arguments: { name: 'Ada' } });
    if (i % 3 === 0) await api('POST', '/v1/projects/demo/tools/calc__add/invoke', { arguments: { a: 'x' } });
    await api('POST', '/v1/projects/demo/connectors/calc/health');
  }
  await api('POST', '/v1/api-keys', { name: 'ci-bot', scopes: ['invoke'] });

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(url);
  await page.getByLabel('Admin token or API key').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('live', { exact: true }).waitFor();
  const shot = async (name, full = false) => {
    await page.waitForTimeout(400);
    await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: full });
  };
  await page.goto(`${url}/#/projects`);
  await page.getByRole('heading', { name: 'Connect to demo' }).waitFor();
  await shot('projects');

  await page.goto(`${url}/#/connectors`);
  await page.locator('tr[data-connector="weather"]').waitFor();
  await page
    .getByLabel('Manifest (YAML)')
    .fill(
      'name: broken\nversion: 1.0.0\nkind: http\nhttp:\n  base_url: https://api.example.com\ntools:\n  - name: get_item\n    descriptio: typo\n    endpoint: GET /items\n',
    );
  await page.getByRole('button', { name: 'Install', exact: true }).click();
  await page.locator('[data-error-line="8"]').waitFor();
  await shot('connectors', true);

  await page.goto(`${url}/#/tools?tool=calc__greet`);
  await page.getByRole('heading', { name: 'Playground' }).waitFor();
  await page.getByLabel('name *').fill('Grace');
  await page.getByLabel('excited').check();
  await page.getByRole('button', { name: 'Call tool' }).click();
  await page.getByTestId('tool-result').waitFor();
  await shot('tools');

  await page.goto(`${url}/#/python`);
  await page.locator('#script-file').setInputFiles('test/web/fixtures/calc.py');
  await page.getByRole('heading', { name: 'Analysis of calc.py' }).waitFor();
  await page.getByRole('checkbox', { name: /^add/ }).check();
  await page.getByRole('checkbox', { name: /^stats/ }).check();
  await page.getByText('Schema of stats').click();
  await shot('python', true);

  await page.goto(`${url}/#/health`);
  await page.getByLabel('Connector').selectOption('calc');
  await page.locator('.chart canvas').first().waitFor();
  await shot('health', true);

  await page.goto(`${url}/#/access`);
  await page.getByRole('table', { name: 'API keys' }).waitFor();
  await shot('access');

  await page.setViewportSize({ width: 420, height: 860 });
  await page.goto(`${url}/#/connectors`);
  await page.locator('tr[data-connector="weather"]').waitFor();
  await shot('narrow');
  console.log(`screenshots written to ${outDir}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
