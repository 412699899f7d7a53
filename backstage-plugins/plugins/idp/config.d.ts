export interface Config {
  /** The IDP catalog frontend plugin (`@idp/plugin-idp`). */
  idp?: {
    /**
     * The environments in promotion order, as the catalog service's `environments`; default:
     * each entity's own `idp/version.*` annotations, in the order the service wrote them.
     * @visibility frontend
     */
    environments?: string[];
    /**
     * The proxy endpoint that reaches the service (`proxy.endpoints./idp`), default `/idp`.
     * @visibility frontend
     */
    proxyPath?: string;
    /**
     * The scaffolder page of the promote-image template, default
     * `/create/templates/default/idp-promote-image`.
     * @visibility frontend
     */
    promoteTemplatePath?: string;
    /**
     * The scaffolder page of the restart-application template, default
     * `/create/templates/default/idp-restart-application`.
     * @visibility frontend
     */
    restartTemplatePath?: string;
  };
}
