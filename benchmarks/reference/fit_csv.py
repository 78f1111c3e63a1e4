"""Fixed-protocol PyTorch MDN fit of a CSV, the independent reference of mixgraph's
accuracy table (see README.md beside this file).

Protocol: inputs and targets standardised with the training rows' means and standard
deviations; an MLP with hidden widths [32, 32] and tanh, one linear head giving K=5 logits,
K·D means and K·D log standard deviations; the batch-mean mixture NLL in log space; Adam
at 1e-3 (betas 0.9/0.999, eps 1e-8), batches of 64 rows drawn by reshuffling every epoch,
clip_grad_value_(…, 10), 3000 steps, the final weights (no validation). Weights start
Glorot-uniform with zero biases. The test NLL is per row in the data's original units.

Also prints the homoscedastic linear-Gaussian regression's test NLL (least squares with an
intercept, maximum-likelihood variance), computed with numpy.

    /usr/bin/python3 fit_csv.py --train train.csv --test test.csv --y_cols y [--x_cols a,b] --seed 1

prints one JSON line: {"torch_nll": ..., "linear_nll": ..., "seconds": ...}.
"""
import argparse
import csv
import json
import math
import time

import numpy as np
import torch


def read(path, x_cols, y_cols):
    with open(path) as f:
        rows = list(csv.reader(f))
    head, body = rows[0], [r for r in rows[1:] if r]
    ys = [head.index(c) for c in y_cols]
    xs = [head.index(c) for c in x_cols] if x_cols else [i for i in range(len(head)) if i not in ys]
    a = np.array(body, dtype=np.float64)
    return a[:, xs], a[:, ys]


def linear_nll(xtr, ytr, xte, yte):
    a = np.hstack([xtr, np.ones((len(xtr), 1))])
    coef, *_ = np.linalg.lstsq(a, ytr, rcond=None)
    var = ((ytr - a @ coef) ** 2).mean(axis=0)
    r = yte - np.hstack([xte, np.ones((len(xte), 1))]) @ coef
    return float((0.5 * np.log(2 * math.pi * var) + r ** 2 / (2 * var)).sum(axis=1).mean())


def mdn_nll(out, y, k, d):
    logits, mu, logs = out[:, :k], out[:, k:k + k * d], out[:, k + k * d:]
    mu, logs = mu.reshape(-1, k, d), logs.reshape(-1, k, d)
    z = (y.unsqueeze(1) - mu) / torch.exp(logs)
    comp = (-0.5 * z ** 2 - logs - 0.5 * math.log(2 * math.pi)).sum(-1)
    return -torch.logsumexp(torch.log_softmax(logits, -1) + comp, -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--x_cols", default="")
    ap.add_argument("--y_cols", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--steps", type=int, default=3000)
    a = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    xc = [c for c in a.x_cols.split(",") if c]
    yc = a.y_cols.split(",")
    xtr, ytr = read(a.train, xc, yc)
    xte, yte = read(a.test, xc, yc)
    start = time.time()
    mx, sx = xtr.mean(0), xtr.std(0)
    my, sy = ytr.mean(0), ytr.std(0)
    sx[sx == 0] = 1
    sy[sy == 0] = 1
    t = lambda v: torch.tensor(v, dtype=torch.float64)
    X, Y = t((xtr - mx) / sx), t((ytr - my) / sy)
    Xt, Yt = t((xte - mx) / sx), t((yte - my) / sy)
    k, d = a.k, Y.shape[1]
    net = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], 32), torch.nn.Tanh(),
        torch.nn.Linear(32, 32), torch.nn.Tanh(),
        torch.nn.Linear(32, k + 2 * k * d)).double()
    for m in net:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    n, step = len(X), 0
    while step < a.steps:
        perm = torch.randperm(n)
        for i in range(0, n, 64):
            if step >= a.steps:
                break
            idx = perm[i:i + 64]
            loss = mdn_nll(net(X[idx]), Y[idx], k, d).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_value_(net.parameters(), 10)
            opt.step()
            step += 1
    with torch.no_grad():
        nll = float(mdn_nll(net(Xt), Yt, k, d).mean()) + float(np.log(sy).sum())
    print(json.dumps({"torch_nll": nll, "linear_nll": linear_nll(xtr, ytr, xte, yte), "seconds": time.time() - start}))


if __name__ == "__main__":
    main()
