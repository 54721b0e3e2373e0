// What a failed connection says when TLS is why: a certificate the client refused, or a
// client and a server that disagree on TLS. Each names Node's error code and what to change.

/** Why a connection failed, and what to do about it, for a {@link ConnectionError}. */
export interface Failure {
  readonly reason: string;
  readonly advice: string;
}

/** Node's codes for a certificate that is not trusted: nothing the client trusts signed it. */
const UNTRUSTED = /SELF_SIGNED|UNABLE_TO_GET_ISSUER|UNABLE_TO_VERIFY_LEAF|CERT_UNTRUSTED|CERT_CHAIN_TOO_LONG/;

/** Node's codes for a TLS client whose server answered in plain text (memcached without -Z). */
const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST']);

/** What a TLS client is told when its server does not speak TLS. */
const PLAIN_SERVER =
  'Drop the tls option to talk to it in plain text, or start memcached with TLS (-Z -o ssl_chain_cert=…,ssl_key=…).';

/** What a plain-text client is told when its server speaks TLS. */
const TLS_SERVER =
  'give the client the tls option (tls: true, or tls: { ca } for a private CA), or connect to a port without TLS.';

/**
 * Why a TLS connect failed with `error`, if TLS is why: the server's certificate, or a
 * server that does not speak TLS (it answered the handshake in plain text, or closed it).
 */
export function tlsConnectFailure(error: Error | undefined): Failure | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error === undefined || code === undefined) return undefined;
  const what = `${code}: ${error.message}`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return {
      reason: `the server's TLS certificate does not name the host connected to (${what})`,
      advice:
        'Connect by a name the certificate lists, or set tls: { servername } to one of them; or give the server a certificate for this name.',
    };
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return {
      reason: `the server's TLS certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'} (${what})`,
      advice: "Renew the server's certificate, and check that this host's and the server's clocks are right.",
    };
  }
  if (UNTRUSTED.test(code)) {
    return {
      reason: `the server's TLS certificate is not trusted (${what})`,
      advice: 'Give the client the CA that signed it (the certificate itself, if self-signed) as tls: { ca }.',
    };
  }
  if (/CERT/.test(code)) {
    return {
      reason: `the server's TLS certificate was refused (${what})`,
      advice: "Check the certificate, and the client's tls: { ca, servername }.",
    };
  }
  if (NOT_TLS.has(code) || (code === 'ECONNRESET' && /secure TLS connection/.test(error.message))) {
    // OpenSSL's own text is a multi-line dump of its internals: the code says it.
    return { reason: `TLS mismatch: the server does not speak TLS (${code})`, advice: PLAIN_SERVER };
  }
  return undefined;
}

/**
 * Why a plain-text connection closed before any reply byte came while replies were owed:
 * perhaps a server that speaks TLS (memcached 1.6 with -Z resets such a client unanswered),
 * perhaps a server that died; the message says both.
 */
export function plainClosedUnanswered(error: Error | undefined): Failure {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return {
    reason: `the server closed the connection${code === undefined ? '' : ` (${code})`} before answering anything; if it expects TLS, this is a TLS mismatch (memcached -Z drops plain-text clients unanswered)`,
    advice: `If so: ${TLS_SERVER} If not, check that the server is up and not refusing connections.`,
  };
}

/** Whether `chunk`, the first bytes a plain-text connection received, is a TLS record (a handshake or an alert). */
export function isTlsRecord(chunk: Buffer): boolean {
  return (chunk[0] === 0x15 || chunk[0] === 0x16) && chunk[1] === 0x03;
}

/** Why a plain-text connection was answered with TLS. */
export const ANSWERED_WITH_TLS: Failure = {
  reason: 'TLS mismatch: the server answered in TLS, and this client speaks plain text',
  advice: `To fix it, ${TLS_SERVER}`,
};
