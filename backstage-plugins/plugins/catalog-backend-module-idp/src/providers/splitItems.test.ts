import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitItems } from './splitItems';

/** What splitItems answers, each piece parsed: equal to one JSON.parse of the body when it works. */
async function parsedPieces(text: string) {
  const split = await splitItems(text);
  assert.ok(split, `no items array found in ${text.slice(0, 80)}`);
  return { envelope: JSON.parse(split.envelope), items: split.items.map(item => JSON.parse(item)) };
}

describe('splitItems', () => {
  const tricky = [
    { kind: 'A', metadata: { name: 'a', description: 'commas, ] brackets [ { } and "quotes"' } },
    { kind: 'B', spec: { list: [1, [2, 3], { x: [] }], path: 'C:\\\\dir\\\\', escaped: '\\"],' } },
    'a string item',
    42,
    null,
    [],
  ];

  for (const [what, text] of [
    ['compact JSON', JSON.stringify({ items: tricky, revision: 'r1' })],
    ['pretty-printed JSON', JSON.stringify({ apiVersion: 'v1', items: tricky, revision: 'r1', more: { items: [9] } }, null, 2)],
    ['items after other keys with arrays', JSON.stringify({ tags: ['items', []], revision: 'r1', items: tricky })],
  ]) {
    it(`cuts ${what} into the same items and an envelope with items: []`, async () => {
      const whole = JSON.parse(text);
      const { envelope, items } = await parsedPieces(text);
      assert.deepEqual(items, whole.items);
      assert.deepEqual(envelope, { ...whole, items: [] });
    });
  }

  it('answers no items for an empty array', async () => {
    assert.deepEqual(await splitItems('{"items": [ ], "revision": "r"}'), { envelope: '{"items": [], "revision": "r"}', items: [] });
  });

  it('answers undefined when there is no top-level items array to cut', async () => {
    for (const text of ['{"revision":"r"}', '{"a":{"items":[1]}}', '{"items":"no"}', '{"items":[1,2', '<html>', '']) {
      assert.equal(await splitItems(text), undefined, text);
    }
  });

  it('lets the event loop turn while it scans a large body', async () => {
    const text = JSON.stringify({ items: Array.from({ length: 20000 }, (_, i) => ({ name: `item-${i}`, pad: 'x'.repeat(100) })), revision: 'r' });
    let scanning = true;
    let turnedWhileScanning = false;
    setImmediate(() => {
      turnedWhileScanning = scanning;
    });
    const split = await splitItems(text);
    scanning = false;
    assert.equal(split?.items.length, 20000);
    assert.equal(turnedWhileScanning, true);
  });
});
