/**
 * GPT-2's reversible byte ↔ character mapping: byte-level BPE vocabularies spell every byte as a
 * printable character (bytes that are printable Latin-1 map to themselves, the others to U+0100…).
 */

/** BYTE_TO_CHAR[b] is the one-character string that stands for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Inverse mapping, indexed by char code; -1 for characters that stand for no byte. */
export const CHAR_TO_BYTE: Int16Array = buildCharToByte(BYTE_TO_CHAR);

function buildByteToChar(): string[] {
  const map: string[] = new Array(256);
  const printable = (b: number) => (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    map[b] = String.fromCharCode(printable(b) ? b : 256 + n++);
  }
  return map;
}

function buildCharToByte(byteToChar: readonly string[]): Int16Array {
  const inv = new Int16Array(0x200).fill(-1);
  for (let b = 0; b < 256; b++) inv[byteToChar[b].charCodeAt(0)] = b;
  return inv;
}
