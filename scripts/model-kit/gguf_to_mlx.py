"""Convert a llama- or qwen2-architecture GGUF into a folder mlx_lm loads offline.

Weights are dequantized with llama.cpp's own gguf-py and written as float32 safetensors (mlx's CPU
backend computes float16 several times slower, and its quantized kernels slower still); the
tokenizer is rebuilt from the GGUF's vocabulary and merges with Hugging Face `tokenizers`, and
carries the GGUF's chat template, so mlx_lm.server renders prompts exactly as llama.cpp does.
No torch, no network. Usage: python gguf_to_mlx.py MODEL.gguf OUT_DIR
"""

import json
import sys
from pathlib import Path

import mlx.core as mx
import numpy as np
from gguf import GGUFReader
from gguf.constants import GGMLQuantizationType
from gguf.quants import dequantize
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
from transformers import PreTrainedTokenizerFast

# The pre-tokenizer splits llama.cpp applies for each `tokenizer.ggml.pre` (llama-vocab.cpp), as
# the Hugging Face tokenizers of those models write them.
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)

# GGUF token types (gguf.constants.TokenType): 3 control, 4 user-defined.
CONTROL, USER_DEFINED = 3, 4

LAYER_NAMES = {
    "attn_norm": "input_layernorm",
    "ffn_norm": "post_attention_layernorm",
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
TOP_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm", "output": "lm_head"}


def field(reader, key, default=None):
    found = reader.fields.get(key)
    return default if found is None else found.contents()


def hf_name(gguf_name):
    base, _, kind = gguf_name.rpartition(".")
    if base in TOP_NAMES:
        return f"{TOP_NAMES[base]}.{kind}"
    blk, index, part = base.split(".")
    if blk != "blk" or part not in LAYER_NAMES:
        raise SystemExit(f"gguf_to_mlx: no mapping for tensor {gguf_name}")
    return f"model.layers.{index}.{LAYER_NAMES[part]}.{kind}"


def unpermute(weights, heads):
    """Undo the row order convert_hf_to_gguf.py gives llama's q and k for llama.cpp's rope."""
    rows = weights.shape[0]
    return (
        weights.reshape(heads, rows // heads // 2, 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def read_weights(reader, arch):
    heads = field(reader, f"{arch}.attention.head_count")
    kv_heads = field(reader, f"{arch}.attention.head_count_kv", heads)
    weights = {}
    for tensor in reader.tensors:
        qtype = GGMLQuantizationType(tensor.tensor_type)
        values = dequantize(np.asarray(tensor.data), qtype).astype(np.float32)
        values = values.reshape([int(n) for n in reversed(tensor.shape)])
        if arch == "llama" and tensor.name.startswith("blk.") and ".attn_q.weight" in tensor.name:
            values = unpermute(values, heads)
        if arch == "llama" and tensor.name.startswith("blk.") and ".attn_k.weight" in tensor.name:
            values = unpermute(values, kv_heads)
        weights[hf_name(tensor.name)] = mx.array(values)
    return weights


def model_config(reader, arch, weights):
    eos = [int(field(reader, "tokenizer.ggml.eos_token_id"))]
    eot = field(reader, "tokenizer.ggml.eot_token_id")
    if eot is not None and int(eot) not in eos:
        eos.append(int(eot))
    heads = field(reader, f"{arch}.attention.head_count")
    hidden = field(reader, f"{arch}.embedding_length")
    return {
        "architectures": ["LlamaForCausalLM" if arch == "llama" else "Qwen2ForCausalLM"],
        "model_type": arch,
        "hidden_size": hidden,
        "num_hidden_layers": field(reader, f"{arch}.block_count"),
        "intermediate_size": field(reader, f"{arch}.feed_forward_length"),
        "num_attention_heads": heads,
        "num_key_value_heads": field(reader, f"{arch}.attention.head_count_kv", heads),
        "head_dim": hidden // heads,
        "rms_norm_eps": field(reader, f"{arch}.attention.layer_norm_rms_epsilon"),
        "rope_theta": field(reader, f"{arch}.rope.freq_base", 10000.0),
        "max_position_embeddings": field(reader, f"{arch}.context_length"),
        "vocab_size": weights["model.embed_tokens.weight"].shape[0],
        "tie_word_embeddings": "lm_head.weight" not in weights,
        "bos_token_id": field(reader, "tokenizer.ggml.bos_token_id"),
        "eos_token_id": eos,
        "torch_dtype": "float32",
    }


def pre_tokenizer(pre):
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    if pre == "qwen2":
        return pre_tokenizers.Sequence(
            [pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False), byte_level]
        )
    if pre == "smollm":
        return pre_tokenizers.Sequence(
            [
                pre_tokenizers.Digits(individual_digits=True),
                pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True),
            ]
        )
    raise SystemExit(f"gguf_to_mlx: unknown pre-tokenizer {pre!r} (known: qwen2, smollm)")


def build_tokenizer(reader):
    if field(reader, "tokenizer.ggml.model") != "gpt2":
        raise SystemExit("gguf_to_mlx: only byte-level BPE vocabularies (tokenizer.ggml.model gpt2)")
    tokens = field(reader, "tokenizer.ggml.tokens")
    types = field(reader, "tokenizer.ggml.token_type")
    merges = [tuple(merge.split(" ", 1)) for merge in field(reader, "tokenizer.ggml.merges")]
    bpe = models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=merges, fuse_unk=False)
    tokenizer = Tokenizer(bpe)
    pre = field(reader, "tokenizer.ggml.pre")
    if pre == "qwen2":
        tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizer(pre)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.add_tokens(
        [AddedToken(t, special=types[i] == CONTROL, normalized=False) for i, t in enumerate(tokens)
         if types[i] in (CONTROL, USER_DEFINED)]
    )

    def token(key):
        found = field(reader, key)
        return None if found is None else tokens[int(found)]

    wrapped = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=token("tokenizer.ggml.bos_token_id"),
        eos_token=token("tokenizer.ggml.eos_token_id"),
        pad_token=token("tokenizer.ggml.padding_token_id"),
        unk_token=token("tokenizer.ggml.unknown_token_id"),
        add_bos_token=bool(field(reader, "tokenizer.ggml.add_bos_token", False)),
        clean_up_tokenization_spaces=False,
        model_max_length=field(reader, f"{field(reader, 'general.architecture')}.context_length"),
    )
    wrapped.chat_template = field(reader, "tokenizer.chat_template")
    return wrapped


def main(source, out):
    reader = GGUFReader(source)
    arch = field(reader, "general.architecture")
    if arch not in ("llama", "qwen2"):
        raise SystemExit(f"gguf_to_mlx: architecture {arch!r} is not supported (llama, qwen2)")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    weights = read_weights(reader, arch)
    mx.save_safetensors(str(out / "model.safetensors"), weights, metadata={"format": "mlx"})
    (out / "config.json").write_text(json.dumps(model_config(reader, arch, weights), indent=2))
    build_tokenizer(reader).save_pretrained(str(out))
    # The chat template goes into tokenizer_config.json, where every mlx-lm and transformers release
    # reads it, rather than the chat_template.jinja newer transformers writes beside it.
    template = out / "chat_template.jinja"
    config_path = out / "tokenizer_config.json"
    config = json.loads(config_path.read_text())
    config["chat_template"] = template.read_text() if template.exists() else field(reader, "tokenizer.chat_template")
    config_path.write_text(json.dumps(config, indent=2, ensure_ascii=False))
    template.unlink(missing_ok=True)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit("usage: gguf_to_mlx.py MODEL.gguf OUT_DIR")
    main(sys.argv[1], sys.argv[2])
