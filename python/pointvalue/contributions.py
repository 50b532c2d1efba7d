"""The `Contributions` result: samples of marginal contributions Δ(z, D) = L(D) − L(D ∪ {z})."""

from __future__ import annotations

import numpy as np

__all__ = ["Contributions"]


class Contributions:
    """Samples of marginal contributions, one row per (point, k, Δ) sample.

    Parameters
    ----------
    point : array_like of int, shape (m,)
        Pool index of the point z whose contribution was measured.
    k : array_like of int, shape (m,)
        Size of the base set D the contribution was measured at (k ≥ 1).
    delta : array_like of float, shape (m,)
        ``Δ(z, D) = L(D) − L(D ∪ {z})``: positive when adding z lowers the validation loss.
    meta : dict, optional
        Free-form metadata (model, seed, sampling settings) kept with the samples.

    Attributes
    ----------
    point, k, delta : numpy.ndarray
        int64, int64 and float64 arrays of equal length.
    meta : dict

    Examples
    --------
    >>> import pointvalue as pv
    >>> c = pv.Contributions(point=[0, 0, 1], k=[10, 20, 10], delta=[0.1, 0.05, -0.01])
    >>> len(c), c.n_points
    (3, 2)
    """

    def __init__(self, point, k, delta, meta: dict | None = None):
        point = np.asarray(point)
        k = np.asarray(k)
        delta = np.asarray(delta, dtype=np.float64)
        for name, arr in (("point", point), ("k", k), ("delta", delta)):
            if arr.ndim != 1:
                raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
        if not (len(point) == len(k) == len(delta)):
            raise ValueError(
                f"point, k and delta must have equal lengths, got {len(point)}, {len(k)}, {len(delta)}"
            )
        for name, arr in (("point", point), ("k", k)):
            if arr.size and arr.dtype.kind not in "iu":
                if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
                    continue
                raise TypeError(f"{name} must hold integers, got dtype {arr.dtype}")
        point = point.astype(np.int64)
        k = k.astype(np.int64)
        if point.size and point.min() < 0:
            raise ValueError("point must hold non-negative pool indices")
        if k.size and k.min() < 1:
            raise ValueError("k must be at least 1")
        self.point = point
        self.k = k
        self.delta = delta
        self.meta = dict(meta or {})

    def __len__(self) -> int:
        return len(self.delta)

    def __repr__(self) -> str:
        return f"Contributions({len(self)} samples, {self.n_points} points)"

    @property
    def points(self) -> np.ndarray:
        """Sorted distinct point indices."""
        return np.unique(self.point)

    @property
    def n_points(self) -> int:
        return int(len(self.points))

    def to_frame(self):
        """A pandas DataFrame with columns ``point``, ``k``, ``delta``."""
        import pandas as pd

        return pd.DataFrame({"point": self.point, "k": self.k, "delta": self.delta})

    def concat(self, other: "Contributions") -> "Contributions":
        """Samples of both results, self's first."""
        return Contributions(
            np.concatenate([self.point, other.point]),
            np.concatenate([self.k, other.k]),
            np.concatenate([self.delta, other.delta]),
            meta={**other.meta, **self.meta},
        )

    def save(self, path) -> None:
        """Write the samples (and JSON-serializable metadata) to an ``.npz`` file."""
        import json

        np.savez_compressed(
            path, point=self.point, k=self.k, delta=self.delta, meta=np.array(json.dumps(self.meta, default=str))
        )

    @classmethod
    def load(cls, path) -> "Contributions":
        """Read a result written by :meth:`save`."""
        import json

        with np.load(path, allow_pickle=False) as f:
            meta = json.loads(str(f["meta"])) if "meta" in f else {}
            return cls(f["point"], f["k"], f["delta"], meta=meta)
