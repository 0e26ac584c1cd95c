import { isVariableName } from './variable-name.ts';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, lstatSync, statSync, type Stats } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { EcrLogin } from '../aws/ecr.ts';
import { errorMessage } from '../util/errors.ts';
import { dockerConfigJson, ECR_USERNAME } from '../run/secret-kinds.ts';

/*
 * A dotenv file for GitLab's `artifacts: reports: dotenv`, which hands its variables to the later jobs
 * of the pipeline (`DOCKER_AUTH_CONFIG` lets the runner pull a job's image from ECR).
 *
 * GitLab's rules for it (docs "GitLab CI/CD artifacts reports types", `artifacts:reports:dotenv`;
 * Ci::ParseDotenvArtifactService): each line is `KEY=value`, split at the first `=` and both sides
 * stripped, no quoting or escaping (quotes are kept as they are), no empty lines or comments, no
 * multi-line values, no spaces in values; keys of letters, digits and `_` (Ci::HasVariable: at most
 * 255); the file smaller than 5 KB (`artifact.file.size < dotenv_size`, 5120 bytes unless an
 * administrator changed the `dotenv_size` limit); at most 20 variables on GitLab Self-Managed by
 * default (`dotenv_variables`; 50 to 150 on GitLab.com). Its variables are stored with `raw: false`,
 * so a `$` in a value would be expanded in the jobs that receive it.
 *
 * GitLab measures the artifact as the runner uploads it (dotenv reports are gzip artifacts), which is
 * smaller than the file; the documented limit is the file's size, and it is what is checked here, so
 * that a file written today is not refused after a change of runner or limit.
 */

/** The `dotenv_size` limit's default: GitLab takes a dotenv report smaller than this. */
export const GITLAB_DOTENV_MAX_BYTES = 5 * 1024;
/** The `dotenv_variables` limit's default on GitLab Self-Managed (GitLab.com allows 50 and more). */
export const GITLAB_DOTENV_MAX_VARIABLES = 20;
/** The sticky bit of a folder's mode (S_ISVTX, which Node's fs.constants does not name). */
const STICKY_BIT = 0o1000;

export interface DotenvEntry {
  name: string;
  value: string;
}

/** The variable GitLab runners read a job image's registry credentials from. */
export const DOCKER_AUTH_CONFIG = 'DOCKER_AUTH_CONFIG';

/**
 * What an ECR login puts in the dotenv report: `DOCKER_AUTH_CONFIG` (the one-line docker config JSON
 * that GitLab runners read), then the password and the user name under the names given, if any.
 */
export function ecrDotenvEntries(
  login: Pick<EcrLogin, 'registry' | 'username' | 'password'>,
  names: { password?: string; username?: string } = {},
): DotenvEntry[] {
  return [
    { name: DOCKER_AUTH_CONFIG, value: dockerConfigJson([login]) },
    ...(names.password ? [{ name: names.password, value: login.password }] : []),
    ...(names.username ? [{ name: names.username, value: ECR_USERNAME }] : []),
  ];
}

/**
 * The file's text for `entries`, one `NAME=value` line each, or an Error naming the first entry GitLab
 * would refuse or misread, and what to do. The value is never quoted in a message.
 */
export function dotenvContent(entries: readonly DotenvEntry[], maxBytes: number = GITLAB_DOTENV_MAX_BYTES): string {
  if (entries.length === 0) throw new Error('the dotenv file would hold no variable: name at least one.');
  if (entries.length > GITLAB_DOTENV_MAX_VARIABLES)
    throw new Error(
      `the dotenv file would hold ${entries.length} variables; GitLab takes at most ${GITLAB_DOTENV_MAX_VARIABLES} by default: write fewer.`,
    );
  const seen = new Set<string>();
  for (const { name, value } of entries) {
    if (!isVariableName(name))
      throw new Error(
        `the dotenv variable name "${name}" is not one GitLab accepts: use letters, digits and _ only (at most 255).`,
      );
    if (seen.has(name)) throw new Error(`the dotenv variable ${name} is named twice: give each value its own name.`);
    seen.add(name);
    const problem = dotenvValueProblem(value);
    if (problem) throw new Error(`the value of dotenv variable ${name} ${problem}.`);
  }
  const content = entries.map(({ name, value }) => `${name}=${value}\n`).join('');
  const bytes = Buffer.byteLength(content, 'utf8');
  if (maxBytes > 0 && bytes >= maxBytes) throw new Error(tooLargeMessage(entries, bytes, maxBytes));
  return content;
}

/** Why GitLab would refuse or change `value` in a dotenv report; undefined when it keeps it as it is. */
function dotenvValueProblem(value: string): string | undefined {
  if (/[\r\n]/.test(value)) return 'spans several lines, which GitLab does not read in a dotenv report';
  if (/\s/.test(value)) return 'holds spaces, which GitLab does not keep in a dotenv report';
  if (value.includes('$'))
    return 'holds a $, which GitLab would expand in the jobs that receive it: use a CI/CD variable (raw) for it';
  return undefined;
}

function tooLargeMessage(entries: readonly DotenvEntry[], bytes: number, maxBytes: number): string {
  const largest = [...entries].sort((a, b) => b.value.length - a.value.length)[0] as DotenvEntry;
  const alone = Buffer.byteLength(`${largest.name}=${largest.value}\n`, 'utf8');
  const fix =
    entries.length > 1 && alone < maxBytes
      ? `write ${largest.name} alone (it takes ${alone} bytes) and leave the other variables out`
      : `${largest.name} alone takes ${alone} bytes: hand it to the jobs as a GitLab CI/CD variable instead (--gitlab-variable)`;
  return `the dotenv file would be ${bytes} bytes, and GitLab takes dotenv reports smaller than ${maxBytes} bytes: ${fix}.`;
}

/**
 * Why `path` cannot take the dotenv file, or undefined when it can. The file is written beside `path`
 * and renamed over it, which replaces whatever `path` names: a regular file (or a symbolic link, itself
 * replaced, to one) is what a dotenv report is, but a rename over a FIFO, a device such as /dev/stdout
 * (a root job would have turned it into a file holding the docker config) or a folder would remove it,
 * or fail only after the password was minted. So the target must be missing, a regular file, or a link
 * to one (a dangling link is replaced), in an existing folder this user may write in. The command
 * checks this before any request, and writeDotenvFile again just before its rename.
 */
export function dotenvTargetProblem(path: string): string | undefined {
  if (path.endsWith('/'))
    return `"${path}" names a folder, not a file. Name a file in it, such as ${join(path, 'auth.env')}`;
  const folder = dirname(path);
  const inFolder = look(folder, statSync);
  if (!inFolder.stats || !inFolder.stats.isDirectory()) {
    const wrong = inFolder.stats ? 'is not a folder' : inFolder.code === 'ENOENT' ? 'does not exist' : 'cannot be read';
    return `the folder ${folder} of "${path}" ${wrong}${wrong === 'cannot be read' ? ` (${inFolder.code})` : ''}. Name a file in an existing folder, or create the folder first`;
  }
  try {
    accessSync(folder, constants.W_OK);
  } catch (error) {
    return `the folder ${folder} of "${path}" is not writable by this user (${(error as { code?: string }).code ?? 'EACCES'}). Name a file in a folder it may write in, such as the job's working folder`;
  }
  const entry = look(path, lstatSync);
  if (entry.code === 'ENOENT') return undefined;
  // In a sticky folder (/tmp) only the entry's owner, the folder's owner or root may rename over it:
  // the rename would fail with EPERM, after the password was minted.
  const uid = process.getuid?.();
  const folderStats = inFolder.stats;
  if (
    uid !== undefined &&
    uid !== 0 &&
    folderStats.mode & STICKY_BIT &&
    folderStats.uid !== uid &&
    entry.stats &&
    entry.stats.uid !== uid
  )
    return `"${path}" belongs to another user, in a folder with the sticky bit (such as /tmp), where only its owner may replace it. Name a file of this user's, or one that does not exist yet, such as auth.env in the job's working folder`;
  // A link is judged by what it points to: nothing (replaced), a regular file (replaced), anything else (refused).
  const isLink = entry.stats?.isSymbolicLink() ?? false;
  const target = isLink ? look(path, statSync) : entry;
  if (target.code === 'ENOENT' || target.stats?.isFile()) return undefined;
  const what = target.stats ? fileKind(target.stats) : `something that cannot be looked at (${target.code})`;
  return `"${path}" is ${isLink ? 'a symbolic link to ' : ''}${what}, not a regular file, and writing the dotenv file would replace it. Name a regular file, or one that does not exist yet, such as auth.env`;
}

/** `stat(path)` or `lstat(path)`, or the error's code when there is nothing to look at. */
function look(path: string, how: (path: string) => Stats): { stats?: Stats; code?: string } {
  try {
    return { stats: how(path) };
  } catch (error) {
    return { code: (error as { code?: string }).code ?? 'unknown error' };
  }
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a pipe (FIFO)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

/**
 * Writes `entries` to `path` for a dotenv report: readable by its owner only (0600), never printed.
 * The text goes to a new file beside `path`, created exclusively with mode 0600, then renamed over
 * `path`: a file already there is replaced whole (whatever its mode was, the result is 0600), a
 * reader never sees half a file, and a symbolic link at `path` is replaced rather than followed.
 * Nothing is written when an entry breaks GitLab's rules, or when `path` names something else than a
 * regular file (dotenvTargetProblem), looked at before the temporary file is made and again just
 * before the rename: what appeared there meanwhile (a FIFO, a link to a device) is not replaced.
 */
export async function writeDotenvFile(
  path: string,
  entries: readonly DotenvEntry[],
  options: { maxBytes?: number } = {},
): Promise<{ bytes: number }> {
  const content = dotenvContent(entries, options.maxBytes);
  const refused = (problem: string) => new Error(`the dotenv file was not written: ${problem}.`);
  const before = dotenvTargetProblem(path);
  if (before) throw refused(before);
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let problem: string | undefined;
  try {
    const file = await open(temporary, 'wx', 0o600);
    try {
      // The mode given to open is narrowed by the umask, never widened; chmod makes it exactly 0600.
      await file.chmod(0o600);
      await file.writeFile(content, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    problem = dotenvTargetProblem(path);
    if (!problem) await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    const { code } = error as { code?: string };
    throw new Error(
      `could not write the dotenv file ${path} (${code ?? errorMessage(error)}): check that its folder exists and is writable.`,
      { cause: error },
    );
  }
  if (problem) {
    await rm(temporary, { force: true });
    throw refused(problem);
  }
  return { bytes: Buffer.byteLength(content, 'utf8') };
}
