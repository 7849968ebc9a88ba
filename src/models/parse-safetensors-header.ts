/**
 * A safetensors file is an 8-byte little-endian header length, that many bytes of JSON naming each
 * tensor's dtype, shape and byte range in the data after it, then the data.
 * @see https://huggingface.co/docs/safetensors/index#format
 */
export interface SafetensorsTensor {
  dtype: string;
  shape: number[];
  /** Start and end of its bytes, counted from the end of the header. */
  dataOffsets: [number, number];
}

/** What a safetensors file's header says: its tensors by name, and where its data ends in the file. */
export interface SafetensorsHeader {
  tensors: Map<string, SafetensorsTensor>;
  /** 8 + the header's length + the end of the last tensor's bytes: the file is at least this long when whole. */
  dataEnd: number;
}

/** The longest header read: a model's is some kilobytes to a few megabytes (one line per tensor). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100 * 1024 * 1024;

/** The header's JSON, parsed and checked; a string says why it is no safetensors header. Pure. */
export function parseSafetensorsHeader(json: string, headerLength: number): SafetensorsHeader | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return "its header is not JSON (not a safetensors file?)";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return "its header is not a JSON object";
  const tensors = new Map<string, SafetensorsTensor>();
  let end = 0;
  for (const [name, value] of Object.entries(parsed)) {
    if (name === "__metadata__") continue;
    const tensor = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const { dtype, shape, data_offsets: offsets } = tensor ?? {};
    if (typeof dtype !== "string" || !isCountList(shape) || !isCountList(offsets) || offsets.length !== 2 || offsets[0]! > offsets[1]!)
      return `its header describes tensor ${JSON.stringify(name)} with no dtype, shape or byte range`;
    tensors.set(name, { dtype, shape, dataOffsets: [offsets[0]!, offsets[1]!] });
    end = Math.max(end, offsets[1]!);
  }
  return { tensors, dataEnd: 8 + headerLength + end };
}

function isCountList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
}
