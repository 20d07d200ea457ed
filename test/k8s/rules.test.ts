import { describe, expect, it } from 'vitest';

import { UsageError } from '../../src/errors.js';
import {
  checkSpecialVerbs,
  parseRules,
  toPolicyRules,
  validateRules,
} from '../../src/k8s/rules.js';

describe('parseRules', () => {
  it('splits comma lists and groups, as kubectl create role does', () => {
    const spec = parseRules(['get,list', 'get'], ['pods,deployments.apps', 'pods/log'], ['a,b']);
    expect(spec).toEqual({
      verbs: ['get', 'list'],
      resources: [
        { resource: 'pods', group: undefined, subresource: undefined },
        { resource: 'deployments', group: 'apps', subresource: undefined },
        { resource: 'pods', group: undefined, subresource: 'log' },
      ],
      resourceNames: ['a,b'],
    });
  });

  it('collapses verbs and resources to a bare "*"', () => {
    const spec = parseRules(['get', '*', 'list'], ['pods', '*', 'secrets'], []);
    expect(spec.verbs).toEqual(['*']);
    expect(spec.resources).toEqual([{ resource: '*', group: undefined, subresource: undefined }]);
  });
});

describe('validateRules', () => {
  const cases: [string, string[], string[], string[], string][] = [
    ['verb without resource', ['get'], [], [], '--verb needs at least one --resource'],
    ['resource without verb', [], ['pods'], [], '--resource needs at least one --verb'],
    ['names alone', [], [], ['x'], '--resource-name needs --verb and --resource'],
    ['group without resource', ['get'], ['.apps'], [], '--resource must name a resource'],
  ];
  for (const [name, verbs, resources, names, message] of cases) {
    it(`rejects ${name}`, () => {
      expect(() => validateRules(parseRules(verbs, resources, names))).toThrow(UsageError);
      expect(() => validateRules(parseRules(verbs, resources, names))).toThrow(message);
    });
  }

  it('warns about a non-standard verb', () => {
    expect(validateRules(parseRules(['frobnicate'], ['pods'], []))).toEqual([
      "'frobnicate' is not a standard resource verb",
    ]);
  });

  it('accepts no rules at all', () => {
    expect(validateRules(parseRules([], [], []))).toEqual([]);
  });
});

describe('checkSpecialVerbs', () => {
  it('refuses bind on pods', () => {
    expect(() => checkSpecialVerbs(['bind'], [{ resource: 'pods', group: '' }])).toThrow(
      "can not perform 'bind' on 'pods' in group ''",
    );
  });

  it('allows bind on clusterroles', () => {
    const mapped = [{ resource: 'clusterroles', group: 'rbac.authorization.k8s.io' }];
    expect(() => checkSpecialVerbs(['bind'], mapped)).not.toThrow();
  });
});

describe('toPolicyRules', () => {
  it('makes one rule per group, sorted, with subresources and names', () => {
    const spec = parseRules(['get'], ['deployments.apps', 'pods', 'pods/log'], ['web']);
    const rules = toPolicyRules(spec, [
      { resource: 'deployments', group: 'apps' },
      { resource: 'pods', group: '' },
      { resource: 'pods', group: '', subresource: 'log' },
    ]);
    expect(rules).toEqual([
      { apiGroups: [''], resources: ['pods', 'pods/log'], verbs: ['get'], resourceNames: ['web'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'], resourceNames: ['web'] },
    ]);
  });
});
