// Marks the CLI executable after tsc emits it (npm links `bin` to it).
import { chmodSync, existsSync } from 'node:fs';

if (existsSync('dist/cli.js')) chmodSync('dist/cli.js', 0o755);
