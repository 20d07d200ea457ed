/**
 * The typed API clients of one run, all sharing one transport (and so one
 * keep-alive connection pool).
 */
import {
  ApisApi,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  ServerConfiguration,
  VersionApi,
  createConfiguration,
} from './api.js';

import type { Transport } from './transport.js';

/** The API groups this tool calls. */
export interface KubeClients {
  /** The server URL, for messages. */
  server: string;
  core: CoreV1Api;
  rbac: RbacAuthorizationV1Api;
  authn: AuthenticationV1Api;
  authz: AuthorizationV1Api;
  version: VersionApi;
  /** /apis, for discovery. */
  apis: ApisApi;
  /** Only for /apis/GROUP/VERSION discovery of any group. */
  custom: CustomObjectsApi;
  /** Ends the keep-alive connections so the process can exit at once. */
  close(): void;
}

/** Builds the clients for `server` on top of `transport`. */
export function createClients(server: string, transport: Transport): KubeClients {
  const config = createConfiguration({
    baseServer: new ServerConfiguration(server.replace(/\/+$/, ''), {}),
    httpApi: transport.httpApi,
    authMethods: { default: transport.auth },
  });
  return {
    server,
    core: new CoreV1Api(config),
    rbac: new RbacAuthorizationV1Api(config),
    authn: new AuthenticationV1Api(config),
    authz: new AuthorizationV1Api(config),
    version: new VersionApi(config),
    apis: new ApisApi(config),
    custom: new CustomObjectsApi(config),
    close: () => transport.close(),
  };
}
