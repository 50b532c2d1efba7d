"""The result of a valuation: one value per player with its standard error and sample count."""

from __future__ import annotations

import json

import numpy as np

__all__ = ["Valuation"]


class Valuation:
    """Values of the players of a game (rows of a training pool), as :func:`semivalues` returns.

    Parameters
    ----------
    values : array_like of float, shape (n,)
    stderr : array_like of float, shape (n,), optional
        Standard error of each value (0 for exact methods; default NaN: unknown).
    counts : array_like of int, shape (n,), optional
        Samples each value is the mean of.
    method : str
        "shapley", "beta", "banzhaf", "loo" or any name.
    meta : dict, optional
        Sampler, seed, evaluations, seconds, … (JSON-serializable entries are saved).

    Examples
    --------
    >>> import pointvalue as pv
    >>> v = pv.Valuation([0.2, -0.1, 0.5], method="shapley")
    >>> v.ranking().tolist()
    [2, 0, 1]
    """

    def __init__(self, values, stderr=None, counts=None, method: str = "", meta: dict | None = None):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim != 1:
            raise ValueError(f"values must be 1-D, got shape {values.shape}")
        n = len(values)
        stderr = np.full(n, np.nan) if stderr is None else np.asarray(stderr, dtype=np.float64)
        counts = np.zeros(n, dtype=np.int64) if counts is None else np.asarray(counts)
        for name, a in (("stderr", stderr), ("counts", counts)):
            if a.shape != (n,):
                raise ValueError(f"{name} must have one entry per value ({n}), got shape {a.shape}")
        self.values = values
        self.stderr = stderr
        self.counts = counts.astype(np.int64)
        self.method = str(method)
        self.meta = dict(meta or {})

    def __len__(self) -> int:
        return len(self.values)

    @property
    def n_players(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"Valuation(method={self.method!r}, {len(self)} players, sampler={self.meta.get('sampler')!r})"

    def ranking(self, ascending: bool = False) -> np.ndarray:
        """Player indices from the highest value to the lowest (``ascending=True``: lowest first).
        Ties keep index order."""
        key = self.values if ascending else -self.values
        return np.argsort(key, kind="stable")

    def to_frame(self):
        """A pandas DataFrame indexed by player with columns value, stderr, count."""
        import pandas as pd

        return pd.DataFrame({"value": self.values, "stderr": self.stderr, "count": self.counts},
                            index=pd.RangeIndex(len(self), name="player"))

    def save(self, path) -> None:
        """Write to an ``.npz`` file (no pickle; metadata as JSON)."""
        np.savez_compressed(path, values=self.values, stderr=self.stderr, counts=self.counts,
                            method=np.array(self.method), meta=np.array(json.dumps(self.meta, default=str)))

    @classmethod
    def load(cls, path) -> Valuation:
        """Read a file written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as f:
            return cls(f["values"], f["stderr"], f["counts"], method=str(f["method"]),
                       meta=json.loads(str(f["meta"])))

    def plot(self, ax=None, top: int | None = None, sort: bool = True):
        """Values with ±1 standard-error bars, sorted from the highest (``top``: only the first).

        Returns the matplotlib Axes.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5))
        order = self.ranking() if sort else np.arange(len(self))
        if top is not None:
            order = order[:top]
        x = np.arange(len(order))
        err = np.where(np.isfinite(self.stderr[order]), self.stderr[order], 0.0)
        ax.errorbar(x, self.values[order], yerr=err, fmt="o", ms=2.5, lw=0.8, capsize=0)
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set_xlabel("players, by decreasing value" if sort else "player")
        ax.set_ylabel(f"{self.method} value")
        ax.set_title(f"{self.method} values ({self.meta.get('sampler', '')})")
        return ax
