/**
 * The contract check itself (`openapi.ts`): it accepts the requests the action makes and refuses an
 * unknown path or method, a misspelt field, a wrong visibility, a missing key_id, URL-safe base64, and
 * undescribed or ill-typed query parameters, so that a passing end-to-end run means something.
 */
import { describe, expect, it } from '@jest/globals';
import { contractViolations } from '../contract/openapi.ts';

const SEALED = Buffer.alloc(60, 7).toString('base64');
const put = (url: string, body: unknown) => ({ method: 'PUT', url, body: JSON.stringify(body) });

describe("the contract check against GitHub's REST description", () => {
  it('accepts the requests the action makes', () => {
    expect(contractViolations({ method: 'GET', url: '/repos/octo/app/actions/secrets/public-key', body: '' })).toEqual(
      [],
    );
    expect(
      contractViolations({
        method: 'GET',
        url: '/repos/octo/app/environments/deploy%2Fprod/secrets?per_page=100&page=1',
        body: '',
      }),
    ).toEqual([]);
    expect(
      contractViolations(put('/repos/octo/app/actions/secrets/ECR_PASSWORD', { encrypted_value: SEALED, key_id: '1' })),
    ).toEqual([]);
    expect(
      contractViolations(
        put('/orgs/octo/actions/secrets/X', {
          encrypted_value: SEALED,
          key_id: '1',
          visibility: 'selected',
          selected_repository_ids: [1, 2],
        }),
      ),
    ).toEqual([]);
  });

  it('refuses an unknown path or method', () => {
    expect(
      contractViolations({ method: 'GET', url: '/repos/octo/app/action/secrets/public-key', body: '' }),
    ).toHaveLength(1);
    expect(contractViolations({ method: 'POST', url: '/repos/octo/app/actions/secrets/X', body: '{}' })).toHaveLength(
      1,
    );
  });

  it('refuses a misspelt field, a wrong visibility, a missing key_id and URL-safe base64', () => {
    expect(
      contractViolations(
        put('/orgs/octo/actions/secrets/X', {
          encrypted_value: SEALED,
          key_id: '1',
          visibility: 'selected',
          selected_repositories_ids: [1],
        }),
      ).join(),
    ).toContain('selected_repositories_ids');
    expect(
      contractViolations(
        put('/orgs/octo/actions/secrets/X', { encrypted_value: SEALED, key_id: '1', visibility: 'public' }),
      ).join(),
    ).toContain('visibility');
    expect(
      contractViolations(put('/orgs/octo/actions/secrets/X', { encrypted_value: SEALED, visibility: 'all' })).join(),
    ).toContain('key_id');
    expect(
      contractViolations(put('/repos/octo/app/actions/secrets/X', { encrypted_value: '-_-_', key_id: '1' })).join(),
    ).toContain('encrypted_value');
  });

  it('refuses undescribed or ill-typed query parameters', () => {
    expect(
      contractViolations({ method: 'GET', url: '/repos/octo/app/actions/secrets?limit=100', body: '' }).join(),
    ).toContain('limit');
    expect(
      contractViolations({ method: 'GET', url: '/repos/octo/app/actions/secrets?per_page=many', body: '' }).join(),
    ).toContain('per_page');
  });
});
