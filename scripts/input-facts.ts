/**
 * What action.yml cannot say about an input, and the front doors need: which half of the run reads
 * it, and whether it takes several values. scripts/inputs-table.ts joins these facts to action.yml's
 * declarations into src/config/inputs.ts at build time. An input not named here is a single value
 * of the GitHub half: a new input in action.yml becomes a flag of the command with no edit here.
 */

/**
 * The inputs the AWS half reads, for every front door (parseAwsConfig in src/config/index.ts, the parts in src/config/aws.ts; a unit test checks that this is
 * exactly the set it reads). Every front door has this half; the command refuses the other half's
 * flags without a GitHub target.
 */
export const AWS_INPUTS: readonly string[] = [
  'aws-region',
  'role-to-assume',
  'aws-access-key-id',
  'aws-secret-access-key',
  'aws-session-token',
  'audience',
  'role-session-name',
  'role-duration-seconds',
  'registry-type',
  'registries',
  'verify-images',
];

/**
 * Inputs that take several values, one per line or separated by commas (src/config/problems.ts splitList);
 * the command takes the flag repeated too. The generator refuses an input whose description says
 * "one per line" and is not listed here, so that a new list input is never a single-value flag.
 */
export const LIST_INPUTS: readonly string[] = [
  'repositories',
  'repository-topics',
  'selected-repositories',
  'registries',
  'verify-images',
];
