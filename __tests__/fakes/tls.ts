/**
 * TLS: `startFakes({ https: ['github', ...] })` serves those fakes over HTTPS with a leaf certificate
 * from a throwaway CA made by `openssl` when the fakes start, trusted by the action through
 * `NODE_EXTRA_CA_CERTS`, as on a runner with a private CA. No key is ever committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The names and addresses the fakes are reached by: their `.test` names (via the proxy), and loopback. */
export const FAKE_HOSTS = [
  'github.test',
  'oidc.test',
  'sts.aws.test',
  'ecr.aws.test',
  'localhost',
  '127.0.0.1',
  '0.0.0.0',
];

/** A server's certificate and key, and the CA that signed it, as a client is told to trust it. */
export interface TlsIdentity {
  key: string;
  cert: string;
  /** The CA certificate alone (public), for `NODE_EXTRA_CA_CERTS`: Node adds it to its default roots. */
  caFile: string;
  /** Removes the CA file. */
  dispose: () => void;
}

/**
 * A throwaway CA and a leaf certificate for `hosts`, made with the `openssl` CLI when the fakes start,
 * so that no private key is ever committed: both keys live in memory only (their files are removed
 * at once) and die with the test. The leaf is what a real service presents: signed by a CA the client
 * trusts, for the names it is reached by (subjectAltName; Node ignores the CN), for server auth.
 */
export function createTlsIdentity(hosts: string[] = FAKE_HOSTS): TlsIdentity {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-secret-refresh-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) =>
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '1',
      '-subj',
      '/CN=ecr-secret-refresh throwaway test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    openssl('req', '-new', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', `/CN=${hosts[0] ?? 'localhost'}`);
    const names = hosts.map((host) => (/^[\d.]+$/.test(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
    writeFileSync(
      file('leaf.ext'),
      [
        `subjectAltName=${names}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
      ].join('\n'),
    );
    openssl(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${Date.now().toString(16)}`,
      '-days',
      '1',
      '-extfile',
      'leaf.ext',
      '-out',
      'leaf.pem',
    );
    const identity = { key: readFileSync(file('leaf.key'), 'utf8'), cert: readFileSync(file('leaf.pem'), 'utf8') };
    for (const name of ['ca.key', 'leaf.key', 'leaf.csr', 'leaf.ext', 'leaf.pem']) rmSync(file(name), { force: true });
    return { ...identity, caFile: file('ca.pem'), dispose: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
