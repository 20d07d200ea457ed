/**
 * What every command gets from main.ts: the environment, the streams and
 * the way to reach the cluster. Tests pass their own.
 */
import type { HttpLibrary } from '../k8s/api.js';

import { type KubeClients, createClients } from '../k8s/client.js';
import { createTransport } from '../k8s/transport.js';
import { getCredentials } from '../kubeconfig/credentials.js';
import { quote } from '../kubeconfig/fields.js';
import { loadKubeconfig } from '../kubeconfig/load.js';
import { resolveConfig } from '../kubeconfig/resolve.js';
import type {
  ConnectionFlags,
  Credentials,
  Impersonation,
  ResolvedConfig,
} from '../kubeconfig/types.js';
import type { OutputSink } from '../kubeconfig/write.js';
import type { Logger } from '../log.js';

/** The process around a command. */
export interface Deps {
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** stdout: the command's result only (a kubeconfig, --dry-run manifests, list's table). */
  out: OutputSink;
  stdinIsTTY: boolean;
  now(): Date;
  /** Replaces the HTTP layer (unit tests fake the API here). */
  httpApi?: HttpLibrary;
}

/** Finds, merges and resolves the kubeconfig as kubectl would. */
export async function loadContext(flags: ConnectionFlags, deps: Deps): Promise<ResolvedConfig> {
  const merged = await loadKubeconfig({
    explicitPath: flags.kubeconfig,
    env: deps.env,
    log: deps.log,
  });
  const config = resolveConfig(merged, flags, deps.log);
  deps.log.v(
    1,
    `using context ${quote(config.contextName)} (cluster ${quote(config.cluster.name)},` +
      ` user ${quote(config.user.name)}, namespace ${quote(config.namespace)})`,
  );
  return config;
}

/** Runs the caller's credential plugins and opens the API clients. */
export async function connect(config: ResolvedConfig, deps: Deps): Promise<KubeClients> {
  const credentials = await getCredentials(config, {
    env: deps.env,
    stdinIsTTY: deps.stdinIsTTY,
    log: deps.log,
  });
  return openClients(config, credentials, deps, config.user.impersonate);
}

/** Opens API clients for `config`'s cluster with plain `credentials`. */
export function openClients(
  config: ResolvedConfig,
  credentials: Credentials,
  deps: Deps,
  impersonate?: Impersonation,
): KubeClients {
  const transport = createTransport({
    cluster: config.cluster,
    credentials,
    impersonate,
    requestTimeoutMs: config.requestTimeoutMs,
    env: deps.env,
    log: deps.log,
  });
  const api = deps.httpApi ? { ...transport, httpApi: deps.httpApi } : transport;
  return createClients(config.cluster.server, api);
}
