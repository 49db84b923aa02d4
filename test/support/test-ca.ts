// A throw-away certificate authority made with the openssl CLI for the tests that need real TLS: a CA, a
// server certificate for 127.0.0.1 signed by it, and client certificates (an app registration's credential).
// Nothing leaves the temp directory; no network.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pem { cert: string; key: string }
export interface TestCa {
  ca: Pem;
  /** Signed by the CA for 127.0.0.1 and localhost. */
  server: Pem;
  /** A self-signed certificate and key, as registered with an app (Entra ID needs no CA for those). */
  clientCertificate(name: string): Pem;
  close(): void;
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'fw-test-ca-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3650', '-subj', '/CN=Fleetward test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '3650', '-extfile', 'san.ext');
  return {
    ca: { cert: read('ca.pem'), key: read('ca.key') },
    server: { cert: read('server.pem'), key: read('server.key') },
    clientCertificate(name) {
      ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '3650', '-subj', `/CN=${name}`);
      return { cert: read(`${name}.pem`), key: read(`${name}.key`) };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
