#!/usr/bin/env python3
"""A llama GGUF of a real model's shape with random weights, for the engine benchmark.

The models in ../shared/models are tiny (stories260K: 64-wide embedding, 8-wide attention heads), so a
token costs ~1 ms and the benchmark measures per-token overhead and the slow kernel path 8-wide heads
take, which no real model does. This writes a model shaped like a small real one -- attention heads
64 wide, grouped-query attention, a SwiGLU feed-forward, Q8_0 weights as users run them -- with the
llama-2 tokenizer (and ChatML template) copied from llama-2-tiny-random-chatml.gguf, using llama.cpp's
own gguf-py, so llama-server and the engine read exactly the same file.

Random weights write random text. So that every answer runs to its full length and streams as text
on both servers, the output rows of the tokens that end or hide text are zero (their logit is 0 while
the largest of ~32,000 random logits is well above it): end of text, control and byte tokens, and
pieces with '<' or '|' (which could spell the template's `<|im_end|>` stop string).

    python3 scripts/make-bench-gguf.py --out FILE.gguf [--embd 1024] [--layers 4] [--ff 2816]
        [--heads 16] [--kv-heads 4] [--type q8_0|f16] [--seed 1]

Deterministic for its arguments. Needs numpy; gguf-py is taken from .cache/llama.cpp/src/gguf-py
(scripts/build-llama-server.sh puts it there).
"""

import argparse
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GGUF_PY = os.path.join(ROOT, ".cache", "llama.cpp", "src", "gguf-py")
if not os.path.isdir(GGUF_PY):
    raise SystemExit(f"{GGUF_PY} is missing: run `npm run build:llama-server` first (it unpacks llama.cpp's source there)")
sys.path.insert(0, GGUF_PY)
import gguf  # noqa: E402

TOKENIZER_SOURCE = os.path.join(ROOT, "..", "shared", "models", "llama-2-tiny-random-chatml.gguf")
HEAD_WIDTH = 64


def field(reader, name):
    value = reader.fields.get(name)
    if value is None:
        raise SystemExit(f"{TOKENIZER_SOURCE} has no {name}")
    return value.contents()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--embd", type=int, default=1024)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--ff", type=int, default=2816)
    parser.add_argument("--heads", type=int, default=16)
    parser.add_argument("--kv-heads", type=int, default=4)
    parser.add_argument("--context", type=int, default=4096)
    parser.add_argument("--type", choices=["q8_0", "f16"], default="q8_0")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tokenizer-from", default=TOKENIZER_SOURCE)
    args = parser.parse_args()
    if args.embd != args.heads * HEAD_WIDTH:
        raise SystemExit(f"--embd must be --heads x {HEAD_WIDTH} (heads {HEAD_WIDTH} wide, as in real models)")
    if args.heads % args.kv_heads != 0:
        raise SystemExit("--heads must be a multiple of --kv-heads")

    source = gguf.GGUFReader(args.tokenizer_from)
    tokens = field(source, "tokenizer.ggml.tokens")
    scores = field(source, "tokenizer.ggml.scores")
    token_types = field(source, "tokenizer.ggml.token_type")
    vocab = len(tokens)
    quant = gguf.GGMLQuantizationType.Q8_0 if args.type == "q8_0" else gguf.GGMLQuantizationType.F16
    file_type = gguf.LlamaFileType.MOSTLY_Q8_0 if args.type == "q8_0" else gguf.LlamaFileType.MOSTLY_F16

    tmp = args.out + ".part"
    writer = gguf.GGUFWriter(tmp, "llama")
    writer.add_name(f"mallex bench llama {args.embd}x{args.layers} random")
    writer.add_context_length(args.context)
    writer.add_embedding_length(args.embd)
    writer.add_block_count(args.layers)
    writer.add_feed_forward_length(args.ff)
    writer.add_rope_dimension_count(HEAD_WIDTH)
    writer.add_head_count(args.heads)
    writer.add_head_count_kv(args.kv_heads)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_rope_freq_base(10000.0)
    writer.add_file_type(file_type)
    writer.add_tokenizer_model(field(source, "tokenizer.ggml.model"))
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(token_types)
    writer.add_bos_token_id(field(source, "tokenizer.ggml.bos_token_id"))
    writer.add_eos_token_id(field(source, "tokenizer.ggml.eos_token_id"))
    writer.add_unk_token_id(field(source, "tokenizer.ggml.unknown_token_id"))
    writer.add_chat_template(field(source, "tokenizer.chat_template"))

    rng = np.random.default_rng(args.seed)

    def matrix(rows, cols):
        # GPT-2's initialisation scale: activations stay in range through the RMS norms.
        return (rng.standard_normal((rows, cols), dtype=np.float32) * 0.02).astype(np.float32)

    def add_matrix(name, data):
        writer.add_tensor(name, gguf.quants.quantize(data, quant) if quant != gguf.GGMLQuantizationType.F16 else data.astype(np.float16), raw_dtype=quant)

    kv_width = args.kv_heads * HEAD_WIDTH
    # numpy shape (rows, cols) is ggml's ne = [cols, rows]: a weight maps cols inputs to rows outputs.
    writer.add_tensor("token_embd.weight", matrix(vocab, args.embd).astype(np.float16), raw_dtype=gguf.GGMLQuantizationType.F16)
    for layer in range(args.layers):
        prefix = f"blk.{layer}"
        writer.add_tensor(f"{prefix}.attn_norm.weight", np.ones(args.embd, dtype=np.float32))
        add_matrix(f"{prefix}.attn_q.weight", matrix(args.embd, args.embd))
        add_matrix(f"{prefix}.attn_k.weight", matrix(kv_width, args.embd))
        add_matrix(f"{prefix}.attn_v.weight", matrix(kv_width, args.embd))
        add_matrix(f"{prefix}.attn_output.weight", matrix(args.embd, args.embd))
        writer.add_tensor(f"{prefix}.ffn_norm.weight", np.ones(args.embd, dtype=np.float32))
        add_matrix(f"{prefix}.ffn_gate.weight", matrix(args.ff, args.embd))
        add_matrix(f"{prefix}.ffn_up.weight", matrix(args.ff, args.embd))
        add_matrix(f"{prefix}.ffn_down.weight", matrix(args.embd, args.ff))
    writer.add_tensor("output_norm.weight", np.ones(args.embd, dtype=np.float32))
    output = matrix(vocab, args.embd)
    normal = gguf.TokenType.NORMAL
    for token_id, (piece, token_type) in enumerate(zip(tokens, token_types)):
        if token_type != normal or "<" in piece or "|" in piece:
            output[token_id] = 0
    add_matrix("output.weight", output)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    os.replace(tmp, args.out)
    print(f"{args.out}: llama, embedding {args.embd}, {args.layers} layers, {args.heads} heads x {HEAD_WIDTH} ({args.kv_heads} kv), ff {args.ff}, vocabulary {vocab}, {args.type}")


if __name__ == "__main__":
    main()
