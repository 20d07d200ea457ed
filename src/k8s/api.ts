/**
 * The one door to @kubernetes/client-node. Only its generated API layer is
 * imported: the package's index also loads its kubeconfig loader, exec,
 * attach, cp and watch support (ws, tar-fs, jsonpath-plus, js-yaml...),
 * none of which this tool uses, and which cost start-up time on every run.
 */
export {
  ApiException,
  ApisApi,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  RbacAuthorizationV1Api,
  ResponseContext,
  ServerConfiguration,
  VersionApi,
  createConfiguration,
  wrapHttpLibrary,
} from '@kubernetes/client-node/dist/gen/index.js';
export type {
  HttpLibrary,
  RequestContext,
  SecurityAuthentication,
  V1APIResource,
} from '@kubernetes/client-node/dist/gen/index.js';
export { setHeaderOptions } from '@kubernetes/client-node/dist/middleware.js';
export { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
