#!/usr/bin/env python3
"""Load a mixgraph mixture density network exported as safetensors into PyTorch.

mixgraph writes the file with `mixgraph export` (or `go run ./cmd/export`, or
mdn.Model.SaveSafetensors in Go):

    go run ./cmd/export -model runs/bishop/model.mdn -out model.safetensors

This module reads it with nothing but json and numpy (Debian ships no Python safetensors
package), rebuilds the network as a torch.nn.Module in the stored dtype (float64, or
float32 exactly as trained) and predicts, for inputs x in original units, the mixture
p(y | x) = sum_k pi_k N(y | mu_k, diag sigma_k^2) in original units, as mixgraph's
Model.Predict does.

Usage as a library:

    import numpy as np
    from load_mixgraph import load

    model = load("model.safetensors")       # a torch.nn.Module; model.config is a dict
    out = model.predict(np.array([[0.5], [1.0]]))
    out["pi"]      # (B, K)     mixing weights, rows sum to 1
    out["log_pi"]  # (B, K)     their logarithms, computed without forming pi
    out["mu"]      # (B, K, D)  component means, original units
    out["sigma"]   # (B, K, D)  component standard deviations, original units
    out["chol"]    # (B, K, D, D) full-covariance models only: lower-triangular L_k with
                   #            Sigma_k = L_k L_k^T, original units (sigma is then the
                   #            marginal sqrt(Sigma_k,dd))

    # or differentiable, on tensors: model(x_tensor) returns the same as torch tensors

Usage from the shell (one JSON line in, one out; floats printed so they read back
exactly):

    echo '{"x": [[0.5], [1.0]]}' | python3 load_mixgraph.py model.safetensors

prints {"dtype": ..., "pi": [[...]], "log_pi": [[...]], "mu": [[[...]]], "sigma": [[[...]]]}.

What the file holds (see models/mdn/safetensors.go): every weight by its mixgraph name,
"mdn.body.<i>.W" of shape (in, out) and "mdn.body.<i>.b" of shape (1, out) for the hidden
layers, then the heads "mdn.logits", "mdn.means" and "mdn.scales"; the normalisation
"x_mean", "x_std", "y_mean", "y_std" as float64 vectors; and in __metadata__ the
"format" ("mixgraph.mdn.safetensors"), "format_version" ("1"), "config" (JSON) and, when
the model has column names, "columns" (JSON {"x": [...], "y": [...]}).

The computation, for a row x (original units):

    x' = (x - x_mean) / x_std                        float64, then rounded to the dtype
    h  = act(... act(x' W_0 + b_0) ... W_L + b_L)    act on every hidden layer
    z  = h W_logits + b_logits                       (K)
    m  = h W_means + b_means,  s = h W_scales + b_scales   (K*D, component-major)
    z_g = z_g - logsumexp(z_g)  for every member g   only when the config's "members" M > 1
    pi = softmax(z)                                  max-shifted, float64
    mu_kd    = m_kd * y_std_d + y_mean_d             float64
    sigma_kd = sqrt(t(s_kd)^2 + floor) * y_std_d     float64 (no floor: t(s_kd) * y_std_d)

For a config with "covariance": "full" the file also holds the head "mdn.offdiag" (the
K*Q entries, Q = D(D-1)/2, below the diagonals of the components' Cholesky factors,
component-major, row by row: (1,0), (2,0), (2,1), ...), and

    o     = h W_offdiag + b_offdiag                  (K*Q)
    L_kii = sigma_ki (above),  L_kij = o_kij * y_std_i  (i > j),  0 above the diagonal
    p(y | x) = sum_k pi_k N(y | mu_k, L_k L_k^T),  sigma_kd := sqrt(sum_j L_kdj^2)

With "skip": true (a linear path from the inputs to the means) the file also holds
"mdn.skip.A" of shape (input_dim, G*D), G = max(1, M) for "members" M, and member g's
D columns A_g are added to the means of each of its K/G components, in the dtype:

    m_kd = m_kd + (x' A_g)_d,   g = k // (K/G)

With "members" M > 1 (an ensemble of M models combined by mixgraph's mdn.Combine) the K
logits are M consecutive groups z_g of K/M, each replaced by its own log-softmax (in the
model's dtype) before the softmax over all K, which then gives every member's weights
divided by M. act is the config's "activation" (tanh, relu, sigmoid, softplus or identity), t its
"scale" (exp; softplus, computed as max(s, 0) + log1p(exp(-|s|)); elu+1, s + 1 for s > 0
and exp(s) otherwise) and floor its "variance_floor". The network's outputs are
converted to float64 before the last three lines, as mixgraph does; for float32 models
the activations are computed in float64 and rounded once, as mixgraph's dense layer does.
"""
import json
import math
import struct
import sys

import numpy as np
import torch

FORMAT = "mixgraph.mdn.safetensors"
FORMAT_VERSION = "1"

_DTYPES = {"F64": np.dtype("<f8"), "F32": np.dtype("<f4")}
_MAX_HEADER = 100 << 20


def read_safetensors(path):
    """Read a safetensors file with json and numpy only.

    Returns (tensors, metadata): an ordered dict name -> numpy array (a copy, in native
    byte order) and the __metadata__ dict of strings. Raises ValueError for a file that is
    not a well-formed safetensors file of F64 and F32 tensors.
    """
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: {len(blob)} bytes, too short for a safetensors file")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > _MAX_HEADER or 8 + n > len(blob):
        raise ValueError(f"{path}: header length {n} does not fit the file's {len(blob)} bytes")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: header is not JSON: {e}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header is not a JSON object")
    data = memoryview(blob)[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    tensors = {}
    end = 0
    for name, info in header.items():  # json keeps the file's order
        dtype = _DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise ValueError(f"{path}: tensor {name!r} has dtype {info.get('dtype')!r} (want F64 or F32)")
        shape = [int(d) for d in info["shape"]]
        begin, stop = (int(o) for o in info["data_offsets"])
        if begin != end or stop < begin or stop > len(data):
            raise ValueError(f"{path}: tensor {name!r} has offsets {[begin, stop]} (want contiguous from {end})")
        count = math.prod(shape)
        if (stop - begin) != count * dtype.itemsize:
            raise ValueError(f"{path}: tensor {name!r} of shape {shape} has {stop - begin} bytes")
        arr = np.frombuffer(data[begin:stop], dtype=dtype).reshape(shape)
        tensors[name] = arr.astype(dtype.newbyteorder("="), copy=True)
        end = stop
    if end != len(data):
        raise ValueError(f"{path}: {len(data) - end} bytes after the last tensor")
    return tensors, meta


def _softplus(v):
    # max(v, 0) + log1p(exp(-|v|)): no positive exponent, as mixgraph computes it.
    return torch.clamp(v, min=0) + torch.log1p(torch.exp(-torch.abs(v)))


_ACTIVATIONS = {
    "identity": lambda v: v,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": lambda v: torch.exp(-_softplus(-v)),
    "softplus": _softplus,
}


def _scale_transform(scale, s):
    if scale == "exp":
        return torch.exp(s)
    if scale == "softplus":
        return _softplus(s)
    if scale == "elu+1":
        return torch.where(s > 0, s + 1, torch.exp(s))
    raise ValueError(f"unknown scale transform {scale!r}")


class MixGraphMDN(torch.nn.Module):
    """A mixgraph MDN: torch.nn.Linear hidden layers and three linear heads.

    Attributes: config (the model's config as a dict), columns (dict with "x" and "y"
    name lists, or None), dtype (torch.float64 or torch.float32), body (ModuleList of
    Linear), logits, means, scales (Linear), and the buffers x_mean, x_std, y_mean, y_std
    (float64).
    """

    def __init__(self, tensors, meta):
        super().__init__()
        if meta.get("format") != FORMAT:
            raise ValueError(f"not a mixgraph MDN export: __metadata__ format {meta.get('format')!r}")
        if meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format version {meta.get('format_version')!r} (this loader reads {FORMAT_VERSION})")
        cfg = json.loads(meta["config"])
        self.config = cfg
        self.columns = json.loads(meta["columns"]) if "columns" in meta else None
        self.dtype = {"float64": torch.float64, "float32": torch.float32}[cfg["dtype"]]
        self.k, self.d = int(cfg["k"]), int(cfg["output_dim"])
        self.members = int(cfg.get("members", 0))
        if self.members > 1 and self.k % self.members != 0:
            raise ValueError(f"k = {self.k} does not split into {self.members} members")
        self.activation = cfg["activation"]
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}")
        self.scale = cfg["scale"]
        self.floor = float(cfg.get("variance_floor", 0.0))
        covariance = cfg.get("covariance", "") or "diagonal"
        if covariance not in ("diagonal", "full"):
            raise ValueError(f"unknown covariance {covariance!r}")
        self.full = covariance == "full"

        def linear(name, fan_in, fan_out):
            w, b = tensors[name + ".W"], tensors[name + ".b"]
            if w.shape != (fan_in, fan_out) or b.shape != (1, fan_out):
                raise ValueError(f"{name}: shapes {w.shape} and {b.shape}, config needs ({fan_in}, {fan_out})")
            lin = torch.nn.Linear(fan_in, fan_out, dtype=self.dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
                lin.bias.copy_(torch.from_numpy(b[0]))
            return lin

        widths = [int(cfg["input_dim"])] + [int(h) for h in cfg["hidden"]]
        self.body = torch.nn.ModuleList(
            linear(f"mdn.body.{i}", widths[i], widths[i + 1]) for i in range(len(widths) - 1))
        h = widths[-1]
        self.logits = linear("mdn.logits", h, self.k)
        self.means = linear("mdn.means", h, self.k * self.d)
        self.scales = linear("mdn.scales", h, self.k * self.d)
        self.offdiag = None
        if self.full:
            self.offdiag = linear("mdn.offdiag", h, self.k * (self.d * (self.d - 1) // 2))
        self.skip = None
        if cfg.get("skip", False):
            # The linear skip path (config "skip"): x' A_g added to the means of every
            # component of member g; A is (input_dim, G*D), G = max(1, members).
            groups = max(1, self.members)
            a = tensors["mdn.skip.A"]
            if a.shape != (widths[0], groups * self.d):
                raise ValueError(f"mdn.skip.A: shape {a.shape}, config needs ({widths[0]}, {groups * self.d})")
            self.skip = torch.from_numpy(np.ascontiguousarray(a)).to(self.dtype)
        for name in ("x_mean", "x_std", "y_mean", "y_std"):
            self.register_buffer(name, torch.from_numpy(tensors[name].astype(np.float64)))

    def _act(self, v):
        f = _ACTIVATIONS[self.activation]
        if self.dtype == torch.float32:
            return f(v.double()).float()  # computed in float64, rounded once
        return f(v)

    def forward(self, x):
        """Mixture parameters for x, a (B, input_dim) tensor in original units.

        Returns a dict of float64 tensors: pi and log_pi (B, K), mu and sigma (B, K, D),
        and for a full-covariance model chol (B, K, D, D)."""
        x = torch.as_tensor(x, dtype=torch.float64)
        if x.dim() != 2 or x.shape[1] != self.x_mean.shape[0]:
            raise ValueError(f"x has shape {tuple(x.shape)}, the model takes (B, {self.x_mean.shape[0]})")
        h = ((x - self.x_mean) / self.x_std).to(self.dtype)
        xs = h
        for layer in self.body:
            h = self._act(layer(h))
        z = self.logits(h)
        if self.members > 1:
            # An ensemble (config "members" M > 1): every member's own log-softmax over
            # its K/M logits, in the model's dtype, as mixgraph's network computes it;
            # the softmax below then divides every member's weights by M.
            g = z.reshape(-1, self.members, self.k // self.members)
            g = g - g.max(dim=2, keepdim=True).values
            z = (g - torch.log(torch.exp(g).sum(dim=2, keepdim=True).double()).to(g.dtype)).reshape(-1, self.k)
        z = z.double()
        m = self.means(h)
        if self.skip is not None:
            groups = max(1, self.members)
            lin = (xs @ self.skip).reshape(-1, groups, 1, self.d)  # member g's x' A_g
            m = (m.reshape(-1, groups, self.k // groups, self.d) + lin).reshape(-1, self.k * self.d)
        m = m.double().reshape(-1, self.k, self.d)
        s = self.scales(h).double().reshape(-1, self.k, self.d)
        z = z - z.max(dim=1, keepdim=True).values
        e = torch.exp(z)
        tot = e.sum(dim=1, keepdim=True)
        t = _scale_transform(self.scale, s)
        sigma = torch.sqrt(t * t + self.floor) if self.floor > 0 else t
        out = {
            "pi": e / tot,
            "log_pi": z - torch.log(tot),
            "mu": m * self.y_std + self.y_mean,
            "sigma": sigma * self.y_std,
        }
        if self.full:
            rows, cols = np.tril_indices(self.d, -1)  # (1,0), (2,0), (2,1), ...: mixgraph's order
            o = self.offdiag(h).double().reshape(-1, self.k, len(rows))
            below = torch.zeros(o.shape[0], self.k, self.d, self.d, dtype=torch.float64)
            below[:, :, rows, cols] = o * self.y_std[rows]
            chol = torch.diag_embed(out["sigma"]) + below
            out["chol"] = chol
            out["sigma"] = torch.sqrt((chol * chol).sum(dim=-1))
        return out

    def predict(self, x):
        """forward on a numpy array (or nested lists), returning numpy float64 arrays."""
        with torch.no_grad():
            out = self.forward(np.asarray(x, dtype=np.float64))
        return {k: v.numpy() for k, v in out.items()}


def load(path):
    """Read a mixgraph safetensors export and return the MixGraphMDN (in eval mode)."""
    tensors, meta = read_safetensors(path)
    return MixGraphMDN(tensors, meta).eval()


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print("usage: load_mixgraph.py MODEL.safetensors < {\"x\": [[...], ...]}", file=sys.stderr)
        return 0 if len(argv) == 2 else 2
    try:
        model = load(argv[1])
        x = json.load(sys.stdin)["x"]
        out = model.predict(x)
    except (OSError, ValueError, KeyError) as e:
        print(f"load_mixgraph.py: {e}", file=sys.stderr)
        return 2
    res = {"dtype": model.config["dtype"]}
    res.update({k: v.tolist() for k, v in out.items()})
    json.dump(res, sys.stdout)  # repr floats: they read back exactly
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
