import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Entity } from '@backstage/catalog-model';
import { hashEntities, hashOf, refOf } from './entityHashes';
import { component } from './testServer';

const entities = (count: number) => Array.from({ length: count }, (_, i) => component(`c-${i}`) as unknown as Entity);

describe('hashEntities', () => {
  it('answers one hash per lowercase ref, the same as hashing each entity alone', async () => {
    const list = [...entities(3), component('Upper') as unknown as Entity];
    const hashes = await hashEntities(list);
    assert.deepEqual([...hashes.keys()], ['component:default/c-0', 'component:default/c-1', 'component:default/c-2', 'component:default/upper']);
    list.forEach(entity => assert.equal(hashes.get(refOf(entity)), hashOf(entity)));
  });

  it('does not depend on the order of keys, and does on any value', () => {
    const a = component('a');
    const reordered = Object.fromEntries(Object.entries(a).reverse());
    assert.equal(hashOf(a as unknown as Entity), hashOf(reordered as unknown as Entity));
    assert.notEqual(hashOf(a as unknown as Entity), hashOf(component('a', 'other') as unknown as Entity));
  });

  it('lets the event loop turn while it hashes many entities (the catalog keeps answering)', async () => {
    let hashing = true;
    let turnedWhileHashing = false;
    setImmediate(() => {
      turnedWhileHashing = hashing;
    });
    const hashes = await hashEntities(entities(3000));
    hashing = false;
    assert.equal(hashes.size, 3000);
    assert.equal(turnedWhileHashing, true);
  });
});
