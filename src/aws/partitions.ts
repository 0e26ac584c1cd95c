/**
 * The AWS partitions, as the AWS SDK's endpoint rules know them: each partition's id (the second
 * field of its ARNs), the pattern of its region codes and its DNS suffix.
 *
 * A copy of the SDK's own data (`partitionsInfo` in @aws-sdk/core's client util-endpoints,
 * `lib/aws/partitions.js`), cut to the three fields used here. The SDK does not export that file;
 * its only public way in, `@aws-sdk/core/client`, costs about 20 ms and 12 MB at start-up, and
 * inputs are checked on every run, also those that never load the SDK. A unit test compares this
 * copy with the SDK's file, so an SDK update that adds or changes a partition fails the tests.
 */
export interface Partition {
  /** As in ARNs: `arn:<id>:iam::...`. */
  id: string;
  /** The SDK's `regionRegex`. */
  regionRegex: string;
  /** Registry hosts end with it: `<account>.dkr.ecr.<region>.<dnsSuffix>`. */
  dnsSuffix: string;
}

export const PARTITIONS: readonly Partition[] = [
  { id: 'aws', regionRegex: '^(us|eu|ap|sa|ca|me|af|il|mx)\\-\\w+\\-\\d+$', dnsSuffix: 'amazonaws.com' },
  { id: 'aws-cn', regionRegex: '^cn\\-\\w+\\-\\d+$', dnsSuffix: 'amazonaws.com.cn' },
  { id: 'aws-eusc', regionRegex: '^eusc\\-(de)\\-\\w+\\-\\d+$', dnsSuffix: 'amazonaws.eu' },
  { id: 'aws-iso', regionRegex: '^us\\-iso\\-\\w+\\-\\d+$', dnsSuffix: 'c2s.ic.gov' },
  { id: 'aws-iso-b', regionRegex: '^us\\-isob\\-\\w+\\-\\d+$', dnsSuffix: 'sc2s.sgov.gov' },
  { id: 'aws-iso-e', regionRegex: '^eu\\-isoe\\-\\w+\\-\\d+$', dnsSuffix: 'cloud.adc-e.uk' },
  { id: 'aws-iso-f', regionRegex: '^us\\-isof\\-\\w+\\-\\d+$', dnsSuffix: 'csp.hci.ic.gov' },
  { id: 'aws-us-gov', regionRegex: '^us\\-gov\\-\\w+\\-\\d+$', dnsSuffix: 'amazonaws.com' },
];

/**
 * The partition a region code belongs to, or undefined when it is not a region code. Region codes
 * are lower case (the SDK's `\w` would also let `eu-WEST-1` through), and the SDK's pseudo-regions
 * such as `aws-global` have no ECR endpoint, so only the patterns count.
 */
export function partitionOfRegion(region: string): Partition | undefined {
  if (!/^[a-z0-9-]+$/.test(region)) return undefined;
  return PARTITIONS.find((partition) => new RegExp(partition.regionRegex).test(region));
}

export function partitionById(id: string): Partition | undefined {
  return PARTITIONS.find((partition) => partition.id === id);
}
