"""Requests/s through `cosmos3-eval serve --protocol openai` with the official `openai` client.

Serves the `random` model in a child process on 127.0.0.1 and sends the same N chat requests
(one 64x64 PNG image + 4 options each) at concurrency 1 and 8 from client threads.

    python benchmarks/perf/serve_throughput.py [--n 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import openai

from cosmos3_eval.api.media import image_data_uri
from cosmos3_eval.protocols.openai import render_question

# The server-subprocess helper lives with the test doubles; run from anywhere in the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.helpers.servers import spawn_server  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    img = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    content = [
        {"type": "image_url", "image_url": {"url": image_data_uri(img)}},
        {"type": "text", "text": render_question("How many cubes?", ("1", "2", "3", "4"))},
    ]
    with spawn_server("random", {}, "openai") as server:
        client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)

        def one(i: int) -> str:
            r = client.chat.completions.create(
                model="random", seed=i, messages=[{"role": "user", "content": content}]
            )
            return r.choices[0].message.content

        for _ in range(10):  # warm up the connection pool and the server
            one(0)
        rates = {}
        for conc in (1, 8):
            start = time.perf_counter()
            with ThreadPoolExecutor(conc) as pool:
                answers = list(pool.map(one, range(args.n)))
            rates[conc] = args.n / (time.perf_counter() - start)
            assert len(answers) == args.n
            print(f"concurrency {conc}: {rates[conc]:.1f} requests/s ({args.n} requests)")
        print(f"ratio 8/1: {rates[8] / rates[1]:.2f}x")


if __name__ == "__main__":
    main()
