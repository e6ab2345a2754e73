// The wire limit: a raw loopback TCP copy. `serve FILE` sends the file to every connection (prints {"port":N});
// `recv PORT` reads one connection to its end, discarding, and prints a ClientReport line.
import fs from 'node:fs';
import net from 'node:net';
import { elapsed, printReport } from './report';

const [mode, arg] = process.argv.slice(2);
if (mode === 'serve') {
  const server = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    fs.createReadStream(arg, { highWaterMark: 1024 * 1024 }).pipe(socket);
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
} else if (mode === 'recv') {
  const start = process.hrtime.bigint();
  let bytes = 0;
  const socket = net.connect(Number(arg), '127.0.0.1');
  socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
  socket.on('end', () => printReport(elapsed(start), bytes));
  socket.on('error', (err) => {
    process.stderr.write(`raw-tcp: ${err.message}\n`);
    process.exit(1);
  });
} else {
  process.stderr.write('usage: raw-tcp serve FILE | recv PORT\n');
  process.exit(2);
}
