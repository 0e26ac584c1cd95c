import { describe, expect, it } from '@jest/globals';
import type { TargetSpec } from '../../src/config.ts';
import { describeTarget } from '../../src/github/targets.ts';
import { contractViolations } from '../contract/openapi.ts';

const specs: TargetSpec[] = [
  { kind: 'repository', owner: 'octo', repo: 'app' },
  { kind: 'environment', owner: 'octo', repo: 'app', environment: 'ecr' },
  { kind: 'organization', org: 'octo', visibility: 'private', selectedRepositories: [] },
];

/** A route such as `GET /repos/{owner}/{repo}/...` with its parameters filled in. */
const fill = (route: string, params: Record<string, string>) => {
  const [method = '', template = ''] = route.split(' ');
  return { method, url: template.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? 'X')), body: '' };
};

describe('target kinds', () => {
  it.each(specs)('$kind: every route is an operation of GitHub\'s REST description', (spec) => {
    const target = describeTarget(spec);
    expect(contractViolations(fill(target.routes.publicKey, target.params))).toEqual([]);
    expect(contractViolations(fill(target.routes.list, target.params))).toEqual([]);
    const write = fill(target.routes.write, { ...target.params, secret_name: 'ECR_PASSWORD' });
    const body = { encrypted_value: Buffer.alloc(48).toString('base64'), key_id: '1', ...(spec.kind === 'organization' ? { visibility: 'private' } : {}) };
    expect(contractViolations({ ...write, body: JSON.stringify(body) })).toEqual([]);
  });

  it('labels name the target as the user wrote it', () => {
    expect(specs.map((spec) => describeTarget(spec).label)).toEqual(['octo/app', 'octo/app environment ecr', 'organization octo']);
  });

  it('each kind says which token permission writing needs', () => {
    expect(specs.map((spec) => describeTarget(spec).permission)).toEqual([
      expect.stringContaining("'Secrets: Read and write'"),
      expect.stringContaining("'Environments: Read and write'"),
      expect.stringContaining("'admin:org'"),
    ]);
  });
});
