/**
 * The answers test/fixtures/mcp/raw-upstream.mjs gives, by tool name, with the arguments that ask for them: every
 * kind of result the lean tools/call path and the SDK client path must turn into the same thing.
 */
export const RAW_CASES: readonly [string, Record<string, unknown>][] = [
  ['text', { text: 'hello' }],
  ['structured', {}],
  ['structured_only', {}],
  ['tool_error', {}],
  ['rich', {}],
  ['rpc_error', {}],
  ['invalid_result', {}],
  ['no_content', {}],
  ['noisy', {}],
];
