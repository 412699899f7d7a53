/** The scaffolder module `idp`: self-service actions of the IDP catalog service. */
export { scaffolderModuleIdp as default } from './module';
export { createIdpApplicationCreateAction, createApplicationInput } from './actions/createApplication/createApplication';
export { createIdpImagePromoteAction, promoteImageInput } from './actions/promoteImage/promoteImage';
export { createIdpImageSetVersionAction, setVersionInput } from './actions/setVersion/setVersion';
export { createIdpApplicationRestartAction, restartApplicationInput } from './actions/restartApplication/restartApplication';
export { createIdpDatabaseCopyAction, copyDatabaseInput } from './actions/copyDatabase/copyDatabase';
export {
  IdpServiceClient,
  type IdpActionName,
  type IdpActionResult,
  type IdpManifestActionName,
  type IdpRestartedResource,
  type IdpRestartResult,
} from './service/IdpServiceClient';
export { BACKSTAGE_TOKEN_HEADER, signedInUserToken, type IdentityAuth } from './service/identity';
