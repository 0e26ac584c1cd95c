/**
 * Runs the bundled action end to end against local fakes of the OIDC endpoint, STS, ECR and
 * GitHub, as a scheduled workflow with OIDC would, then opens what GitHub stored.
 * No AWS account and no network: everything listens on 127.0.0.1.
 */
import { startFakes } from '../__tests__/fakes/index.ts';
import { runAction } from '../__tests__/fakes/run-action.ts';

const fakes = await startFakes();
try {
  const token = fakes.github.addToken('github_pat_demo');
  fakes.github.addRepository('octo/app', ['ecr']);
  const roleArn = fakes.aws.addRole('ecr-pull', { audience: 'sts.amazonaws.com', subject: fakes.oidc.subject });

  const inputs = {
    'role-to-assume': roleArn,
    'aws-region': 'eu-west-1',
    'github-token': token,
    'github-api-url': fakes.github.server.url,
    'repositories': 'octo/app',
    'username-secret-name': 'ECR_USERNAME',
    'docker-config-secret-name': 'DOCKER_AUTH_CONFIG',
  };
  console.log('Running dist/index.js with:');
  for (const [name, value] of Object.entries(inputs)) console.log(`  ${name}: ${value}`);
  const run = await runAction(inputs, fakes.env);

  console.log(`\n--- the action's log (exit code ${run.exitCode}) ---`);
  process.stdout.write(run.stdout.replace(/^::add-mask::.*$/gm, '::add-mask::***'));
  process.stdout.write(run.stderr);
  console.log('\n--- step outputs ---');
  for (const [name, value] of Object.entries(run.outputs)) console.log(`  ${name} = ${value}`);
  console.log('\n--- job summary ---');
  console.log(run.summary);

  const issued = fakes.aws.lastLogin;
  console.log('--- what GitHub stored, opened with the repository\'s private key ---');
  let ok = run.exitCode === 0 && issued !== undefined;
  for (const name of ['ECR_PASSWORD', 'ECR_USERNAME', 'DOCKER_AUTH_CONFIG']) {
    const stored = fakes.github.repositorySecret('octo/app', name);
    console.log(`  ${name}: ${stored ? `${stored.plaintext.length} characters, sealed as ${stored.encryptedValue.length} base64 characters` : 'missing'}`);
    ok &&= stored !== undefined;
  }
  const password = fakes.github.repositorySecret('octo/app', 'ECR_PASSWORD')?.plaintext;
  const matches = password === issued?.password;
  console.log(`  ECR_PASSWORD equals the password ECR issued: ${matches}`);
  console.log(`\nRequests made: ${fakes.allRequests().map((r) => `${r.service} ${r.method} ${r.url.split('?')[0]} ${r.status}`).join('\n               ')}`);
  if (!ok || !matches) process.exitCode = 1;
} finally {
  await fakes.stop();
}
