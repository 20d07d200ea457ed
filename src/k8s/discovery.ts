/**
 * Maps --resource names to the server's real ones, as kubectl's RESTMapper
 * does for `kubectl create role`: plural, singular or short name, in the
 * group given or, without one, in the core group first and then any group.
 */
import type { V1APIResource } from './api.js';

import { UsageError } from '../errors.js';
import type { KubeClients } from './client.js';
import { settle } from '../settle.js';
import { describeApiError } from './errors.js';
import type { MappedResource, ResourceSpec } from './rules.js';

interface GroupResources {
  group: string;
  resources: V1APIResource[];
}

/** Resolves every spec, fetching only the discovery documents it needs. */
export async function mapResources(
  clients: KubeClients,
  specs: ResourceSpec[],
): Promise<MappedResource[]> {
  const wanted = specs.filter((s) => s.resource !== '*');
  if (wanted.length === 0) return specs.map(asIs);
  const needAllGroups = wanted.some((s) => s.group === undefined);
  const groups = await fetchGroups(clients, wanted, needAllGroups);
  return specs.map((spec) => (spec.resource === '*' ? asIs(spec) : mapOne(spec, groups)));
}

function asIs(spec: ResourceSpec): MappedResource {
  return { resource: spec.resource, group: spec.group ?? '', subresource: spec.subresource };
}

function mapOne(spec: ResourceSpec, groups: GroupResources[]): MappedResource {
  const candidates =
    spec.group === undefined ? groups : groups.filter((g) => g.group === spec.group);
  for (const { group, resources } of candidates) {
    const found = resources.find((r) => matches(r, spec.resource));
    if (found) return { resource: found.name, group, subresource: spec.subresource };
  }
  const full = spec.group ? `${spec.resource}.${spec.group}` : spec.resource;
  throw new UsageError(
    `the server doesn't have a resource type "${full}"` +
      ' (see `kubectl api-resources` for the names it knows)',
  );
}

function matches(r: V1APIResource, name: string): boolean {
  if (r.name.includes('/')) return false;
  const lower = name.toLowerCase();
  return r.name === lower || r.singularName === lower || (r.shortNames ?? []).includes(lower);
}

/**
 * Core first, then the other groups in the server's order, so an unqualified
 * name resolves as kubectl resolves it.
 */
async function fetchGroups(
  clients: KubeClients,
  wanted: ResourceSpec[],
  allGroups: boolean,
): Promise<GroupResources[]> {
  const [core, groupList] = await settle([
    get(clients, () => clients.core.getAPIResources()),
    get(clients, () => clients.apis.getAPIVersions()),
  ]);
  const named = new Set(wanted.map((s) => s.group).filter((g): g is string => !!g));
  const picked = (groupList.groups ?? []).filter((g) => allGroups || named.has(g.name));
  const lists = await settle(
    picked.map((g) => {
      const version = g.preferredVersion?.version ?? g.versions?.[0]?.version ?? 'v1';
      return get(clients, () => clients.custom.getAPIResources({ group: g.name, version })).then(
        (list) => ({ group: g.name, resources: list.resources ?? [] }),
      );
    }),
  );
  return [{ group: '', resources: core.resources ?? [] }, ...lists];
}

async function get<T>(clients: KubeClients, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw describeApiError(err, { verb: 'discover', kind: 'API resource' }, clients.server);
  }
}
