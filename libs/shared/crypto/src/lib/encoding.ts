const HEX = /^[0-9a-fA-F]*$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes a fixed-length binary value given as hex (any case) or unpadded
 * base64url. Returns null when the text is neither, or has the wrong length.
 */
export function decodeFixedBytes(text: string, length: number): Uint8Array | null {
  if (text.length === length * 2 && HEX.test(text)) {
    return new Uint8Array(Buffer.from(text, 'hex'));
  }
  if (text.length === Math.ceil((length * 4) / 3) && BASE64URL.test(text)) {
    const bytes = Buffer.from(text, 'base64url');
    // Reject encodings with non-zero padding bits: one value, one spelling.
    if (bytes.length === length && bytes.toString('base64url') === text) return new Uint8Array(bytes);
  }
  return null;
}

export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
export const toBase64Url = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
