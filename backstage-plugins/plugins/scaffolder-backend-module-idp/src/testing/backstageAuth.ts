// Test helper: Backstage's side of user identity. Signing keys made here, published as a JWKS
// over local HTTP (as Backstage's /api/auth/.well-known/jwks.json), and an AuthService whose
// getLimitedUserToken signs what Backstage's does: header {typ: vnd.backstage.limited-user, alg,
// kid}, payload {sub, iat, exp}, ES256. The real service checks those tokens against the JWKS.
import type { BackstageCredentials, BackstageUserPrincipal } from '@backstage/backend-plugin-api';
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IdentityAuth } from '../service/identity';

const JWKS_PATH = '/api/auth/.well-known/jwks.json';

/** Credentials as the scaffolder hands an action for a signed-in user. */
export function userCredentials(userEntityRef: string): BackstageCredentials<BackstageUserPrincipal> {
  return { $$type: '@backstage/BackstageCredentials', principal: { type: 'user', userEntityRef } };
}

/** Credentials of a service (a dry run with a service token): no user. */
export function serviceCredentials(subject = 'external:ci'): BackstageCredentials {
  return { $$type: '@backstage/BackstageCredentials', principal: { type: 'service', subject } } as BackstageCredentials;
}

export class TestBackstageAuth implements IdentityAuth {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private server?: Server;
  readonly kid = 'test-key-1';

  constructor() {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  }

  /** Serves the JWKS; answers `{ jwksUrl, issuer }`, the service's `auth.backstage`. */
  async start(): Promise<{ jwksUrl: string; issuer: string }> {
    const jwks = JSON.stringify({ keys: [{ ...this.publicKey.export({ format: 'jwk' }), kid: this.kid, alg: 'ES256', use: 'sig' }] });
    this.server = createServer((request, response) => {
      if (request.url !== JWKS_PATH) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(jwks);
    });
    await new Promise<void>(resolve => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return { jwksUrl: `http://127.0.0.1:${port}${JWKS_PATH}`, issuer: `http://127.0.0.1:${port}/api/auth` };
  }

  async stop(): Promise<void> {
    await new Promise<void>(resolve => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  isPrincipal: IdentityAuth['isPrincipal'] = ((credentials: BackstageCredentials, type: string) =>
    type === 'unknown' || (credentials.principal as { type: string }).type === type) as IdentityAuth['isPrincipal'];

  async getLimitedUserToken(credentials: BackstageCredentials<BackstageUserPrincipal>): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + 3600;
    const header = encode({ typ: 'vnd.backstage.limited-user', alg: 'ES256', kid: this.kid });
    const payload = encode({ sub: credentials.principal.userEntityRef, iat, exp });
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), { key: this.privateKey, dsaEncoding: 'ieee-p1363' });
    return { token: `${header}.${payload}.${signature.toString('base64url')}`, expiresAt: new Date(exp * 1000) };
  }
}

function encode(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
