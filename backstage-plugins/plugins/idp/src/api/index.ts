export { IdpClient, IdpRequestError } from './IdpClient';
export type { IdpClientOptions } from './IdpClient';
export { idpApiRef } from './ref';
export type * from './types';
