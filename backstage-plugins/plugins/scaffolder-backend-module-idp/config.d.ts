export interface Config {
  /** The IDP catalog service that runs the scaffolder actions `idp:application:create` and `idp:image:promote`. */
  idp?: {
    /**
     * The service's base URL, e.g. `http://catalog-service.platform.svc:8080`; the actions call
     * `POST {baseUrl}/api/v1/actions/create-application` and `.../promote-image`.
     */
    baseUrl: string;
    /**
     * One of the service's `auth.tokens`, sent as `Authorization: Bearer <token>` (the action
     * endpoints refuse calls without it).
     * @visibility secret
     */
    token: string;
  };
}
