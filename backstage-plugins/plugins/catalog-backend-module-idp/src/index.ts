/** The catalog module `idp`: Backstage entities from the IDP catalog service. */
export { catalogModuleIdp as default } from './module';
export { IDP_CATALOG_TOPIC, IdpEntityProvider, type RefreshOutcome } from './providers/IdpEntityProvider';
export { type IdpProviderConfig, readIdpProviderConfigs } from './providers/config';
export { IdpReadError, readEntities, type ReadResult } from './providers/readEntities';
