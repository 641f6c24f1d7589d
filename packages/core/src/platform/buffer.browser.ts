/**
 * The part of Node's Buffer the GGUF header reader (gguf/header.ts) uses, for browsers: a
 * Uint8Array with little-endian reads through a DataView and UTF-8 through TextDecoder (which
 * replaces bad sequences with U+FFFD, as Buffer does).
 */
const utf8 = new TextDecoder('utf-8');

/** A byte array with Buffer's reading methods. */
class ByteReader extends Uint8Array<ArrayBufferLike> {
  private dv: DataView | undefined;

  private view(): DataView {
    return (this.dv ??= new DataView(this.buffer, this.byteOffset, this.byteLength));
  }

  readInt8(o: number): number { return this.view().getInt8(o); }
  readUInt16LE(o: number): number { return this.view().getUint16(o, true); }
  readInt16LE(o: number): number { return this.view().getInt16(o, true); }
  readUInt32LE(o: number): number { return this.view().getUint32(o, true); }
  readInt32LE(o: number): number { return this.view().getInt32(o, true); }
  readFloatLE(o: number): number { return this.view().getFloat32(o, true); }
  readDoubleLE(o: number): number { return this.view().getFloat64(o, true); }
  readBigUInt64LE(o: number): bigint { return this.view().getBigUint64(o, true); }
  readBigInt64LE(o: number): bigint { return this.view().getBigInt64(o, true); }

  override toString(_encoding?: 'utf8', start = 0, end = this.length): string {
    return utf8.decode(Uint8Array.prototype.subarray.call(this, start, end));
  }
}

export type Buffer = ByteReader;

/** Buffer.from(arrayBuffer, byteOffset, length) and Buffer.alloc(size), the two constructors used. */
export const Buffer = {
  from(buffer: ArrayBufferLike, byteOffset = 0, length?: number): ByteReader {
    return new ByteReader(buffer, byteOffset, length ?? buffer.byteLength - byteOffset);
  },
  alloc(size: number): ByteReader {
    return new ByteReader(new ArrayBuffer(size));
  },
};
