// The three packages as a platform team gets them: `npm pack`ed, installed from the tarballs into
// a fresh app made of the pinned Backstage set (nothing of this workspace on its path), then
//  - a real backend (`@backstage/backend-defaults`, the real catalog, scaffolder and events
//    plugins) starts with both modules, reads the demo service into the catalog and lists the
//    idp actions, reached with a static `backend.auth.externalAccess` token;
//  - a frontend app file using the plugin (new system and legacy exports) type-checks.
// Slow (a cold `npm install` of the app): `npm run test:tarballs`, not `npm test`; scripts/test.sh runs it last.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { type CatalogService, startCatalogService } from '../support/catalogService';
import { freePort } from '../support/freePort';

const WORKSPACE = path.resolve(__dirname, '../..');
const PACKAGES = ['@idp/plugin-catalog-backend-module-idp', '@idp/plugin-scaffolder-backend-module-idp', '@idp/plugin-idp'];
const EXTERNAL_TOKEN = 'tarball-test-external-access-token';
// The app's own dependencies: exactly the workspace's pins of these.
const APP_DEPENDENCIES = [
  '@backstage/backend-defaults', '@backstage/backend-plugin-api', '@backstage/plugin-catalog-backend',
  '@backstage/plugin-scaffolder-backend', '@backstage/plugin-events-backend', '@backstage/catalog-model',
  '@backstage/frontend-plugin-api', '@backstage/frontend-defaults', '@backstage/plugin-catalog-react',
  '@backstage/core-components', '@backstage/core-plugin-api', 'react', 'react-dom', 'react-router-dom',
  '@types/react', '@types/react-dom', '@types/node', 'typescript', 'better-sqlite3',
];

const pins: Record<string, string> = JSON.parse(readFileSync(path.join(WORKSPACE, 'package.json'), 'utf8')).devDependencies;
let scratch = '';
let tarballs: Record<string, string> = {};
let service: CatalogService | undefined;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

before(async () => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'idp-tarballs-'));
  const packed = path.join(scratch, 'tarballs');
  mkdirSync(packed);
  run('npm', ['run', '--silent', 'build'], WORKSPACE);
  for (const name of PACKAGES) {
    const [info] = JSON.parse(run('npm', ['pack', '--json', '-w', name, '--pack-destination', packed], WORKSPACE));
    tarballs[name] = path.join(packed, info.filename);
  }
  const app = path.join(scratch, 'app');
  mkdirSync(path.join(app, 'src'), { recursive: true });
  const dependencies: Record<string, string> = {};
  for (const name of APP_DEPENDENCIES) {
    assert.ok(pins[name], `${name} is not pinned in ${WORKSPACE}/package.json`);
    dependencies[name] = pins[name];
  }
  for (const [name, file] of Object.entries(tarballs)) {
    dependencies[name] = `file:${file}`;
  }
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({
    name: 'scratch-app', private: true, dependencies, overrides: { 'better-sqlite3': pins['better-sqlite3'] },
  }, null, 2));
  writeFileSync(path.join(app, '.npmrc'), 'fund=false\naudit=false\n');
  const started = Date.now();
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], app);
  console.log(`scratch app installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  service = await startCatalogService();
});

after(async () => {
  await service?.stop();
  if (scratch && !process.env.KEEP_SCRATCH) {
    rmSync(scratch, { recursive: true, force: true });
  }
});

describe('the packed plugins', () => {
  it('hold dist/ with types, point main and types there, and are not private', () => {
    for (const [name, tarball] of Object.entries(tarballs)) {
      const files = run('tar', ['-tzf', tarball], scratch).trim().split('\n');
      const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], scratch));
      assert.equal(manifest.private, undefined, name);
      assert.ok(files.includes(`package/${manifest.main}`), `${name}: main ${manifest.main} is not in the tarball`);
      assert.ok(files.includes(`package/${manifest.types}`), `${name}: types ${manifest.types} is not in the tarball`);
      assert.ok(files.includes('package/config.d.ts'), `${name}: no config.d.ts`);
      assert.deepEqual(files.filter(file => file.startsWith('package/src/')), [], `${name} ships its sources`);
      for (const [dependency, range] of Object.entries<string>(manifest.dependencies)) {
        if (dependency.startsWith('@backstage/')) {
          assert.match(range, /^\^/, `${name}: ${dependency} ${range} is not a caret range`);
        }
      }
    }
  });

  it('start in a fresh backend: the catalog reads the service, the scaffolder has the idp actions', async () => {
    const app = path.join(scratch, 'app');
    const port = await freePort();
    writeFileSync(path.join(app, 'app-config.yaml'), JSON.stringify({
      backend: {
        baseUrl: `http://127.0.0.1:${port}`,
        listen: { port, host: '127.0.0.1' },
        database: { client: 'better-sqlite3', connection: ':memory:' },
        auth: { externalAccess: [{ type: 'static', options: { token: EXTERNAL_TOKEN, subject: 'tarball-test' } }] },
      },
      catalog: { providers: { idp: { demo: { baseUrl: service!.baseUrl, schedule: { frequency: { minutes: 30 }, timeout: { minutes: 1 } } } } } },
      idp: { baseUrl: service!.baseUrl, token: 'demo-token-0123456789' },
    }));
    writeFileSync(path.join(app, 'backend.js'), [
      "const { createBackend } = require('@backstage/backend-defaults');",
      'const backend = createBackend();',
      "backend.add(require('@backstage/plugin-catalog-backend'));",
      "backend.add(require('@backstage/plugin-events-backend'));",
      "backend.add(require('@backstage/plugin-scaffolder-backend'));",
      "backend.add(require('@idp/plugin-catalog-backend-module-idp'));",
      "backend.add(require('@idp/plugin-scaffolder-backend-module-idp'));",
      'backend.start();',
    ].join('\n'));
    const child = spawn('node', ['backend.js', '--config', 'app-config.yaml'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', chunk => (output = (output + chunk).slice(-20_000)));
    child.stderr.on('data', chunk => (output = (output + chunk).slice(-20_000)));
    const headers = { Authorization: `Bearer ${EXTERNAL_TOKEN}` };
    try {
      const deadline = Date.now() + 120_000;
      let names: string[] = [];
      while (Date.now() < deadline && !names.includes('payments-api')) {
        assert.equal(child.exitCode, null, `the backend exited:\n${output}`);
        const response = await fetch(`http://127.0.0.1:${port}/api/catalog/entities/by-query?filter=kind=component&fields=metadata.name&limit=500`, { headers }).catch(() => undefined);
        if (response?.ok) {
          names = ((await response.json()) as { items: { metadata: { name: string } }[] }).items.map((entity: { metadata: { name: string } }) => entity.metadata.name);
        }
        await sleep(500);
      }
      assert.ok(names.includes('payments-api'), `no payments-api in the catalog (${names.join(', ')}):\n${output}`);
      const actions = await fetch(`http://127.0.0.1:${port}/api/scaffolder/v2/actions`, { headers });
      assert.equal(actions.status, 200, output);
      const ids = ((await actions.json()) as { id: string }[]).map((action: { id: string }) => action.id);
      const ours = ['idp:application:create', 'idp:image:promote', 'idp:image:set-version', 'idp:application:restart', 'idp:database:copy'];
      assert.ok(ours.every(id => ids.includes(id)), ids.join(', '));
      const anonymous = await fetch(`http://127.0.0.1:${port}/api/catalog/entities/by-query?limit=1`);
      assert.equal(anonymous.status, 401);
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('type-check in a frontend app: the new system plugin and the legacy exports', () => {
    const app = path.join(scratch, 'app');
    writeFileSync(path.join(app, 'src', 'App.tsx'), [
      "import React from 'react';",
      "import { createApp } from '@backstage/frontend-defaults';",
      "import idpPlugin, { EntityIdpDeploymentsCard, IdpPage, idpApiRef, IdpClient, legacyIdpPlugin } from '@idp/plugin-idp';",
      'export const app = createApp({ features: [idpPlugin] });',
      'export const legacyCard = <EntityIdpDeploymentsCard />;',
      'export const legacyPage = <IdpPage />;',
      "export const ids: string[] = [idpApiRef.id, legacyIdpPlugin.getId(), idpPlugin.pluginId];",
      'export type Client = IdpClient;',
    ].join('\n'));
    writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true, jsx: 'react', module: 'ES2020', moduleResolution: 'bundler', target: 'ES2022',
        lib: ['DOM', 'ES2022'], esModuleInterop: true, skipLibCheck: true, noEmit: true, types: [],
      },
      include: ['src'],
    }));
    try {
      run(path.join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app);
    } catch (error) {
      assert.fail(`tsc failed in the scratch app:\n${(error as { stdout?: string }).stdout}`);
    }
    assert.ok(readdirSync(path.join(app, 'node_modules/@idp')).length === 3);
  });
});
