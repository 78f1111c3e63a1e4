#!/usr/bin/env python3
"""Writes the two synthetic 10,000-row data sets behind train.ScaledEnsemble's figures.

  het10k.csv:  8 inputs x0..x7 ~ N(0, 1), target
               y = sin(2 x0) + 0.5 x1² + 0.3 x3 x4 + (0.2 + 0.5 |x2|) ε
  wide10k.csv: 100 inputs x0..x99 ~ N(0, 1) of which four matter, three targets
               y0 = x0 + 0.5 ε0, y1 = sin(x1) + 0.3 ε1, y2 = x2 x3 + ε2

ε ~ N(0, 1). Then, for seeds 1-5 and -ensemble 1 or 2:

  /usr/bin/python3 benchmarks/reference/synthetic_sets.py /tmp
  go run ./cmd/train -csv /tmp/het10k.csv -y_cols y -seed 1 -ensemble 2 -quiet -out runs/het
  go run ./cmd/train -csv /tmp/wide10k.csv -y_cols y0,y1,y2 -seed 1 -ensemble 2 -quiet -out runs/wide

and read result.test_nll from each run folder's config.json.
"""
import os
import sys

import numpy as np


def write(path, cols, rows):
    with open(path, "w") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(f"{v:.6g}" for v in r) + "\n")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    rng = np.random.default_rng(3)
    n, p = 9999, 8
    x = rng.normal(size=(n, p))
    s = 0.2 + 0.5 * np.abs(x[:, 2])
    y = np.sin(2 * x[:, 0]) + 0.5 * x[:, 1] ** 2 + x[:, 3] * x[:, 4] * 0.3 + s * rng.normal(size=n)
    write(os.path.join(out, "het10k.csv"), [f"x{i}" for i in range(p)] + ["y"], np.hstack([x, y[:, None]]))

    rng = np.random.default_rng(2)
    n, p = 9999, 100
    x = rng.normal(size=(n, p))
    y = np.stack([x[:, 0] + rng.normal(size=n) * 0.5, np.sin(x[:, 1]) + rng.normal(size=n) * 0.3,
                  x[:, 2] * x[:, 3] + rng.normal(size=n)], 1)
    write(os.path.join(out, "wide10k.csv"), [f"x{i}" for i in range(p)] + ["y0", "y1", "y2"], np.hstack([x, y]))


if __name__ == "__main__":
    main()
