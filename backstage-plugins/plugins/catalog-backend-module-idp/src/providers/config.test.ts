import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigReader } from '@backstage/config';
import { DEFAULT_FULL_EVERY_MS, readIdpProviderConfigs } from './config';

const schedule = { frequency: { minutes: 5 }, timeout: { minutes: 1 } };
const read = (idp: unknown) => readIdpProviderConfigs(new ConfigReader({ catalog: { providers: { idp } } } as never));

describe('readIdpProviderConfigs', () => {
  it('answers nothing when no provider is configured', () => {
    assert.deepEqual(readIdpProviderConfigs(new ConfigReader({})), []);
  });

  it('reads every instance with its defaults', () => {
    const [a, b] = read({
      a: { baseUrl: 'http://catalog:8080/', schedule },
      b: { baseUrl: 'https://catalog.example', token: 'read-token-0123456789', schedule, fullEvery: 'PT10M' },
    });
    assert.equal(a.id, 'a');
    assert.equal(a.baseUrl, 'http://catalog:8080', 'without the trailing slash');
    assert.equal(a.token, undefined);
    assert.equal(a.fullEveryMs, DEFAULT_FULL_EVERY_MS);
    assert.deepEqual(a.schedule.frequency, { minutes: 5 });
    assert.equal(b.token, 'read-token-0123456789');
    assert.equal(b.fullEveryMs, 10 * 60 * 1000);
    assert.equal(read({ c: { baseUrl: 'http://x', schedule, fullEvery: { hours: 2 } } })[0].fullEveryMs, 2 * 3600 * 1000);
  });

  const wrong: Array<[string, unknown, RegExp]> = [
    ['a missing baseUrl', { a: { schedule } }, /baseUrl/],
    ['a baseUrl that is no URL', { a: { baseUrl: 'catalog:8080', schedule } }, /catalog\.providers\.idp\.a\.baseUrl: "catalog:8080" is not an http\(s\) URL/],
    ['a relative baseUrl', { a: { baseUrl: '/api', schedule } }, /catalog\.providers\.idp\.a\.baseUrl: "\/api" is not a URL/],
    ['a missing schedule', { a: { baseUrl: 'http://x' } }, /catalog\.providers\.idp\.a\.schedule is missing/],
    ['a fullEvery of zero', { a: { baseUrl: 'http://x', schedule, fullEvery: { minutes: 0 } } }, /fullEvery must be longer than zero/],
  ];
  for (const [what, idp, message] of wrong) {
    it(`rejects ${what}`, () => {
      assert.throws(() => read(idp), message);
    });
  }
});
