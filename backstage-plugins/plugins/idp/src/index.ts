/**
 * `@idp/plugin-idp`: the IDP catalog in Backstage's frontend.
 *
 * The default export is the plugin for the new frontend system; the named `legacyIdpPlugin`,
 * `EntityIdpDeploymentsCard` and `IdpPage` are for an app of the legacy system.
 *
 * @packageDocumentation
 */
import { idpPlugin } from './plugin';

export default idpPlugin;
export { idpPlugin, rootRouteRef, IDP_COMPONENT_FILTER } from './plugin';
export { EntityIdpDeploymentsCard, IdpPage, legacyIdpPlugin, legacyRootRouteRef } from './legacy';
export * from './api';
export { environmentRows, promoteUrl, restartUrl, VERSION_ANNOTATION_PREFIX } from './components/deployments';
export { describeCopy, describePod } from './components/status';
export type { EnvironmentRow, EnvironmentLink } from './components/deployments';
