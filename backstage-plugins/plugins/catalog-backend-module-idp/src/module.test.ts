import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createBackendModule } from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogProcessingExtensionPoint, type EntityProvider } from '@backstage/plugin-catalog-node';
import { eventsServiceFactory, eventsServiceRef, type EventsService } from '@backstage/plugin-events-node';
import { catalogModuleIdp } from './module';
import { component, serviceLike, startTestServer } from './providers/testServer';

describe('catalogModuleIdp', () => {
  const serverPromise = startTestServer();
  after(async () => {
    await (await serverPromise).close();
  });

  it('adds one provider per configured instance and reads when an idp.catalog event arrives', async () => {
    const server = await serverPromise;
    server.answer = serviceLike([component('a')], 'r1');
    const providers: EntityProvider[] = [];
    let events: EventsService | undefined;
    const eventsCapture = createBackendModule({
      pluginId: 'catalog',
      moduleId: 'test-events',
      register(env) {
        env.registerInit({ deps: { service: eventsServiceRef }, async init({ service }) { events = service; } });
      },
    });
    const schedule = { frequency: { hours: 1 }, timeout: { minutes: 1 } };
    const backend = await startTestBackend({
      extensionPoints: [[catalogProcessingExtensionPoint, { addEntityProvider: (...added: unknown[]) => providers.push(...(added.flat() as EntityProvider[])) }]],
      features: [
        catalogModuleIdp,
        eventsCapture,
        eventsServiceFactory, // the real one: shared by the plugins, as in a Backstage
        mockServices.rootConfig.factory({
          data: { catalog: { providers: { idp: { one: { baseUrl: server.baseUrl, schedule }, two: { baseUrl: server.baseUrl, schedule } } } } },
        }),
      ],
    });
    try {
      assert.deepEqual(providers.map(p => p.getProviderName()), ['idp:one', 'idp:two']);
      const applied: string[] = [];
      for (const provider of providers) {
        await provider.connect({ applyMutation: async m => void applied.push(`${provider.getProviderName()} ${m.type}`), refresh: async () => {} });
      }
      // The test backend's scheduler runs nothing until told: whatever is read came by the event.
      const requests = server.requests.length;
      assert.ok(events, 'the events service was not captured');
      await events.publish({ topic: 'idp.catalog', eventPayload: { revision: 'r1' } });
      assert.equal(server.requests.length - requests, 2, 'each provider read once on the event');
      assert.deepEqual(applied.sort(), ['idp:one full', 'idp:two full']);
      await events.publish({ topic: 'another.topic', eventPayload: {} });
      assert.equal(server.requests.length - requests, 2, 'another topic reads nothing');
    } finally {
      await backend.stop();
    }
  });
});
