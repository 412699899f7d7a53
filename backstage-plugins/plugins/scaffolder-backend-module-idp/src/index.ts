/** The scaffolder module `idp`: self-service actions of the IDP catalog service. */
export { scaffolderModuleIdp as default } from './module';
export { createIdpApplicationCreateAction, createApplicationInput } from './actions/createApplication/createApplication';
export { createIdpImagePromoteAction, promoteImageInput } from './actions/promoteImage/promoteImage';
export { createIdpImageSetVersionAction, setVersionInput } from './actions/setVersion/setVersion';
export { IdpServiceClient, type IdpActionName, type IdpActionResult } from './service/IdpServiceClient';
export { BACKSTAGE_TOKEN_HEADER, signedInUserToken, type IdentityAuth } from './service/identity';
