import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../src/config/index.ts';
import { parseImageReference } from '../../src/aws/pull-check/image-reference.ts';

describe('verify-images references', () => {
  it('reads a repository of the run, a tag or digest, and full references to ECR and ECR Public', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference('build-env')).toEqual({
      text: 'build-env',
      repository: 'build-env',
      reference: 'latest',
    });
    expect(parseImageReference('team/app:1.2-rc')).toMatchObject({ repository: 'team/app', reference: '1.2-rc' });
    expect(parseImageReference(`team/app@${digest}`)).toMatchObject({ repository: 'team/app', reference: digest });
    expect(parseImageReference('210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/base:7')).toEqual({
      text: '210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn/base:7',
      host: '210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn',
      account: '210987654321',
      region: 'cn-north-1',
      repository: 'base',
      reference: '7',
    });
    expect(parseImageReference('public.ecr.aws/docker/library/redis:7')).toMatchObject({
      host: 'public.ecr.aws',
      repository: 'docker/library/redis',
      reference: '7',
    });
  });

  it('refuses what is not an ECR image, each with its reason', () => {
    const problem = (text: string) => (parseImageReference(text) as { problem?: string }).problem;
    expect(problem('Build-Env')).toMatch(/is not an image reference/);
    expect(problem('app@sha256:short')).toMatch(/digest that is not sha256/);
    expect(problem('app:-bad')).toMatch(/tag that is not a valid tag/);
    expect(problem('ghcr.io/octo/app:1')).toMatch(/is not in an ECR registry/);
    // A China registry host with the commercial suffix is not a registry that exists.
    expect(problem('210987654321.dkr.ecr.cn-north-1.amazonaws.com/base')).toMatch(/is not in an ECR registry/);
    expect(problem('public.ecr.aws/redis')).toMatch(/names no repository under its registry alias/);
  });

  it('parseConfig: none by default, a list otherwise, a name twice refused naming the input', () => {
    const config = (images: string) =>
      parseConfig(
        (name) =>
          ({ 'aws-region': 'eu-west-1', 'github-token': 'ghp_x', repositories: 'octo/app', 'verify-images': images })[
            name
          ] ?? '',
        {},
        { apiUrl: 'https://api.github.com' },
      );
    expect(config('').verifyImages).toEqual([]);
    expect(config('a:1, b\nc').verifyImages.map((image) => image.text)).toEqual(['a:1', 'b', 'c']);
    expect(() => config('a:1\na:1')).toThrow(`Input 'verify-images': "a:1" is listed twice`);
  });
});
