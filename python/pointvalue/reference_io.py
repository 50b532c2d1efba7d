"""Reading the sample files of the scaling-laws authors' pipeline (github ``iancovert/data-scaling``).

Their ``experiments/generate_samples.py`` (and ``combine_samples.py``) save with ``np.save`` a
Python dict, which numpy stores as a *pickled* object array:

============================  ==================================================================
``samples``                   (points × draws) Δ of each draw, ``curr_perf − prev_perf``
``cards``                     (points × draws) the size |D| of each draw's base set (float)
``relevant_inds``             (points,) the training-set index of each row
``estimates``                 (points,) ``total_contribution / total_count``
``total_contribution``        (points,) sum of the row's Δ
``total_count``               (points,) number of draws + 1e-8
============================  ==================================================================

``Contributions.from_reference`` (through :func:`read_reference_arrays`) turns such a file into a
:class:`~pointvalue.Contributions`: one sample per (row, draw) with ``point = relevant_inds[row]``,
``k = cards[row, draw]`` and ``delta = samples[row, draw]``. Their performance is a negated loss
(``Metrics.NEG_MSE`` or the negated cross entropy), so ``curr_perf − prev_perf`` is
``L(D) − L(D ∪ {z})``: the same sign as our Δ.

Unpickling runs whatever code the file names, so a pickled file is refused unless the caller
passes ``allow_pickle=True`` (``--allow-pickle``) for a file they trust. The same arrays in an
``.npz`` archive (``np.savez(path, samples=..., cards=..., relevant_inds=...)``) load without pickle.

Conventions of the reference that differ from ours, and what each does to Δ
---------------------------------------------------------------------------
* **Its top size is never drawn.** ``random_state.randint(min_cardinality, max_cardinality)``
  excludes the upper end: a file named ``max=1000`` holds k in 100..999, never 1000, although
  the paper writes the range as [100, 1000]. Each Δ is unaffected; what changes is the range the
  laws were fitted on, so values averaged "over [100, 1000]" extrapolate by one size. Our
  ``sizes=(100, 1000)`` uses the same half-open range; pass ``distributional_values(laws,
  sizes=(100, 999))`` to stay inside the fitted range.
* **Its subsets may contain z.** ``sample_dataset`` draws D from all training points, z
  included, and the second fit trains on ``coalition + [z]``: with probability about k/n (n the
  training-set size) z is in D already and the draw measures a *second copy* of z. That Δ is
  typically smaller in magnitude (the model already fits z), so ψ_k is pulled toward zero by a
  fraction that grows with k: the fitted α comes out a little steeper and c a little smaller,
  most for points the model fits badly (outliers, mislabeled points), and the bias is
  negligible when k ≪ n. ``marginal_contributions`` never puts z in its own D.
* **Its classification metric passes probabilities where logits are expected.** The metric is
  ``-torch.nn.functional.cross_entropy(y_pred, y_true)`` with ``y_pred = model.predict(x)``, the
  predicted class *probabilities* p, which ``cross_entropy`` treats as logits and softmaxes
  again: the "loss" of a validation point is ``log Σ_j exp(p_j) − p_y`` (for two classes
  ``softplus(1 − 2 p_y)``), bounded in [0.31, 1.31], not ``−log p_y``. Δ then measures roughly
  the change of the true class's probability, weighted by ``2 sigmoid(1 − 2 p_y)`` ∈ [0.54, 1.46],
  where the log loss weights that change by ``1 / p_y``: its Δ are smaller (often by several
  times), they discount the validation points the model gets wrong, whose log loss dominates
  ours, and their signs can differ from ours for points that mostly move badly-predicted
  validation points. Laws fitted to these files describe that metric: compare α and rankings
  with ours, not c. Regression files (``Metrics.NEG_MSE``) use the validation MSE, as we do.
* D is class-balanced (``sample_dataset`` allocates k to classes by their frequencies, rounded,
  any remainder to the largest class), close to our ``stratify=True``.
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["REFERENCE_KEYS", "read_reference_arrays", "write_reference_samples"]

#: Keys of the dict the reference pipeline saves; ``samples`` and ``cards`` are required.
REFERENCE_KEYS = ("samples", "cards", "relevant_inds", "estimates", "total_contribution", "total_count")

PICKLE_REFUSED = (
    "{path} holds a pickled Python object (the reference pipeline saves its dict with np.save, "
    "which pickles it). Unpickling runs whatever code the file names, so pointvalue refuses it "
    "by default: pass allow_pickle=True (command line: --allow-pickle) only for a file you trust, "
    "e.g. one your own run of generate_samples.py wrote, or convert it once to an .npz archive "
    "(np.savez(out, **np.load(path, allow_pickle=True).item())), which loads without pickle."
)


def _npy_is_pickled(path) -> bool:
    """Whether an .npy file's header declares an object array (whose payload is a pickle)."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            _, _, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            _, _, dtype = np.lib.format.read_array_header_2_0(f)
    return dtype.hasobject


def _load_dict(path, allow_pickle: bool) -> dict:
    path = os.fspath(path)
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic.startswith(b"PK"):  # an .npz archive: plain arrays, no pickle needed
        with np.load(path, allow_pickle=False) as z:
            return {key: z[key] for key in z.files}
    if magic != b"\x93NUMPY":
        raise ValueError(f"{path} is neither an .npy file nor an .npz archive")
    if _npy_is_pickled(path):
        if not allow_pickle:
            raise ValueError(PICKLE_REFUSED.format(path=path))
        obj = np.load(path, allow_pickle=True)
        obj = obj.item() if obj.shape == () else obj
    else:
        obj = np.load(path, allow_pickle=False)
    if not isinstance(obj, dict):
        raise ValueError(f"{path} does not hold the reference pipeline's dict (found {type(obj).__name__}); "
                         f"expected the keys {', '.join(REFERENCE_KEYS)}")
    return obj


def _as_2d(value, name, path):
    arr = np.asarray(value)
    if arr.dtype.hasobject or arr.dtype.kind not in "iuf":
        raise ValueError(f"{path}: {name!r} must be a numeric array, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{path}: {name!r} must be a (points × draws) array, got shape {arr.shape}")
    return arr


def read_reference_arrays(path, allow_pickle: bool = False, drop_missing: bool = False) -> tuple:
    """Marginal-contribution samples from a file of the authors' pipeline (``Contributions.from_reference``).

    Parameters
    ----------
    path : str or path-like
        An ``.npy`` file written by the reference's ``generate_samples.py`` /
        ``combine_samples.py`` / ``generate_samples_validation.py`` (a pickled dict), or an
        ``.npz`` archive with the same arrays.
    allow_pickle : bool, default False
        Unpickle a pickled ``.npy`` file. Unpickling runs code named in the file, so this is
        refused (``ValueError`` saying why) unless you trust the file.
    drop_missing : bool, default False
        Drop draws whose size is 0: slots the sampler allocated but never filled (its storage
        starts at zero). By default such a file raises ``ValueError``, since its samples would
        be silently fewer than the draws it declares.

    Returns
    -------
    point, k, delta : numpy.ndarray
        ``point = relevant_inds[row]``, ``k = cards[row, draw]``, ``delta = samples[row, draw]``,
        row-major (int64, int64, float64).
    meta : dict
        ``meta["source"]`` records the file, its shape and the conventions (see the module
        docstring: top size never drawn, z possibly in D, probabilities as logits).

    Examples
    --------
    >>> import numpy as np, os, tempfile, pointvalue as pv
    >>> from pointvalue.reference_io import write_reference_samples
    >>> path = os.path.join(tempfile.mkdtemp(), "mc.npy")
    >>> write_reference_samples(path, samples=[[0.1, 0.05], [0.2, 0.1]], cards=[[100, 200], [100, 300]])
    >>> pv.Contributions.from_reference(path)
    Traceback (most recent call last):
    ...
    ValueError: ... holds a pickled Python object ...
    >>> c = pv.Contributions.from_reference(path, allow_pickle=True)
    >>> c.point.tolist(), c.k.tolist()
    ([0, 0, 1, 1], [100, 200, 100, 300])
    """
    data = _load_dict(path, allow_pickle)
    missing = [key for key in ("samples", "cards") if key not in data]
    if missing:
        raise ValueError(f"{path}: missing key(s) {missing}; the reference pipeline's files hold "
                         f"{', '.join(REFERENCE_KEYS)}")
    samples = _as_2d(data["samples"], "samples", path).astype(np.float64)
    cards = _as_2d(data["cards"], "cards", path)
    if samples.shape != cards.shape:
        raise ValueError(f"{path}: 'samples' {samples.shape} and 'cards' {cards.shape} must have the same shape")
    rows = samples.shape[0]
    if "relevant_inds" in data:
        inds = np.asarray(data["relevant_inds"])
        if inds.ndim != 1 or len(inds) != rows:
            raise ValueError(f"{path}: 'relevant_inds' must hold one index per row of 'samples' ({rows}), "
                             f"got shape {inds.shape}")
    else:
        inds = np.arange(rows)
    if inds.size and (inds.dtype.kind not in "iu" or inds.min() < 0):
        raise ValueError(f"{path}: 'relevant_inds' must hold non-negative integers")
    if len(np.unique(inds)) != len(inds):
        raise ValueError(f"{path}: 'relevant_inds' repeats an index; combine the files with "
                         "combine_samples.py first")
    if not np.all(np.isfinite(cards)) or np.any(cards != np.round(cards)) or np.any(cards < 0):
        raise ValueError(f"{path}: 'cards' must hold non-negative whole numbers (subset sizes)")
    if not np.all(np.isfinite(samples)):
        raise ValueError(f"{path}: 'samples' holds NaN or infinite values")
    drawn = cards >= 1
    n_missing = int((~drawn).sum())
    if n_missing and not drop_missing:
        raise ValueError(f"{path}: {n_missing} of {cards.size} draws have size 0, i.e. were never made "
                         "(the sampler's storage starts at zero); pass drop_missing=True to drop them")
    point = np.broadcast_to(inds.astype(np.int64)[:, None], cards.shape)[drawn]
    meta = {"source": {"format": "iancovert/data-scaling", "path": os.fspath(path),
                       "shape": list(samples.shape), "dropped_missing": n_missing,
                       "keys": sorted(str(k) for k in data),
                       "conventions": "k in [min, max) (top size never drawn); D may contain z; "
                                      "classification Δ from cross entropy on probabilities"}}
    return point.astype(np.int64), cards[drawn].astype(np.int64), samples[drawn], meta


def write_reference_samples(path, samples, cards, relevant_inds=None) -> None:
    """Write a file in the reference pipeline's format (a pickled dict, as its ``np.save`` does).

    For tests and benchmarks: ``estimates``, ``total_contribution`` and ``total_count`` are
    derived as the reference derives them (``total_count`` carries its ``+ 1e-8``).
    """
    samples = np.asarray(samples, dtype=np.float64)
    cards = np.asarray(cards, dtype=np.float64)
    inds = np.arange(len(samples)) if relevant_inds is None else np.asarray(relevant_inds)
    total = samples.sum(1)
    count = (cards >= 1).sum(1) + 1e-8
    obj = np.empty((), dtype=object)  # what np.save makes of a dict: a 0-d object array, pickled
    obj[()] = {"estimates": total / count, "total_contribution": total, "total_count": count,
               "relevant_inds": inds, "cards": cards, "samples": samples}
    np.save(path, obj, allow_pickle=True)
