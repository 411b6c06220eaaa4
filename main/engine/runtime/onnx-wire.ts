/**
 * The protobuf wire format, just the pieces Iris needs to write a tiny ONNX model (the provider
 * probe) and to edit one in place (the seeded VAE encoder) — field numbers are onnx.proto's.
 *
 * Why not a protobuf library: the onnx-proto package the fixtures use is a devDependency, and
 * decoding a 137 MB VAE encoder into objects would copy every weight into JS to change one node.
 * Reading fields as byte ranges and writing the changed messages back leaves the weights' bytes
 * untouched (subarrays, one final copy).
 */

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;

export interface WireField {
  field: number;
  wireType: number;
  /** The whole field, tag included: copy `bytes.subarray(start, end)` to keep it unchanged. */
  start: number;
  end: number;
  /** A varint field's value (exact below 2^53; a negative int64 reads as a huge number). */
  int: number;
  /** A length-delimited field's body (a string, bytes or an embedded message); empty otherwise. */
  body: Uint8Array;
  /** A fixed32 field as a little-endian float (AttributeProto.f). */
  float: number;
}

/** The fields of one message, in order. Throws on bytes that are not a protobuf message. */
export function readFields(bytes: Uint8Array): WireField[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: WireField[] = [];
  let at = 0;
  const readVarint = (): number => {
    let value = 0;
    let scale = 1;
    for (let shift = 0; shift < 70; shift += 7) {
      if (at >= bytes.length) throw new Error('truncated protobuf varint');
      const byte = bytes[at++]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new Error('protobuf varint longer than 10 bytes');
  };
  while (at < bytes.length) {
    const start = at;
    const tag = readVarint();
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    let int = 0;
    let body = bytes.subarray(0, 0);
    let float = 0;
    if (wireType === WIRE_VARINT) int = readVarint();
    else if (wireType === WIRE_BYTES) {
      const length = readVarint();
      if (at + length > bytes.length) throw new Error(`protobuf field ${field} runs past the end of its message`);
      body = bytes.subarray(at, at + length);
      at += length;
    } else if (wireType === WIRE_FIXED32) {
      if (at + 4 > bytes.length) throw new Error('truncated protobuf fixed32');
      float = view.getFloat32(at, true);
      at += 4;
    } else if (wireType === WIRE_FIXED64) at += 8;
    else throw new Error(`protobuf wire type ${wireType} (field ${field}) is not one onnx.proto uses`);
    if (at > bytes.length) throw new Error('truncated protobuf field');
    fields.push({ field, wireType, start, end: at, int, body, float });
  }
  return fields;
}

/** A length-delimited field's body as UTF-8 text (names, op types). */
export function fieldText(field: WireField): string {
  return new TextDecoder().decode(field.body);
}

function varint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint of ${value}`);
  const bytes: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    bytes.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return Uint8Array.from(bytes);
}

/** A length-delimited field (wire type 2): a string, or an embedded message given as its parts. */
export function bytesField(field: number, content: string | Uint8Array | readonly Uint8Array[]): Uint8Array {
  const body = typeof content === 'string' ? new TextEncoder().encode(content) : content instanceof Uint8Array ? content : concatBytes(content);
  return concatBytes([varint(field * 8 + WIRE_BYTES), varint(body.length), body]);
}

/** An integer field (wire type 0). */
export function intField(field: number, value: number): Uint8Array {
  return concatBytes([varint(field * 8 + WIRE_VARINT), varint(value)]);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
