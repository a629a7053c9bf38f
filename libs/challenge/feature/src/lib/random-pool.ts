import { randomFillSync } from 'node:crypto';

/** 32-byte CSPRNG values, drawn from the kernel a batch at a time rather than once per challenge. */
export class RandomPool {
  private readonly buffer = Buffer.allocUnsafe(32 * 512);
  private offset = this.buffer.length;

  next32Base64Url(): string {
    if (this.offset + 32 > this.buffer.length) {
      randomFillSync(this.buffer);
      this.offset = 0;
    }
    const value = this.buffer.toString('base64url', this.offset, this.offset + 32);
    // Never hand out the same bytes twice, even if something reads the buffer later.
    this.buffer.fill(0, this.offset, this.offset + 32);
    this.offset += 32;
    return value;
  }
}
