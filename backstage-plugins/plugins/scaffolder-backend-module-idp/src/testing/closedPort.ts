// Test helper: the URL of a port on 127.0.0.1 that nothing listens on (it was free a moment ago),
// for "the service cannot be reached": the one failure the real service cannot be made to show.
import net from 'node:net';

export function closedPortUrl(): Promise<string> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(`http://127.0.0.1:${address.port}`));
    });
  });
}
