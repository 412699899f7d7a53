import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Entity } from '@backstage/catalog-model';
import { hashEntities, hashOf, refOf } from './entityHashes';
import { textHash } from './readEntities';
import { component } from './testServer';

const entities = (count: number) => Array.from({ length: count }, (_, i) => component(`c-${i}`) as unknown as Entity);

describe('hashEntities', () => {
  it('answers one hash per lowercase ref, the same as hashing each entity alone', async () => {
    const list = [...entities(3), component('Upper') as unknown as Entity];
    const hashes = (await hashEntities(list)).byRef;
    assert.deepEqual([...hashes.keys()], ['component:default/c-0', 'component:default/c-1', 'component:default/c-2', 'component:default/upper']);
    list.forEach(entity => assert.equal(hashes.get(refOf(entity)), hashOf(entity)));
  });

  it('does not depend on the order of keys, and does on any value', () => {
    const a = component('a');
    const reordered = Object.fromEntries(Object.entries(a).reverse());
    assert.equal(hashOf(a as unknown as Entity), hashOf(reordered as unknown as Entity));
    assert.notEqual(hashOf(a as unknown as Entity), hashOf(component('a', 'other') as unknown as Entity));
  });

  it('keeps the hash of an item whose text the last read had, and hashes the others anew', async () => {
    const list = entities(3);
    const texts = list.map(entity => textHash(JSON.stringify(entity)));
    const first = await hashEntities(list, texts);
    assert.equal(first.byText.size, 3);
    // A stand-in hash for the first text proves that a known text is not hashed again.
    const known = new Map(first.byText);
    known.set(texts[0], { entity: list[0], hash: 'kept' });
    const changed = component('c-2', 'changed') as unknown as Entity;
    const second = await hashEntities([list[0], list[1], changed], [texts[0], texts[1], textHash(JSON.stringify(changed))], known);
    assert.deepEqual([...second.byRef.values()], ['kept', first.byRef.get('component:default/c-1'), hashOf(changed)]);
    assert.notEqual(hashOf(changed), first.byRef.get('component:default/c-2'));
  });

  it('lets the event loop turn while it hashes many entities (the catalog keeps answering)', async () => {
    let hashing = true;
    let turnedWhileHashing = false;
    setImmediate(() => {
      turnedWhileHashing = hashing;
    });
    const hashes = await hashEntities(entities(3000));
    hashing = false;
    assert.equal(hashes.byRef.size, 3000);
    assert.equal(turnedWhileHashing, true);
  });
});
