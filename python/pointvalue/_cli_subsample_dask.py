"""The chunked path of ``pointvalue subsample``: tables larger than memory, read by row chunks.

Readers (each gives row-chunked dask arrays ``X``, ``y`` with one column chunk and known chunk
sizes, so :class:`pointvalue.InfluenceSampler` runs one task per chunk):

* Parquet (a file or a directory of files): ``dask.dataframe.read_parquet``; one chunk per
  partition (the partition lengths are counted once);
* ``.npy``: memory-mapped (``np.load(mmap_mode="r")``) by each task, wrapped by
  ``dask.array.from_array`` with chunks of about :data:`CHUNK_BYTES`;
* Zarr: ``dask.array.from_zarr``, a 2-D array or a group with arrays ``X`` and ``y``; chunked
  along the rows only, about :data:`CHUNK_BYTES` per chunk (whole Zarr chunks per task).

The scheduler is the ``distributed`` client opened by :func:`scheduler` (``--scheduler``), else
dask's default (threads). dask is imported only here, when the chunked path is taken.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CHUNK_BYTES", "ChunkedTable", "chunk_rows", "is_chunked_format", "read_chunked", "scheduler"]

CHUNK_BYTES = 96 * 2**20  # rows per chunk are chosen so that a chunk holds 64-128 MB


def chunk_rows(n_columns, itemsize=8, multiple=1):
    """Rows per chunk for about :data:`CHUNK_BYTES` per chunk, a multiple of `multiple` rows
    (a Zarr array's own row chunk, so that each task reads whole Zarr chunks)."""
    rows = max(1, CHUNK_BYTES // max(1, n_columns * itemsize))
    return max(multiple, rows // multiple * multiple)


def is_zarr(path):
    if path.rstrip("/\\").lower().endswith(".zarr"):
        return True
    return os.path.isdir(path) and any(
        os.path.exists(os.path.join(path, f)) for f in (".zarray", ".zgroup", "zarr.json"))


def is_chunked_format(path):
    """True for what is always read by chunks: a Zarr store or a Parquet directory."""
    return is_zarr(path) or os.path.isdir(path)


def _fail(msg):
    raise SystemExit(f"error: {msg}")


def _import_dask():
    try:
        import dask.array as da
    except ImportError as e:
        _fail(f"the chunked path needs dask: pip install 'pointvalue[dask]' ({e})")
    return da


# ------------------------------------------------------------------------------------------------
# the table


@dataclass
class ChunkedTable:
    """A table as row-chunked dask arrays, and how to gather the written rows.

    ``columns`` are the file's column names in file order, ``target`` the response's position in
    them; ``X`` holds the other columns in file order. ``frame`` is the Parquet input as read
    (its own dtypes), from which the written rows are taken; for arrays, ``data`` (every column)
    or the pair ``X``/``y`` is gathered instead."""

    X: Any
    y: Any
    columns: list
    target: int
    data: Any = None
    frame: Any = None
    lengths: tuple = ()

    @property
    def feature_names(self):
        return [c for j, c in enumerate(self.columns) if j != self.target]

    @property
    def n_chunks(self):
        return len(self.X.chunks[0])

    def take(self, idx):
        """The rows `idx` (ascending global indices): (X rows, y rows, frame rows or None)."""
        if self.frame is not None:
            rows = _take_frame(self.frame, self.lengths, idx)
            feats = rows[self.feature_names].to_numpy(dtype=np.float64)
            return feats, rows[self.columns[self.target]].to_numpy(dtype=np.float64), rows
        if self.data is not None:
            rows = _take_array(self.data, idx)
            keep = [j for j in range(rows.shape[1]) if j != self.target]
            return rows[:, keep].astype(np.float64), rows[:, self.target].astype(np.float64), None
        return (_take_array(self.X, idx).astype(np.float64),
                _take_array(self.y, idx).astype(np.float64), None)


def _starts(lengths):
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def _local_positions(idx, lengths):
    """For each chunk, the positions inside it of the sorted global indices `idx`."""
    starts = _starts(lengths)
    cuts = np.searchsorted(idx, np.append(starts, starts[-1] + lengths[-1]))
    return [idx[cuts[k]:cuts[k + 1]] - starts[k] for k in range(len(lengths))]


def _take_block(block, local):
    return np.asarray(block)[local]


def _iloc(part, local):
    return part.iloc[local]


def _take_array(A, idx):
    """Rows `idx` of a row-chunked dask array: one task per chunk that holds any of them."""
    import dask
    from dask import delayed

    lengths = np.asarray(A.chunks[0], dtype=np.int64)
    blocks = A.to_delayed().reshape(len(lengths), -1)[:, 0] if A.ndim == 2 else A.to_delayed()
    parts = [delayed(_take_block)(b, loc) for b, loc in zip(blocks, _local_positions(idx, lengths)) if loc.size]
    if not parts:
        return np.empty((0,) + A.shape[1:], dtype=A.dtype)
    return np.concatenate(dask.compute(*parts))


def _take_frame(frame, lengths, idx):
    import dask
    import pandas as pd
    from dask import delayed

    local = _local_positions(idx, np.asarray(lengths, dtype=np.int64))
    parts = [delayed(_iloc)(p, loc) for p, loc in zip(frame.to_delayed(), local) if loc.size]
    if not parts:
        return frame._meta.copy()
    return pd.concat(dask.compute(*parts), ignore_index=True)


# ------------------------------------------------------------------------------------------------
# readers


def read_chunked(path, target, chunk_rows_=None):
    """Open `path` (Parquet file or directory, ``.npy``, Zarr) as a :class:`ChunkedTable`."""
    if is_zarr(path):
        return _read_zarr(path, target, chunk_rows_)
    ext = os.path.splitext(path.rstrip("/\\"))[1].lower()
    if ext == ".npy":
        return _read_npy(path, target, chunk_rows_)
    if os.path.isdir(path) or ext in (".parquet", ".pq"):
        return _read_parquet(path, target)
    _fail(f"{path}: the chunked path reads Parquet, .npy and Zarr (CSV and .npz are read into memory)")


def _column_number(target, n_columns, what):
    if target is None:
        _fail(f"--target (a column number) is required for {what} input")
    try:
        t = int(target)
    except ValueError:
        _fail(f"--target must be a column number for {what} input, got {target!r}")
    if not -n_columns <= t < n_columns:
        _fail(f"--target {t} is out of range for {n_columns} columns")
    return t % n_columns


def _check_numeric_dtype(dtype, what):
    if np.dtype(dtype).kind not in "biuf":
        _fail(f"{what} has the non-numeric dtype {np.dtype(dtype)}; only real numbers can be subsampled")


def _split_target(A, t):
    """X (every column but t, in order) and y (column t) of a 2-D dask array."""
    p = A.shape[1]
    if t == p - 1:
        X = A[:, :t]
    elif t == 0:
        X = A[:, 1:]
    else:
        X = A[:, [j for j in range(p) if j != t]]
    return X, A[:, t]


class NpyRows:
    """A ``.npy`` file as an array-like for ``dask.array.from_array``: every read memory-maps the
    file (``np.load(mmap_mode="r")``), copies its rows and unmaps it again, so a worker's resident
    memory holds only the chunk (file pages stay mapped only during the copy: a long-lived map
    would count every page read so far in the worker's RSS, which distributed's memory monitor
    reads). Pickles as its path (a numpy memmap would pickle as its whole contents), and dask's
    token is the path, size and modification time (dask would otherwise hash the whole mapped
    file to name the array)."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        head = np.load(self.path, mmap_mode="r")
        self.shape, self.dtype, self.ndim = head.shape, head.dtype, head.ndim
        del head
        st = os.stat(self.path)
        self._token = (self.path, st.st_size, st.st_mtime_ns)

    def __reduce__(self):
        return (type(self), (self.path,))

    def __dask_tokenize__(self):
        return ("pointvalue-npy",) + self._token

    def __getitem__(self, key):
        mm = np.load(self.path, mmap_mode="r")
        rows = np.array(mm[key])
        del mm  # the last reference: unmapped now
        return rows

    def __len__(self):
        return self.shape[0]


def _read_npy(path, target, rows_per_chunk):
    da = _import_dask()
    try:
        src = NpyRows(path)
    except ValueError as e:
        _fail(f"{path}: cannot be memory-mapped ({e}); object arrays are not supported")
    if src.ndim != 2:
        _fail(f"{path} must hold a 2-D array, got shape {src.shape}")
    _check_numeric_dtype(src.dtype, path)
    t = _column_number(target, src.shape[1], ".npy")
    rows = rows_per_chunk or chunk_rows(src.shape[1], src.dtype.itemsize)
    A = da.from_array(src, chunks=(rows, -1), asarray=False, lock=False,
                      meta=np.empty((0, 0), dtype=src.dtype), name="npy-" + dask_token(src))
    X, y = _split_target(A, t)
    return ChunkedTable(X=X, y=y, columns=[f"c{j}" for j in range(src.shape[1])], target=t, data=A)


def dask_token(obj):
    from dask.base import tokenize

    return tokenize(obj)


def _zarr_array(da, path, component=None):
    try:
        return da.from_zarr(path, component=component)
    except ImportError as e:
        _fail(f"reading Zarr needs zarr: pip install 'pointvalue[zarr]' ({e})")
    except Exception as e:  # zarr raises its own errors for a missing or malformed store
        _fail(f"{path}: cannot open as a Zarr array ({type(e).__name__}: {e})")


def _row_chunked(A, n_columns, itemsize):
    """A rechunked to whole rows (one column chunk), about CHUNK_BYTES per chunk, each chunk a
    whole number of the store's own row chunks."""
    native = int(max(A.chunks[0]))
    rows = chunk_rows(n_columns, itemsize, multiple=native)
    if len(A.chunks[1]) == 1 and native >= rows:
        return A
    return A.rechunk({0: rows, 1: -1}) if A.ndim == 2 else A.rechunk({0: rows})


def _zarr_group_members(path):
    import zarr

    try:
        g = zarr.open_group(path, mode="r")
    except Exception:  # not a group: a plain array store
        return None
    return set(g.array_keys())


def _read_zarr(path, target, rows_per_chunk):
    da = _import_dask()
    members = _zarr_group_members(path)
    if members is not None:
        if not {"X", "y"} <= members:
            _fail(f"{path}: a Zarr group must hold arrays X and y (found {sorted(members)})")
        return _read_zarr_xy(da, path, rows_per_chunk)
    A = _zarr_array(da, path)
    if A.ndim != 2:
        _fail(f"{path} must hold a 2-D array, got shape {A.shape}")
    _check_numeric_dtype(A.dtype, path)
    t = _column_number(target, A.shape[1], "Zarr")
    A = A.rechunk({0: rows_per_chunk, 1: -1}) if rows_per_chunk else _row_chunked(A, A.shape[1], A.dtype.itemsize)
    X, y = _split_target(A, t)
    return ChunkedTable(X=X, y=y, columns=[f"c{j}" for j in range(A.shape[1])], target=t, data=A)


def _read_zarr_xy(da, path, rows_per_chunk):
    X, y = _zarr_array(da, path, "X"), _zarr_array(da, path, "y")
    if X.ndim != 2:
        _fail(f"{path}: array X must be 2-D, got shape {X.shape}")
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        _fail(f"{path}: array y must be 1-D with one entry per row of X, got shape {y.shape}")
    _check_numeric_dtype(X.dtype, f"{path}/X")
    _check_numeric_dtype(y.dtype, f"{path}/y")
    X = X.rechunk({0: rows_per_chunk, 1: -1}) if rows_per_chunk else _row_chunked(X, X.shape[1], X.dtype.itemsize)
    y = y.rechunk({0: X.chunks[0]})
    d = X.shape[1]
    return ChunkedTable(X=X, y=y, columns=[f"x{j}" for j in range(d)] + ["y"], target=d)


def _read_parquet(path, target):
    _import_dask()
    try:
        import dask.dataframe as dd

        frame = dd.read_parquet(path)
    except ImportError as e:
        _fail(f"reading Parquet needs pandas and pyarrow: pip install 'pointvalue[dask,parquet]' ({e})")
    except (OSError, ValueError) as e:
        _fail(f"{path}: cannot read as Parquet ({e})")
    columns = [str(c) for c in frame.columns]
    if target is None or target not in columns:
        _fail(f"--target must name a column of {path}; columns: {columns}")
    nonnum = [str(c) for c, t in frame.dtypes.items() if not _is_numeric(t)]
    if nonnum:
        _fail(f"non-numeric columns {nonnum} in {path}; encode them first")
    # dask does not know the partition lengths: one pass counts them (metadata for Parquet)
    lengths = tuple(int(v) for v in frame.map_partitions(len).compute())
    if 0 in lengths:  # empty files or row groups: no task, no chunk of length 0
        frame = frame.partitions[[k for k, length in enumerate(lengths) if length]]
        lengths = tuple(length for length in lengths if length)
    if not lengths:
        _fail(f"{path} has no rows")
    A = frame.astype(np.float64).to_dask_array(lengths=lengths)
    X, y = _split_target(A, columns.index(target))
    return ChunkedTable(X=X, y=y, columns=columns, target=columns.index(target), frame=frame, lengths=lengths)


def _is_numeric(dtype):
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype))


def check_known_chunks(A, name="X"):
    """SystemExit unless every row chunk of the dask array `A` has a known length."""
    if any(np.isnan(c) for c in A.chunks[0]):
        _fail(f"{name} has unknown chunk sizes (rows per chunk); the sampler needs them: compute them "
              "first (dask: x.compute_chunk_sizes(), or df.to_dask_array(lengths=True))")


# ------------------------------------------------------------------------------------------------
# scheduler and progress


@contextlib.contextmanager
def scheduler(address, n_workers=None, memory_limit="auto", threads_per_worker=1):
    """A ``distributed`` client for `address` (``"local"``: a LocalCluster of worker processes on
    127.0.0.1), made the default scheduler for the block; None: dask's default scheduler."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        _fail(f"--scheduler needs distributed: pip install 'pointvalue[dask]' ({e})")
    if address == "local":
        cluster = LocalCluster(n_workers=n_workers or (os.cpu_count() or 1), threads_per_worker=threads_per_worker,
                               processes=True, host="127.0.0.1", memory_limit=memory_limit,
                               dashboard_address=None)
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(address, timeout="20s")
    except OSError as e:
        _fail(f"cannot connect to the dask scheduler at {address!r} ({e})")
    with client:
        yield client


def _scheduler_counts(dask_scheduler):
    """(tasks finished, tasks known) on the scheduler, summed over the task prefixes."""
    done = total = 0
    for prefix in dask_scheduler.task_prefixes.values():
        counts = prefix.state_counts
        done += counts.get("memory", 0) + counts.get("forgotten", 0) + counts.get("released", 0)
        total += sum(counts.values())
    return done, total


@contextlib.contextmanager
def progress(enabled, client):
    """dask's progress bar for the block: ``dask.diagnostics.ProgressBar`` on the local
    schedulers; with a ``distributed`` client, a bar of the tasks the scheduler has finished (polled
    twice a second; silently absent if the scheduler cannot run the poll)."""
    if not enabled:
        yield
        return
    if client is None:
        from dask.diagnostics import ProgressBar

        with ProgressBar(minimum=1.0):
            yield
        return
    stop = threading.Event()
    thread = threading.Thread(target=_poll, args=(client, stop), daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _poll(client, stop):
    from tqdm.auto import tqdm

    try:
        base, _ = client.run_on_scheduler(_scheduler_counts)
    except Exception:  # a remote scheduler without pointvalue installed, or gone
        return
    with tqdm(desc="dask tasks", unit="task", total=0) as bar:
        while not stop.wait(0.5):
            try:
                done, total = client.run_on_scheduler(_scheduler_counts)
            except Exception:
                return
            bar.total = max(total - base, 0)
            bar.n = max(done - base, 0)
            bar.refresh()
