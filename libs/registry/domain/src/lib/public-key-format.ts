/**
 * What to send instead, told with every refusal of a key's format (the
 * request schema's and the decider's): the usual mistakes are a PEM file
 * as it is, or the last bytes of a private key rather than of the public one.
 */
export const PUBLIC_KEY_FORMAT_HINT =
  'give the raw 32-byte Ed25519 public key as 64 hex characters ' +
  '(from a public key PEM: `openssl pkey -pubin -in key.pub.pem -outform DER | tail -c 32 | xxd -p -c 64`; ' +
  'from a private key PEM: `openssl pkey -in key.pem -pubout -outform DER | tail -c 32 | xxd -p -c 64`; ' +
  'or make a key pair with `m2m keygen`)';
