"""mixgraph's accuracy table: test NLL, mean ± sd over seeds, on real data sets, of
cmd/train (under named flag sets) against the fixed-protocol PyTorch MDN (fit_csv.py)
and the homoscedastic linear-Gaussian regression.

For every data set and seed, the rows are shuffled with numpy's default_rng(seed) and
the last 20 % become the test rows; every method trains on the same 80 % and is scored
on the same 20 % (cmd/train through -csv and -test_csv). With --tune the test rows are
dropped and the training rows are split again 75/25, the methods scored on that inner
hold-out instead: choices of defaults are made that way, never on the test rows.

    /usr/bin/python3 benchmarks/reference/accuracy.py --train_bin /tmp/train \\
        --config "today=-k 5 -hidden 24 -epochs 1500 -batch 250 -lr 0.01 -val_fraction 0.1" \\
        --config "new=" [--seeds 1,2,3,4,5] [--data faithful,mcycle] [--tune] \\
        [--csv "mydata=/path/to/mydata.csv:x1,x2:y"] [--holdout]

(build the binary with `go build -o /tmp/train ./cmd/train`). --csv adds a data set of your
own (name=path:input columns:target column, the inputs "" for every other column); with it,
--data defaults to the --csv sets alone; --holdout scores the data sets of testdata/holdout,
kept out of every choice of defaults. Prints a markdown table.
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

# name: (csv under testdata/, input columns ("" = all but the target), target column)
DATA = {
    "faithful": ("faithful.csv", "eruptions", "waiting"),
    "faithful-inverse": ("faithful.csv", "waiting", "eruptions"),
    "mcycle": ("mcycle.csv", "times", "accel"),
    "engel": ("engel.csv", "income", "foodexp"),
    "gagurine": ("gagurine.csv", "Age", "GAG"),
    "diabetes": ("diabetes.csv", "", "progression"),
    "quakes": ("quakes.csv", "lat,long", "depth"),
    "nlschools": ("nlschools.csv", "", "lang"),
}

# Data sets held out from every choice of defaults (testdata/holdout/, written by its
# write.R): scored once the defaults were fixed, with --holdout.
HOLDOUT = {
    "boston": ("holdout/boston.csv", "", "medv"),
    "cpus": ("holdout/cpus.csv", "", "perf"),
    "birthwt": ("holdout/birthwt.csv", "", "bwt"),
    "crabs": ("holdout/crabs.csv", "", "CW"),
    "airquality": ("holdout/airquality.csv", "", "Ozone"),
    "mtcars": ("holdout/mtcars.csv", "", "mpg"),
    "cars": ("holdout/cars.csv", "", "dist"),
    "chickweight": ("holdout/chickweight.csv", "", "weight"),
    "cats": ("holdout/cats.csv", "", "Hwt"),
    "attenu": ("holdout/attenu.csv", "", "accel"),
    "swiss": ("holdout/swiss.csv", "", "Fertility"),
    "fgl": ("holdout/fgl.csv", "", "RI"),
    "geyser": ("holdout/geyser.csv", "waiting", "duration"),
    "sitka": ("holdout/sitka.csv", "", "size"),
    "mammals": ("holdout/mammals.csv", "", "brain"),
    "eustock": ("holdout/eustock.csv", "", "DAX"),
    "sunspots": ("holdout/sunspots.csv", "", "spots"),
}


def write(path, head, rows):
    with open(path, "w") as f:
        f.write(",".join(head) + "\n")
        for r in rows:
            f.write(",".join(repr(float(v)) for v in r) + "\n")


def data_path(fname):
    return fname if os.path.isabs(fname) else os.path.join(ROOT, "testdata", fname)


def split(name, seed, tune, tmp):
    fname, xc, yc = DATA[name]
    with open(data_path(fname)) as f:
        head = f.readline().strip().split(",")
    a = np.loadtxt(data_path(fname), delimiter=",", skiprows=1, ndmin=2)
    p = np.random.default_rng(seed).permutation(len(a))
    a = a[p]
    nte = round(0.2 * len(a))
    tr, te = a[:len(a) - nte], a[len(a) - nte:]
    if tune:
        nv = round(0.25 * len(tr))
        tr, te = tr[:len(tr) - nv], tr[len(tr) - nv:]
    trp, tep = os.path.join(tmp, "train.csv"), os.path.join(tmp, "test.csv")
    write(trp, head, tr)
    write(tep, head, te)
    return trp, tep, xc, yc


def run_go(binary, flags, trp, tep, xc, yc, seed, tmp):
    out = os.path.join(tmp, "run")
    args = [binary, "-csv", trp, "-test_csv", tep, "-y_cols", yc, "-seed", str(seed), "-out", out, "-quiet", "-plots=false"]
    if xc:
        args += ["-x_cols", xc]
    subprocess.run(args + shlex.split(flags), check=True)
    with open(os.path.join(out, "config.json")) as f:
        c = json.load(f)["result"]
    return c


def run_torch(trp, tep, xc, yc, seed):
    out = subprocess.run([sys.executable, os.path.join(HERE, "fit_csv.py"), "--train", trp, "--test", tep,
                          "--x_cols", xc, "--y_cols", yc, "--seed", str(seed)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train_bin", required=True)
    ap.add_argument("--config", action="append", default=[])
    ap.add_argument("--seeds", default="1,2,3,4,5")
    ap.add_argument("--data", default="")
    ap.add_argument("--csv", action="append", default=[])
    ap.add_argument("--holdout", action="store_true", help="score the held-out sets (testdata/holdout) instead")
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--no_torch", action="store_true")
    a = ap.parse_args()
    for c in a.csv:
        name, spec = c.split("=", 1)
        path, xc, yc = spec.rsplit(":", 2)
        DATA[name] = (os.path.abspath(path), xc, yc)
    if a.holdout:
        DATA.update(HOLDOUT)
        a.data = a.data or ",".join(HOLDOUT)
    if not a.data:
        a.data = ",".join(c.split("=", 1)[0] for c in a.csv) if a.csv else ",".join(DATA)
    seeds = [int(s) for s in a.seeds.split(",")]
    configs = [c.split("=", 1) for c in a.config]
    cols = ([] if a.no_torch else ["PyTorch protocol"]) + ["linear-Gaussian"] + [n for n, _ in configs]
    print("| data set | rows | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for name in a.data.split(","):
        res = {c: [] for c in cols}
        secs = {n: [] for n, _ in configs}
        for seed in seeds:
            with tempfile.TemporaryDirectory() as tmp:
                trp, tep, xc, yc = split(name, seed, a.tune, tmp)
                if not a.no_torch:
                    t = run_torch(trp, tep, xc, yc, seed)
                    res["PyTorch protocol"].append(t["torch_nll"])
                for n, flags in configs:
                    r = run_go(a.train_bin, flags, trp, tep, xc, yc, seed, tmp)
                    res[n].append(r["test_nll"])
                    secs[n].append(r["seconds"])
                    lin = r["baselines"]["linear_gaussian_test_nll"]
                # null when the regression passes through every training row (more
                # inputs than rows): no figure, NaN in the mean.
                res["linear-Gaussian"].append(float("nan") if lin is None else lin)
        nrows = sum(1 for _ in open(data_path(DATA[name][0]))) - 1
        cells = ["%.3f ± %.3f" % (np.mean(res[c]), np.std(res[c], ddof=1)) for c in cols]
        print("| %s | %d | %s |" % (name, nrows, " | ".join(cells)), flush=True)
        print("  seconds: " + ", ".join("%s %.1f" % (n, np.mean(s)) for n, s in secs.items()), file=sys.stderr, flush=True)
        print("  per seed: " + "; ".join("%s %s (mean %.5f)" % (c, " ".join("%.5f" % v for v in res[c]), np.mean(res[c])) for c in cols), file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
