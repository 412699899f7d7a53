import { mockCredentials, mockServices, startTestBackend } from '@backstage/backend-test-utils';
import proxyPlugin from '@backstage/plugin-proxy-backend';
import knexFactory from 'knex';

/** A real Backstage backend with the real proxy plugin: `proxy.endpoints./idp` → the service. */
export interface ProxyBackend {
  /** What `discoveryApi.getBaseUrl('proxy')` answers in a browser: `http://127.0.0.1:<port>/api/proxy`. */
  proxyBaseUrl: string;
  stop(): Promise<void>;
}

/** Starts Backstage's proxy in front of the catalog service, as docs/backstage.md configures it. */
export async function startProxyBackend(serviceBaseUrl: string): Promise<ProxyBackend> {
  // Our own database: the default in-memory one keeps a timer alive after `stop()`.
  const knex = knexFactory({ client: 'better-sqlite3', connection: ':memory:', useNullAsDefault: true });
  const backend = await startTestBackend({
    features: [
      proxyPlugin,
      mockServices.database.factory({ knex }),
      // A request without a Backstage token is nobody's, as in production (the mock's default
      // would make it the mock user's): the proxy then answers 401.
      mockServices.httpAuth.factory({ defaultCredentials: mockCredentials.none() }),
      mockServices.rootConfig.factory({
        data: { proxy: { endpoints: { '/idp': { target: serviceBaseUrl, allowedMethods: ['GET'] } } } },
      }),
    ],
  });
  const address = backend.server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`the test backend listens on ${String(address)}, not a port`);
  }
  return {
    proxyBaseUrl: `http://127.0.0.1:${address.port}/api/proxy`,
    stop: async () => {
      await backend.stop();
      await knex.destroy();
    },
  };
}
