// Byte helpers without Buffer: the SDK runs in browsers and edge runtimes too.

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** Null when the text is not an even number of hex digits. */
export function hexToBytes(hex: string): Uint8Array | null {
  if (!HEX.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Standard padded base64, as PEM bodies use it. */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const chunk = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const symbols = Math.min(bytes.length - i, 3) + 1;
    for (let j = 0; j < 4; j++) out += j < symbols ? BASE64_ALPHABET[(chunk >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

/** Decodes base64 or base64url, padded or not. Null when the text is neither. */
export function base64ToBytes(text: string): Uint8Array | null {
  const normalized = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (normalized.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((normalized.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const symbol of normalized) {
    const digit = BASE64_ALPHABET.indexOf(symbol);
    if (digit < 0) return null;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (value >> bits) & 0xff;
    }
  }
  return out;
}
