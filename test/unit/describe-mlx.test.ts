import { describe, expect, it } from "vitest";
import { describeMlx, type WeightsFile } from "../../src/models/describe-mlx.js";
import { parseSafetensorsHeader, type SafetensorsHeader } from "../../src/models/parse-safetensors-header.js";

/** A safetensors file of these tensors (dtype, shape, bytes), as its header describes them. */
function weights(name: string, tensors: Record<string, [dtype: string, shape: number[], bytes: number]>, cut = 0): WeightsFile {
  let offset = 0;
  const json: Record<string, unknown> = { __metadata__: { format: "mlx" } };
  for (const [tensor, [dtype, shape, bytes]] of Object.entries(tensors)) {
    json[tensor] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const text = JSON.stringify(json);
  const header = parseSafetensorsHeader(text, text.length) as SafetensorsHeader;
  return { name, size: 8 + text.length + offset - cut, header };
}

describe("an MLX folder's facts from config.json and its safetensors headers (describeMlx)", () => {
  const config = { model_type: "qwen2", max_position_embeddings: 32768, quantization: { group_size: 64, bits: 4 } };
  // A 4-bit layer of 256 × 1024: 1024 / 8 uint32 columns, a scale and a bias per 64 values.
  const quantized = weights("model.safetensors", {
    "model.layers.0.mlp.up_proj.weight": ["U32", [256, 128], 256 * 128 * 4],
    "model.layers.0.mlp.up_proj.scales": ["F16", [256, 16], 256 * 16 * 2],
    "model.layers.0.mlp.up_proj.biases": ["F16", [256, 16], 256 * 16 * 2],
    "model.norm.weight": ["F16", [1024], 2048],
  });

  it("mlx-lm's quantization: the packed weights unpacked, scales and biases no parameters", () => {
    expect(describeMlx(config, [quantized])).toEqual({
      facts: { architecture: "qwen2", params: 256 * 1024 + 1024, quantization: "4-bit", contextLength: 32768 },
    });
  });

  it("a layer quantized differently (mlx-lm writes its bits under its name) is unpacked with its own bits", () => {
    const mixed = { ...config, quantization: { ...config.quantization, "model.layers.0.mlp.up_proj": { group_size: 64, bits: 8 } } };
    expect(describeMlx(mixed, [quantized])).toMatchObject({ facts: { params: 256 * 512 + 1024 } });
  });

  it("unquantized: the weights' type; a vision-language model's text_config; shards counted together", () => {
    const shard = (n: number) => weights(`model-0000${n}-of-00002.safetensors`, { [`layer${n}.weight`]: ["BF16", [100, 10], 2000] });
    expect(describeMlx({ model_type: "qwen2_vl", text_config: { max_position_embeddings: 4096 } }, [shard(1), shard(2)])).toEqual({
      facts: { architecture: "qwen2_vl", params: 2000, quantization: "BF16", contextLength: 4096 },
    });
    expect(describeMlx({ model_type: "llama", quantization_config: { quant_method: "awq", bits: 4 } }, [shard(1)])).toMatchObject({
      facts: { quantization: "4-bit awq", contextLength: null },
    });
  });

  it("what is no model says why: no weights, a config that is no object, a truncated file, a header that is no safetensors header", () => {
    expect(describeMlx(config, [])).toEqual({ problem: "it has a config.json but no *.safetensors weights" });
    expect(describeMlx([1, 2], [quantized])).toEqual({ problem: "its config.json is not a JSON object" });
    const cut = weights("model.safetensors", { w: ["F32", [10], 40] }, 1);
    expect(describeMlx(config, [cut])).toEqual({
      problem: `truncated: model.safetensors's tensors run to byte ${cut.header.dataEnd}, the file has ${cut.size} (an interrupted download or copy?)`,
    });
    expect(parseSafetensorsHeader("{not json", 9)).toBe("its header is not JSON (not a safetensors file?)");
    expect(parseSafetensorsHeader("[]", 2)).toBe("its header is not a JSON object");
    expect(parseSafetensorsHeader('{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', 60)).toBe(
      'its header describes tensor "w" with no dtype, shape or byte range',
    );
  });
});
