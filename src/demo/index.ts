/**
 * The demo's own local API (tasks and quotes, in memory), mounted by `toolport serve --samples` so the demo
 * project's HTTP connectors work offline.
 */
export { registerDemoApi, DEMO_API_PREFIX, DEMO_QUOTES_KEY } from './demo-api.js';
