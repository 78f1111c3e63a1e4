#!/usr/bin/env python3
"""PyTorch peer for mixgraph's side-by-side benchmark.

Implements the training-step workloads of mixgraph's benchmarks package exactly: an MLP
with tanh hidden layers and an MDN head (K logits, K*D means, K*D log standard
deviations, component-major), the mean mixture NLL computed in log space, backward,
value clipping of every gradient element to [-10, 10], and one Adam step (lr 1e-3,
betas 0.9/0.999, eps 1e-8), on a fixed batch x ~ N(0,1), y ~ N(0,1).

Usage:
  mdn_bench.py --workload NAME --dtype f32|f64 --threads N [--tuned] [--steps S] [--warmup W]
  mdn_bench.py --matmul --threads N [--tuned]
  mdn_bench.py --predict --workload NAME --dtype f32|f64 --threads N [--rows R] [--tuned]
  mdn_bench.py --check case.json
  mdn_bench.py --serve --threads N [--tuned]

--check reads a JSON case {"dtype":"f64","K":k,"D":d,"layers":[{"w":[[...]],"b":[...]},...],
"x":[[...]],"y":[[...]]} (w is fan_in x fan_out; hidden layers tanh, the last layer the
head) and prints the mean NLL and the unclipped gradients of every w and b, so that
mixgraph's tests can check that both sides compute the same loss.

--predict times inference: the network's forward pass under torch.no_grad() on R rows
(10000 by default) followed by the softmax of the logits and the exponential of the log
standard deviations, i.e. every mixture parameter of every row.

Every mode's JSON also names the BLAS core OpenBLAS runs (openblas_get_corename, through
the library torch loaded; "unknown" when the BLAS is not OpenBLAS).

--serve keeps one process (one set-up, one OpenBLAS core) for many measurements: it reads
JSON requests from stdin, one a line — {"mode": "train"|"predict"|"matmul", "workload":
NAME, "dtype": "f32"|"f64", "seconds": S, "rows": R} — and answers each with the JSON line
the matching command-line mode prints, timing for about S seconds (at least 5 repeats).

--tuned applies the tuned set-up: glibc's mallopt raises M_MMAP_THRESHOLD to 32 MiB and
M_TRIM_THRESHOLD to 1 GiB before torch is imported (set OMP_WAIT_POLICY=PASSIVE in the
environment as well). Every mode prints one JSON line.
"""
import sys

TUNED = "--tuned" in sys.argv
if TUNED:
    # Must happen before torch allocates anything.
    import ctypes

    libc = ctypes.CDLL("libc.so.6")
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)

import argparse
import json
import math
import statistics
import time

try:
    import torch
except ImportError:
    print("mdn_bench.py: PyTorch is missing; install it with: apt-get install -y python3-torch",
          file=sys.stderr)
    sys.exit(1)

WORKLOADS = {
    # name: (D_in, hidden, K, D_out, batch)
    "bishop": (1, [20], 5, 1, 1000),
    "small": (8, [64, 64], 5, 2, 256),
    "medium": (16, [256, 256], 10, 4, 512),
    "large": (32, [512, 512], 20, 8, 1024),
}


class MDN(torch.nn.Module):
    def __init__(self, d_in, hidden, k, d_out):
        super().__init__()
        layers, prev = [], d_in
        for h in hidden:
            layers += [torch.nn.Linear(prev, h), torch.nn.Tanh()]
            prev = h
        self.body = torch.nn.Sequential(*layers)
        self.head = torch.nn.Linear(prev, k + 2 * k * d_out)
        self.k, self.d = k, d_out
        for m in self.modules():
            if isinstance(m, torch.nn.Linear):
                torch.nn.init.xavier_uniform_(m.weight)  # Glorot uniform, zero biases
                torch.nn.init.zeros_(m.bias)

    def forward(self, x):
        out = self.head(self.body(x))
        k, d = self.k, self.d
        return out[:, :k], out[:, k:k + k * d], out[:, k + k * d:]


def mixture_nll(logits, means, log_sigma, y, k, d):
    """Mean over the batch of -log sum_k pi_k N(y | mu_k, diag sigma_k^2), in log space."""
    b = y.shape[0]
    log_pi = torch.log_softmax(logits, dim=1)
    mu = means.view(b, k, d)
    ls = log_sigma.view(b, k, d)
    z = (y.unsqueeze(1) - mu) * torch.exp(-ls)
    log_n = -0.5 * d * math.log(2 * math.pi) - ls.sum(2) - 0.5 * (z * z).sum(2)
    return -torch.logsumexp(log_pi + log_n, dim=1).mean()


def step_times(name, dtype, steps, warmup, seed=1, seconds=None):
    d_in, hidden, k, d_out, batch = WORKLOADS[name]
    torch.manual_seed(seed)
    model = MDN(d_in, hidden, k, d_out).to(dtype)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    x = torch.randn(batch, d_in, dtype=dtype)
    y = torch.randn(batch, d_out, dtype=dtype)
    times = []
    start = time.perf_counter()
    for i in range(warmup + steps):
        if seconds is not None and len(times) >= 5 and time.perf_counter() - start > seconds:
            break
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = mixture_nll(*model(x), y, k, d_out)
        loss.backward()
        torch.nn.utils.clip_grad_value_(model.parameters(), 10.0)
        opt.step()
        t1 = time.perf_counter()
        if i >= warmup:
            times.append(t1 - t0)
    return statistics.median(times), batch


def predict_times(name, dtype, rows, repeats, seed=1, seconds=None):
    d_in, hidden, k, d_out, _ = WORKLOADS[name]
    torch.manual_seed(seed)
    model = MDN(d_in, hidden, k, d_out).to(dtype)
    model.eval()
    x = torch.randn(rows, d_in, dtype=dtype)
    times = []
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(3 + repeats):
            if seconds is not None and len(times) >= 5 and time.perf_counter() - start > seconds:
                break
            t0 = time.perf_counter()
            logits, means, log_sigma = model(x)
            pi = torch.softmax(logits, dim=1)
            sigma = torch.exp(log_sigma)
            t1 = time.perf_counter()
            if i >= 3:
                times.append(t1 - t0)
    assert pi.shape == (rows, k) and means.shape == (rows, k * d_out) and sigma.shape == (rows, k * d_out)
    return statistics.median(times)


def blas_core():
    import ctypes
    for lib in ("libblas.so.3", "libopenblas.so.0", "libopenblas.so"):
        try:
            f = ctypes.CDLL(lib).openblas_get_corename
        except (OSError, AttributeError):
            continue
        f.restype = ctypes.c_char_p
        return f().decode()
    return "unknown"


def matmul_gflops(dtype, repeats=30):
    a = torch.randn(1024, 512, dtype=dtype)
    b = torch.randn(512, 512, dtype=dtype)
    for _ in range(3):
        torch.mm(a, b)
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        ts.append(time.perf_counter() - t0)
    return 2 * 1024 * 512 * 512 / statistics.median(ts) / 1e9


def check(path):
    with open(path) as f:
        case = json.load(f)
    dtype = torch.float32 if case["dtype"] == "f32" else torch.float64
    ws = [torch.tensor(l["w"], dtype=dtype, requires_grad=True) for l in case["layers"]]
    bs = [torch.tensor(l["b"], dtype=dtype, requires_grad=True) for l in case["layers"]]
    h = torch.tensor(case["x"], dtype=dtype)
    for i, (w, b) in enumerate(zip(ws, bs)):
        h = h @ w + b
        if i + 1 < len(ws):
            h = torch.tanh(h)
    k, d = case["K"], case["D"]
    loss = mixture_nll(h[:, :k], h[:, k:k + k * d], h[:, k + k * d:], torch.tensor(case["y"], dtype=dtype), k, d)
    loss.backward()
    print(json.dumps({"loss": loss.item(),
                      "grads": [{"w": w.grad.tolist(), "b": b.grad.tolist()} for w, b in zip(ws, bs)]}))


def serve(common):
    for line in sys.stdin:
        req = json.loads(line)
        mode, seconds = req["mode"], float(req.get("seconds", 1.0))
        if mode == "matmul":
            out = {"mode": "matmul", "shape": [1024, 512, 512], "gflops_f64": matmul_gflops(torch.float64),
                   "gflops_f32": matmul_gflops(torch.float32)}
        else:
            dtype = torch.float32 if req["dtype"] == "f32" else torch.float64
            if mode == "predict":
                rows = int(req.get("rows", 10000))
                med = predict_times(req["workload"], dtype, rows, 100000, seconds=seconds)
                out = {"mode": "predict", "workload": req["workload"], "dtype": req["dtype"], "rows": rows,
                       "median_ms": med * 1e3, "rows_per_s": rows / med}
            else:
                med, batch = step_times(req["workload"], dtype, 100000, 10, seconds=seconds)
                out = {"mode": "train", "workload": req["workload"], "dtype": req["dtype"],
                       "median_ms": med * 1e3, "samples_per_s": batch / med}
        print(json.dumps({**out, **common}), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workload", choices=sorted(WORKLOADS))
    p.add_argument("--dtype", choices=["f32", "f64"], default="f64")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--tuned", action="store_true")
    p.add_argument("--matmul", action="store_true")
    p.add_argument("--check", metavar="CASE.json")
    p.add_argument("--predict", action="store_true")
    p.add_argument("--serve", action="store_true")
    p.add_argument("--rows", type=int, default=10000)
    p.add_argument("--repeats", type=int, default=20)
    a = p.parse_args()
    if a.check:
        check(a.check)
        return
    torch.set_num_threads(a.threads)
    common = {"threads": a.threads, "tuned": a.tuned, "torch_version": torch.__version__,
              "blas_core": blas_core()}
    if a.serve:
        serve(common)
        return
    if a.matmul:
        print(json.dumps({"mode": "matmul", "shape": [1024, 512, 512],
                          "gflops_f64": matmul_gflops(torch.float64),
                          "gflops_f32": matmul_gflops(torch.float32), **common}))
        return
    if not a.workload:
        p.error("--workload or --matmul is required")
    dtype = torch.float32 if a.dtype == "f32" else torch.float64
    if a.predict:
        med = predict_times(a.workload, dtype, a.rows, a.repeats)
        print(json.dumps({"mode": "predict", "workload": a.workload, "dtype": a.dtype, "rows": a.rows,
                          "median_ms": med * 1e3, "rows_per_s": a.rows / med, **common}))
        return
    med, batch = step_times(a.workload, dtype, a.steps, a.warmup)
    print(json.dumps({"workload": a.workload, "dtype": a.dtype, "median_ms": med * 1e3,
                      "samples_per_s": batch / med, "steps": a.steps, **common}))


if __name__ == "__main__":
    main()
