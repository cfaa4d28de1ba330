import { test } from 'vitest';
import { parseManifest, formatIssues } from '../../src/manifest/index.js';
const cases: string[] = [
`name: Weather
version: 1.0
kind: http
http:
  base_url: ftp://x
  timeout_ms: -1
  auth:
    type: api_key
    value: x
tools:
  - name: get
    endpoint: GET /forecast/{city}
    input_schema:
      type: object
      properties:
        lat: {type: numbr}
        b: {$ref: '#/$defs/nope'}
  - name: get
    htp: {}
    endpoint: FETCH /x
`,
`connector:
  name: w
  version: 1.0.0
  auth: {type: api_key}
  tools:
    - name: a
      endpoint: GET /x
`,
`connector:
  name: w
  version: 1.0.0
  auth: {type: api_key, key_name: X-Key}
  tools:
    - name: a
      endpoint: GET /x/{id}
`,
`name: w
version: 1.0.0
kind: python
`,
`name: w
version: 1.0.0
auth: {typ: none}
http:
  base_url: \${config.base}
  headers:
    X-A: \${config.tok} \${env.X}
  auth: {type: foo}
tools: []
`,
];
test('s', () => {
  for (const c of cases) {
    const r = parseManifest(c, { file: 'm.yaml' });
    console.log(r.ok ? JSON.stringify(r, null, 1) : formatIssues(r.issues));
  }
});
