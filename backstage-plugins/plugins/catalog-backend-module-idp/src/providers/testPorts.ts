// Test helper: the URL of a port on which nothing listens (it stays free until someone takes it).
import net from 'node:net';

export function freePortUrl(): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(`http://127.0.0.1:${port}`));
    });
  });
}
