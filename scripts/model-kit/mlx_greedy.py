"""Greedy tokens from an MLX folder, for comparing it with llama.cpp on the GGUF it came from.

Reads {"texts": ["..."], "chats": [[messages]], "max_tokens": N} on stdin and writes
{"tokenized": [[ids]], "rendered": ["..."], "prompt_ids": [[ids]], "greedy": [[ids]], "margins": [[x]]}:
each text as the folder's tokenizer encodes it, and each chat rendered with the folder's chat
template, its ids, the greedy continuation of those ids (so llama.cpp can start from the very same
tokens), and at each step the log-probability margin of the chosen token over the runner-up.
Usage: python mlx_greedy.py MLX_DIR
"""

import json
import sys

import mlx.core as mx
from mlx_lm import load
from mlx_lm.generate import generate_step
from mlx_lm.sample_utils import make_sampler


def greedy(model, prompt, max_tokens, stop):
    """The greedy tokens, and at each step how far the chosen token's log-probability is above the runner-up's."""
    tokens, margins = [], []
    for token, logprobs in generate_step(mx.array(prompt), model, max_tokens=max_tokens, sampler=make_sampler(0.0)):
        token = int(token)
        if token in stop:
            break
        top2 = mx.topk(logprobs, 2)
        tokens.append(token)
        margins.append(abs(float(top2[1] - top2[0])))
    return tokens, margins


def main(folder):
    request = json.load(sys.stdin)
    model, tokenizer = load(folder)
    stop = set(tokenizer.eos_token_ids)
    rendered = [tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True) for chat in request.get("chats", [])]
    prompt_ids = [tokenizer.encode(text, add_special_tokens=False) for text in rendered]
    answers = [greedy(model, ids, request["max_tokens"], stop) for ids in prompt_ids]
    result = {
        "tokenized": [tokenizer.encode(text, add_special_tokens=False) for text in request.get("texts", [])],
        "rendered": rendered,
        "prompt_ids": prompt_ids,
        "greedy": [tokens for tokens, _ in answers],
        "margins": [margins for _, margins in answers],
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
