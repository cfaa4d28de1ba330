// The client side of bench/tools-list.mjs, in its own process: the gateway's process then holds only the server's
// heap, and the client's parsing of every 44 KB answer neither pauses nor competes with it inside one event loop.
// Usage (by tools-list.mjs): node bench/list-client.mjs '{"url":…,"calls":…,"duration":…,"connections":…,"tools":…}'
import { closedLoop, openSession, rpc, rpcBody, sequentialLatency } from './lib.mjs';

const { url, calls, duration, connections, tools } = JSON.parse(process.argv[2] ?? '{}');
const session = await openSession(url, { authorization: 'Bearer bench' });
const answer = await rpc(session, rpcBody('tools/list'));
const listed = answer?.result?.tools?.length;
if (listed !== tools) throw new Error(`${url}: tools/list returned ${listed} tools, not ${tools}`);
const result = { bytes: Buffer.byteLength(JSON.stringify(answer)) };
result.sequential = await sequentialLatency(session, rpcBody('tools/list'), { calls });
const listBody = (id) => `{"jsonrpc":"2.0","id":"${id}","method":"tools/list","params":{}}`;
result.concurrent = await closedLoop(session, listBody, (a) => a.result?.tools?.length === tools, {
  duration,
  connections,
});
console.log(`RESULT ${JSON.stringify(result)}`);
