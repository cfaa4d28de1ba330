// The upstream of the HTTP-connector column of bench/gateway.mjs: a plain node:http server that answers every
// POST with the JSON body it received. Usage: node bench/http-echo.mjs PORT
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
}).listen(port, '127.0.0.1');
