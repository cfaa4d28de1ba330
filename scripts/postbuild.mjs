// After tsc: bundles the Python runner package into python/toolport_runner.py and marks the CLI executable
// (npm links `bin` to it).
import { chmodSync, existsSync } from 'node:fs';
import { writeRunnerBundle } from './bundle-runner.mjs';

writeRunnerBundle();
if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
