import { describe, expect, it } from 'vitest';
import { API_KEY_PLACEHOLDER, buildClientConfig } from './client-config.js';

describe('buildClientConfig', () => {
  it('builds entries for every client with the placeholder key by default', () => {
    const config = buildClientConfig({ baseUrl: 'http://127.0.0.1:8090/', projectId: 'demo' });
    expect(config.mcp_url).toBe('http://127.0.0.1:8090/mcp/demo');
    expect(config.sse_url).toBe('http://127.0.0.1:8090/sse/demo');
    expect(config.server_name).toBe('toolport-demo');
    expect(config.claude_desktop.stdio.mcpServers['toolport-demo']).toEqual({
      command: 'toolport',
      args: ['stdio', '--project', 'demo', '--url', 'http://127.0.0.1:8090', '--token', API_KEY_PLACEHOLDER],
    });
    expect(config.claude_desktop.remote.mcpServers['toolport-demo']).toEqual({
      command: 'npx',
      args: ['-y', 'mcp-remote', 'http://127.0.0.1:8090/mcp/demo', '--header', 'Authorization:${AUTH_HEADER}'],
      env: { AUTH_HEADER: `Bearer ${API_KEY_PLACEHOLDER}` },
    });
    expect(config.cursor.mcpServers['toolport-demo']).toEqual({
      url: 'http://127.0.0.1:8090/mcp/demo',
      headers: { Authorization: `Bearer ${API_KEY_PLACEHOLDER}` },
    });
    expect(config.vscode.servers['toolport-demo']).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:8090/mcp/demo',
      headers: { Authorization: `Bearer ${API_KEY_PLACEHOLDER}` },
    });
    expect(config.inspector.command).toBe(
      `npx @modelcontextprotocol/inspector --cli http://127.0.0.1:8090/mcp/demo --transport http --header "Authorization: Bearer ${API_KEY_PLACEHOLDER}" --method tools/list`,
    );
  });

  it('targets a connector endpoint, embeds a given token and uses the given CLI argv', () => {
    const config = buildClientConfig({
      baseUrl: 'https://tp.example.com',
      projectId: 'p',
      connector: 'weather',
      token: 'tp_key',
      cli: ['npx', '-y', 'toolport'],
    });
    expect(config.mcp_url).toBe('https://tp.example.com/mcp/p/weather');
    expect(config.claude_desktop.stdio.mcpServers['toolport-p-weather']).toEqual({
      command: 'npx',
      args: [
        '-y',
        'toolport',
        'stdio',
        '--project',
        'p',
        '--connector',
        'weather',
        '--url',
        'https://tp.example.com',
        '--token',
        'tp_key',
      ],
    });
    expect(config.cursor.mcpServers['toolport-p-weather']!.headers.Authorization).toBe('Bearer tp_key');
  });
});
