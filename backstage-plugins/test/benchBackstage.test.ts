// `python -m bench.backstage` keeps working end to end on a tiny repository (the provider side:
// the url Location's change waits for its turn on the processing loop, 100-150 s). Its figures
// are read by people; this checks that each is printed and that the change did arrive.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { REPO_ROOT } from './support/catalogService';

describe('the Backstage benchmark', () => {
  it('runs the provider side on 20 applications and prints every figure beside its target', async () => {
    const python = process.env.CATALOG_PYTHON ?? path.join(REPO_ROOT, '.venv/bin/python');
    const args = ['-m', 'bench.backstage', '--apps', '20', '--skip-url-location', '--settle', '1', '--background', '1'];
    const { stdout } = await promisify(execFile)(python, args, { cwd: REPO_ROOT, timeout: 180_000 });
    // 20 applications, 2 resources each, in 20 systems
    assert.match(stdout, /^20 applications = 80 entities/m);
    for (const figure of [
      /full load .* no slower than the url Location \(url skipped\)/,
      /push -> changed entity in the catalog API +\d+\.\d s +skipped .* < 5 s/,
      /processing runs of the changed entities +\d+ runs/,
      /longest event-loop stall, full load +[\d,]+ ms/,
      /longest event-loop stall, the change +[\d,]+ ms/,
      /node peak RSS +[\d,]+ MB/,
    ]) {
      assert.match(stdout, figure);
    }
    assert.match(stdout, /processing errors the catalog reported: \{'provider': 0\}/);
  });
});
