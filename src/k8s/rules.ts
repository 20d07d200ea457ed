/**
 * The --verb / --resource / --resource-name rules, with the syntax and the
 * checks of `kubectl create role`.
 */
import { UsageError } from '../errors.js';

/** One --resource value split as kubectl does: resource[.group][/subresource]. */
export interface ResourceSpec {
  resource: string;
  /** Unset when the user gave no group: discovery picks one. */
  group?: string;
  subresource?: string;
}

/** The rule flags after splitting and de-duplication. */
export interface RuleSpec {
  verbs: string[];
  resources: ResourceSpec[];
  resourceNames: string[];
}

/** A resource after discovery: its real plural name and group. */
export interface MappedResource {
  resource: string;
  group: string;
  subresource?: string;
}

/** rbac/v1 PolicyRule as sent to the API. */
export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

/** kubectl's list; any other verb is allowed with a warning. */
const standardVerbs = new Set([
  '*',
  'get',
  'delete',
  'list',
  'create',
  'update',
  'patch',
  'watch',
  'proxy',
  'deletecollection',
  'use',
  'bind',
  'escalate',
  'impersonate',
]);

/** Verbs that mean something only on these group/resource pairs. */
const specialVerbs: Record<string, string[]> = {
  use: ['policy/podsecuritypolicies', 'extensions/podsecuritypolicies'],
  bind: ['rbac.authorization.k8s.io/roles', 'rbac.authorization.k8s.io/clusterroles'],
  escalate: ['rbac.authorization.k8s.io/roles', 'rbac.authorization.k8s.io/clusterroles'],
  impersonate: ['/users', '/serviceaccounts', '/groups', 'authentication.k8s.io/userextras'],
};

/**
 * Splits the raw flag values. --verb and --resource take comma lists (pflag
 * StringSlice); --resource-name does not (StringArray), as in kubectl.
 */
export function parseRules(verbs: string[], resources: string[], names: string[]): RuleSpec {
  const verbList = unique(splitCommas(verbs));
  const resourceList: ResourceSpec[] = [];
  for (const text of splitCommas(resources)) {
    const spec = parseResource(text);
    if (spec.resource === '*' && spec.group === undefined && !spec.subresource) {
      return { verbs: collapseStar(verbList), resources: [spec], resourceNames: unique(names) };
    }
    resourceList.push(spec);
  }
  return { verbs: collapseStar(verbList), resources: resourceList, resourceNames: unique(names) };
}

/** Checks that need no server; returns warnings for non-standard verbs. */
export function validateRules(spec: RuleSpec): string[] {
  if (spec.verbs.length === 0 && spec.resources.length === 0) {
    if (spec.resourceNames.length > 0) {
      throw new UsageError('--resource-name needs --verb and --resource');
    }
    return [];
  }
  if (spec.verbs.length === 0) throw new UsageError('--resource needs at least one --verb');
  if (spec.resources.length === 0) throw new UsageError('--verb needs at least one --resource');
  for (const r of spec.resources) {
    if (!r.resource) {
      throw new UsageError('--resource must name a resource when it gives a group or subresource');
    }
  }
  return spec.verbs
    .filter((v) => !standardVerbs.has(v))
    .map((v) => `'${v}' is not a standard resource verb`);
}

/** True when the rules need discovery to map names ("*" alone does not). */
export function hasRules(spec: RuleSpec): boolean {
  return spec.verbs.length > 0;
}

/** Rejects special verbs on resources they do not apply to. */
export function checkSpecialVerbs(verbs: string[], mapped: MappedResource[]): void {
  for (const r of mapped) {
    for (const verb of verbs) {
      const allowed = specialVerbs[verb];
      if (allowed && !allowed.includes(`${r.group}/${r.resource}`)) {
        throw new UsageError(`can not perform '${verb}' on '${r.resource}' in group '${r.group}'`);
      }
    }
  }
}

/** One PolicyRule per API group, groups sorted, as kubectl builds them. */
export function toPolicyRules(spec: RuleSpec, mapped: MappedResource[]): PolicyRule[] {
  const byGroup = new Map<string, string[]>();
  for (const r of mapped) {
    const name = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
    const list = byGroup.get(r.group) ?? [];
    if (!list.includes(name)) list.push(name);
    byGroup.set(r.group, list);
  }
  return [...byGroup.keys()].sort().map((group) => ({
    apiGroups: [group],
    resources: byGroup.get(group) ?? [],
    verbs: spec.verbs,
    ...(spec.resourceNames.length > 0 ? { resourceNames: spec.resourceNames } : {}),
  }));
}

function parseResource(text: string): ResourceSpec {
  const slash = text.indexOf('/');
  const main = slash >= 0 ? text.slice(0, slash) : text;
  const subresource = slash >= 0 ? text.slice(slash + 1) : undefined;
  const dot = main.indexOf('.');
  const resource = dot >= 0 ? main.slice(0, dot) : main;
  const group = dot >= 0 ? main.slice(dot + 1) : undefined;
  return { resource, group, subresource };
}

function splitCommas(values: string[]): string[] {
  return values.flatMap((v) => v.split(',')).filter((v) => v !== '');
}

function collapseStar(verbs: string[]): string[] {
  return verbs.includes('*') ? ['*'] : verbs;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
