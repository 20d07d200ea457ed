/**
 * The PEM checks Go's TLS setup would fail on, done up front so the error
 * names the kubeconfig field or plugin instead of surfacing mid-request.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';

import { UserError } from '../errors.js';

/** Like Go's AppendCertsFromPEM: at least one certificate must parse. */
export function checkCertificates(pem: string, what: string): void {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (!blocks?.some(parsesAsCertificate)) throw new UserError(`${what} holds no PEM certificate`);
}

/** Like Go's tls.X509KeyPair: both must parse and belong together. `of` names the owner. */
export function checkKeyPair(of: string, certPem: string, keyPem: string): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new UserError(`the client certificate of ${of} is not a PEM certificate`);
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    // The key's text is a secret: never quote it, not even in a cause.
    throw new UserError(`the client key of ${of} is not a PEM private key`);
  }
  if (!matches) throw new UserError(`the client key of ${of} does not match its certificate`);
}

function parsesAsCertificate(block: string): boolean {
  try {
    return Boolean(new X509Certificate(block));
  } catch {
    return false;
  }
}
