import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { partition } from '@aws-sdk/core/client';
import { PARTITIONS, partitionById, partitionOfRegion } from '../../src/aws/partitions.ts';

interface SdkPartition {
  id: string;
  regionRegex: string;
  outputs: { dnsSuffix: string; name: string };
  regions: Record<string, unknown>;
}

/**
 * The AWS SDK's partitions data, read from the file its endpoint rules use. The package does not
 * export the file, so it is read as text: `export const partitionsInfo = {JSON};`.
 */
function sdkPartitions(): SdkPartition[] {
  const root = dirname(createRequire(import.meta.url).resolve('@aws-sdk/core/package.json'));
  const text = readFileSync(join(root, 'dist-es/submodules/client/util-endpoints/lib/aws/partitions.js'), 'utf8');
  const json = text.replace(/^\s*export const partitionsInfo\s*=\s*/, '').replace(/;\s*$/, '');
  return (JSON.parse(json) as { partitions: SdkPartition[] }).partitions;
}

describe('AWS partitions: the action keeps a copy of the SDK data', () => {
  it('equal to the SDK data (on a failure after an SDK update, paste the expected list into src/aws/partitions.ts)', () => {
    const expected = sdkPartitions().map((p) => ({
      id: p.id,
      regionRegex: p.regionRegex,
      dnsSuffix: p.outputs.dnsSuffix,
    }));
    expect(PARTITIONS).toEqual(expected);
  });

  it('every region the SDK lists falls in the partition the SDK gives it, with its DNS suffix', () => {
    const regions = sdkPartitions()
      .flatMap((p) => Object.keys(p.regions))
      .filter((region) => !region.endsWith('-global'));
    expect(regions.length).toBeGreaterThan(30);
    for (const region of regions) {
      const { name, dnsSuffix } = partition(region);
      expect([region, partitionOfRegion(region)?.id, partitionOfRegion(region)?.dnsSuffix]).toEqual([
        region,
        name,
        dnsSuffix,
      ]);
    }
  });

  it('a new region of a known pattern is accepted before the SDK lists it', () => {
    expect(partitionOfRegion('eu-west-9')?.id).toBe('aws');
    expect(partitionOfRegion('cn-south-7')?.dnsSuffix).toBe('amazonaws.com.cn');
  });

  it('pseudo-regions, upper case and garbage are no region', () => {
    for (const text of [
      'aws-global',
      'aws-cn-global',
      'EU-WEST-1',
      'eu-West-1',
      'eu-west',
      'eu_west_1',
      'moon-1',
      '',
    ]) {
      expect([text, partitionOfRegion(text)]).toEqual([text, undefined]);
    }
  });

  it('finds partitions by their ARN id', () => {
    expect(partitionById('aws-us-gov')?.dnsSuffix).toBe('amazonaws.com');
    expect(partitionById('aws-iso-b')?.regionRegex).toContain('isob');
    expect(partitionById('aws-moon')).toBeUndefined();
  });
});
