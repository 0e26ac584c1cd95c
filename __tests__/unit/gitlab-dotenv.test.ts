import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  watch,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { dotenvContent, ecrDotenvEntries, GITLAB_DOTENV_MAX_BYTES, writeDotenvFile } from '../../src/gitlab/dotenv.ts';
import { dockerConfigJson } from '../../src/run/secret-kinds.ts';

/**
 * The dotenv sink (src/gitlab/dotenv.ts): a file GitLab's dotenv report reads as written, mode 0600,
 * and GitLab's limits checked before anything is written: the file read as GitLab's dotenv parser
 * reads it, its 5 KB limit with a real-sized ECR password, and `DOCKER_AUTH_CONFIG` read by
 * `skopeo login --get-login` (Debian's package, which `.ci/run` installs).
 */
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
/**
 * ECR passwords are long base64 strings: 2,000 characters and more, 2,714 seen for an SSO role session
 * (aws/containers-roadmap#1589); this one has 2,400.
 */
const ecrPassword = () => randomBytes(1800).toString('base64');

/**
 * The file read as GitLab reads a dotenv report (Ci::ParseDotenvArtifactService): each line split at
 * its first `=` by `/^(.*?)=(.*)$/`, both sides stripped; a line without `=` is "Invalid Format"; keys
 * checked by Ci::HasVariable; the size checked against `dotenv_size` (smaller than the limit).
 */
function parseAsGitLab(text: string, maxBytes = GITLAB_DOTENV_MAX_BYTES): Record<string, string> {
  if (Buffer.byteLength(text) >= maxBytes) throw new Error('Dotenv Artifact Too Big');
  const variables: Record<string, string> = {};
  // Ruby's each_line keeps the line break, which `.*` does not match: a last line without one is read the same.
  for (const line of text.split(/(?<=\n)/)) {
    const match = /^(.*?)=(.*)$/m.exec(line);
    if (!match) throw new Error('Invalid Format');
    const key = (match[1] ?? '').trim();
    if (!/^[a-zA-Z0-9_]{1,255}$/.test(key)) throw new Error("Key can contain only letters, digits and '_'.");
    variables[key] = (match[2] ?? '').trim();
  }
  return variables;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dotenv-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('the file', () => {
  it('holds DOCKER_AUTH_CONFIG as one-line JSON, readable by its owner only', async () => {
    const password = ecrPassword();
    const dockerConfig = dockerConfigJson([{ registry: REGISTRY, username: 'AWS', password }]);
    const path = join(dir, 'auth.env');
    const { bytes } = await writeDotenvFile(path, [{ name: 'DOCKER_AUTH_CONFIG', value: dockerConfig }]);

    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(Buffer.byteLength(text)).toBe(bytes);
    expect(text.split('\n')).toEqual([`DOCKER_AUTH_CONFIG=${dockerConfig}`, '']);
    const parsed = parseAsGitLab(text);
    expect(parsed).toEqual({ DOCKER_AUTH_CONFIG: dockerConfig });
    const auth = (JSON.parse(parsed['DOCKER_AUTH_CONFIG'] ?? '') as { auths: Record<string, { auth: string }> }).auths;
    expect(Buffer.from(auth[REGISTRY]?.auth ?? '', 'base64').toString()).toBe(`AWS:${password}`);
    // Nothing else is left in the folder (no temporary file).
    expect(readdirSync(dir)).toEqual(['auth.env']);
  });

  it('with the username and a password short enough, every line as GitLab reads it', async () => {
    const password = randomBytes(600).toString('base64');
    const login = { registry: REGISTRY, username: 'AWS', password };
    const entries = ecrDotenvEntries(login, { password: 'ECR_PASSWORD', username: 'ECR_USERNAME' });
    expect(ecrDotenvEntries(login)).toEqual(entries.slice(0, 1));
    const path = join(dir, 'auth.env');
    await writeDotenvFile(path, entries);
    expect(parseAsGitLab(readFileSync(path, 'utf8'))).toEqual({
      DOCKER_AUTH_CONFIG: dockerConfigJson([login]),
      ECR_PASSWORD: password,
      ECR_USERNAME: 'AWS',
    });
  });

  it('replaces a file already there, whatever its mode, and a symbolic link rather than its target', async () => {
    const path = join(dir, 'auth.env');
    writeFileSync(path, 'OLD=1\n');
    chmodSync(path, 0o644);
    await writeDotenvFile(path, [{ name: 'ECR_PASSWORD', value: 'AAAAAAAA' }]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe('ECR_PASSWORD=AAAAAAAA\n');

    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'untouched\n');
    const link = join(dir, 'linked.env');
    symlinkSync(target, link);
    await writeDotenvFile(link, [{ name: 'ECR_PASSWORD', value: 'BBBBBBBB' }]);
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    expect(readFileSync(link, 'utf8')).toBe('ECR_PASSWORD=BBBBBBBB\n');
  });

  it('a folder that does not exist is reported, and nothing is left behind', async () => {
    await expect(writeDotenvFile(join(dir, 'no', 'auth.env'), [{ name: 'A', value: 'b' }])).rejects.toThrow(
      /^the dotenv file was not written: the folder .*\/no of ".*\/no\/auth\.env" does not exist\. Name a file in an existing folder, or create the folder first\.$/,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a FIFO, or a link to one, is refused and left as it was: never replaced by the rename', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    symlinkSync('pipe', join(dir, 'link.env'));
    await expect(writeDotenvFile(join(dir, 'pipe'), [{ name: 'A', value: 'b' }])).rejects.toThrow(
      /^the dotenv file was not written: ".*\/pipe" is a pipe \(FIFO\), not a regular file/,
    );
    await expect(writeDotenvFile(join(dir, 'link.env'), [{ name: 'A', value: 'b' }])).rejects.toThrow(
      /is a symbolic link to a pipe \(FIFO\), not a regular file/,
    );
    expect(readdirSync(dir).sort()).toEqual(['link.env', 'pipe']);
    expect(lstatSync(join(dir, 'pipe')).isFIFO()).toBe(true);
    expect(lstatSync(join(dir, 'link.env')).isSymbolicLink()).toBe(true);
  });

  it('looks again just before the rename: a FIFO made at the path while the file was written is not replaced', async () => {
    const path = join(dir, 'auth.env');
    // The temporary file's creation is the cue: a FIFO appears at the path after the first look, before the rename.
    const watcher = watch(dir, (_event, name) => {
      if (name?.endsWith('.tmp') && !existsSync(path)) execFileSync('mkfifo', [path]);
    });
    try {
      await expect(writeDotenvFile(path, [{ name: 'A', value: 'b' }])).rejects.toThrow(
        /^the dotenv file was not written: ".*auth\.env" is a pipe \(FIFO\), not a regular file/,
      );
    } finally {
      watcher.close();
    }
    expect(lstatSync(path).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual(['auth.env']);
  });
});

describe("GitLab's limits", () => {
  it('the docker config and the password of a real ECR login exceed 5 KB: refused, with what to write instead', async () => {
    const password = ecrPassword();
    const dockerConfig = dockerConfigJson([{ registry: REGISTRY, username: 'AWS', password }]);
    const path = join(dir, 'auth.env');
    const entries = [
      { name: 'DOCKER_AUTH_CONFIG', value: dockerConfig },
      { name: 'ECR_PASSWORD', value: password },
    ];
    let message = '';
    await writeDotenvFile(path, entries).catch((error: Error) => (message = error.message));
    expect(message).toMatch(
      /^the dotenv file would be \d+ bytes, and GitLab takes dotenv reports smaller than 5120 bytes: write DOCKER_AUTH_CONFIG alone \(it takes \d+ bytes\) and leave the other variables out\.$/,
    );
    expect(message).not.toContain(password);
    expect(readdirSync(dir)).toEqual([]);
    // What the message advises fits.
    await writeDotenvFile(path, entries.slice(0, 1));
  });

  it('a docker config too large alone is sent to a CI/CD variable; a raised limit lets it through', () => {
    const huge = dockerConfigJson([
      { registry: REGISTRY, username: 'AWS', password: ecrPassword() },
      { registry: REGISTRY.replace('eu-west-1', 'us-east-1'), username: 'AWS', password: ecrPassword() },
    ]);
    expect(() => dotenvContent([{ name: 'DOCKER_AUTH_CONFIG', value: huge }])).toThrow(
      /: DOCKER_AUTH_CONFIG alone takes \d+ bytes: hand it to the jobs as a GitLab CI\/CD variable instead \(--gitlab-variable\)\.$/,
    );
    const raised = 16 * 1024;
    expect(parseAsGitLab(dotenvContent([{ name: 'DOCKER_AUTH_CONFIG', value: huge }], raised), raised)).toEqual({
      DOCKER_AUTH_CONFIG: huge,
    });
  });

  it('the limit is strict: a file of exactly 5120 bytes is refused, one byte less is written', () => {
    const line = (length: number) => [{ name: 'A', value: 'x'.repeat(length - 3) }];
    expect(() => dotenvContent(line(GITLAB_DOTENV_MAX_BYTES))).toThrow(/would be 5120 bytes/);
    expect(dotenvContent(line(GITLAB_DOTENV_MAX_BYTES - 1))).toHaveLength(GITLAB_DOTENV_MAX_BYTES - 1);
  });

  it('names and values GitLab would refuse or change are refused, naming the variable, never the value', () => {
    const secret = 'sec ret$';
    const problems = [
      [[{ name: 'DOCKER-AUTH', value: 'x' }], /name "DOCKER-AUTH" is not one GitLab accepts/],
      [[{ name: '', value: 'x' }], /name "" is not one GitLab accepts/],
      [
        [
          { name: 'A', value: 'x' },
          { name: 'A', value: 'y' },
        ],
        /dotenv variable A is named twice/,
      ],
      [[{ name: 'A', value: 'two\nlines' }], /value of dotenv variable A spans several lines/],
      [[{ name: 'A', value: secret }], /value of dotenv variable A holds spaces/],
      [[{ name: 'A', value: 'sec$ret' }], /value of dotenv variable A holds a \$, which GitLab would expand/],
      [[], /would hold no variable/],
      [Array.from({ length: 21 }, (_, i) => ({ name: `V${i}`, value: 'x' })), /21 variables; GitLab takes at most 20/],
    ] as const;
    for (const [entries, pattern] of problems) {
      let message = '';
      try {
        dotenvContent(entries);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(pattern);
      expect(message).not.toContain('sec');
    }
  });
});

describe('a Docker config reader accepts DOCKER_AUTH_CONFIG', () => {
  it('skopeo reads the login for the registry from it', async () => {
    const password = ecrPassword();
    const path = join(dir, 'auth.env');
    await writeDotenvFile(path, [
      { name: 'DOCKER_AUTH_CONFIG', value: dockerConfigJson([{ registry: REGISTRY, username: 'AWS', password }]) },
    ]);
    const authFile = join(dir, 'config.json');
    writeFileSync(authFile, parseAsGitLab(readFileSync(path, 'utf8'))['DOCKER_AUTH_CONFIG'] ?? '', { mode: 0o600 });
    const login = execFileSync('skopeo', ['login', '--get-login', '--authfile', authFile, REGISTRY], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', HOME: dir },
    });
    expect(login.trim()).toBe('AWS');
    // And a registry it holds no login for is refused: the reader did read the file.
    expect(() =>
      execFileSync('skopeo', ['login', '--get-login', '--authfile', authFile, 'other.example'], {
        encoding: 'utf8',
        stdio: 'pipe',
        env: { PATH: process.env['PATH'] ?? '', HOME: dir },
      }),
    ).toThrow(/not logged into other\.example/);
  });
});
