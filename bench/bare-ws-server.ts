// The server section's baseline: the least a `/ws` echo server can do per step (parse the frame,
// build the observation, serialise, send) on the same `ws` library and options as ours, with
// no validation and no env abstraction. `node bare-ws-server.js` on PORT (127.0.0.1 only).
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.env['PORT'] ?? 0);
const http = createServer((req, res) => {
  const body = req.url === '/health' ? '{"status":"healthy"}' : '{"detail":"Not Found"}';
  res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
const wss = new WebSocketServer({ server: http, path: '/ws', perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { type?: string; data?: { message?: string } };
    if (message.type === 'close') return socket.close(1000);
    const text = message.type === 'step' ? String(message.data?.message ?? '') : 'Echo environment ready!';
    const length = message.type === 'step' ? text.length : 0;
    socket.send(JSON.stringify({ type: 'observation', data: { observation: { echoed_message: text, message_length: length }, reward: length * 0.1, done: false } }));
  });
});
http.listen(port, '127.0.0.1', () => process.stdout.write(`bare ws server on ${port}\n`));
const stop = (): void => {
  for (const client of wss.clients) client.terminate();
  http.close(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
