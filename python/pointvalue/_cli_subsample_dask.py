"""The chunked path of ``pointvalue subsample``: tables larger than memory, read by row chunks.

Readers (each gives row-chunked dask arrays ``X``, ``y`` with one column chunk and known chunk
sizes, so :class:`pointvalue.InfluenceSampler` runs one task per chunk; ``docs/subsample_cli.md``):

* Parquet (a file or a directory of files): ``dask.dataframe.read_parquet``; one chunk per
  non-empty partition (the partition lengths are counted once);
* ``.npy``: :class:`NpyColumns` under ``dask.array.from_array``, memory-mapped
  (``np.load(mmap_mode="r")``) per read, chunks of about :data:`CHUNK_BYTES`;
* Zarr: :class:`ZarrColumns` under ``dask.array.from_array``, a 2-D array or a group with arrays
  ``X`` and ``y``; chunked along the rows only, about :data:`CHUNK_BYTES` per chunk, whole Zarr
  row chunks per task.

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
    them; ``X`` holds the other columns in file order. ``X`` and ``y`` are each read straight from
    the file (no slicing layer on a dask array of the whole table: dask fuses such layers
    differently from one computation to the next, which ``distributed`` reports as different
    ``run_spec`` for one key). ``frame`` is the Parquet input as its list of delayed pandas
    partitions (the file's own dtypes), from which the written rows are taken; for arrays,
    ``sources`` (X's and y's readers) give them."""

    X: Any
    y: Any
    columns: list
    target: int
    sources: tuple = ()
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
        lengths = np.asarray(self.X.chunks[0], dtype=np.int64)
        if self.frame is not None:
            rows = _take_frame(self.frame, lengths, idx)
            feats = rows[self.feature_names].to_numpy(dtype=np.float64)
            return feats, rows[self.columns[self.target]].to_numpy(dtype=np.float64), rows
        Xs, ys = _take_sources(self.sources, lengths, idx)
        return Xs.astype(np.float64), ys.astype(np.float64), None


def _starts(lengths):
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def _local_positions(idx, lengths):
    """For each chunk, the positions inside it of the sorted global indices `idx`."""
    starts = _starts(lengths)
    cuts = np.searchsorted(idx, np.append(starts, starts[-1] + lengths[-1]))
    return [idx[cuts[k]:cuts[k + 1]] - starts[k] for k in range(len(lengths))]


def _iloc(part, local):
    return part.iloc[local]


def _take_sources(sources, lengths, idx):
    """Rows `idx` of each source (a reader with ``take``): one task per chunk and source."""
    import dask
    from dask import delayed

    starts = _starts(lengths)
    parts = [[delayed(src.take)(loc + start) for src in sources]
             for loc, start in zip(_local_positions(idx, lengths), starts) if loc.size]
    if not parts:
        return tuple(np.empty((0,) + src.shape[1:], dtype=src.dtype) for src in sources)
    got = dask.compute(*parts)
    return tuple(np.concatenate([g[j] for g in got]) for j in range(len(sources)))


def _take_frame(parts, lengths, idx):
    """Rows `idx` of the table whose (delayed) partitions are `parts`, as one pandas DataFrame."""
    import dask
    import pandas as pd
    from dask import delayed

    local = _local_positions(idx, np.asarray(lengths, dtype=np.int64))
    picked = [delayed(_iloc)(p, loc) for p, loc in zip(parts, local) if loc.size]
    if not picked:
        picked = [delayed(_iloc)(parts[0], np.empty(0, dtype=np.int64))]
    return pd.concat(dask.compute(*picked), ignore_index=True)


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


def _column_key(columns):
    """A list of file columns as a slice when they are contiguous (a view instead of a copy)."""
    if len(columns) and list(columns) == list(range(columns[0], columns[-1] + 1)):
        return slice(columns[0], columns[-1] + 1)
    return list(columns)


class _Columns:
    """Some columns of a 2-D file (all rows) as an array-like for ``dask.array.from_array``: every
    read opens the file, copies the rows asked for and lets the file go again. Pickles as its
    arguments (never as data), and dask's token is the file's path, size and modification time
    with the columns (dask would otherwise hash the data to name the array). ``column``: one
    column, as a 1-D array (the response)."""

    def __init__(self, path, n_rows, dtype, columns=None, column=None):
        self.path, self.columns, self.column = os.path.abspath(path), columns, column
        self.dtype = np.dtype(dtype)
        self.shape = (n_rows,) if columns is None else (n_rows, len(columns))
        self.ndim = len(self.shape)
        self._cols = column if columns is None else _column_key(columns)
        st = os.stat(self.path)
        self._token: tuple = (type(self).__name__, self.path, st.st_size, st.st_mtime_ns, str(columns), column)

    def __reduce__(self):
        return (type(self), (self.path, self.shape[0], self.dtype.str, self.columns, self.column))

    def __dask_tokenize__(self):
        return self._token

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        key = key if isinstance(key, tuple) else (key,)
        block = self._rows(key[0])
        return block[(slice(None),) + key[1:]] if len(key) > 1 else block

    def take(self, idx):
        """Rows `idx` (ascending global indices) of these columns."""
        return self._rows(np.asarray(idx, dtype=np.int64))

    def _rows(self, rows):
        raise NotImplementedError


class NpyColumns(_Columns):
    """Columns of a ``.npy`` file, memory-mapped (``np.load(mmap_mode="r")``) per read and unmapped
    after the copy: a worker's resident memory holds only its chunk (a long-lived map would count
    every page read so far in the worker's RSS, which distributed's memory monitor reads)."""

    def _rows(self, rows):
        mm = np.load(self.path, mmap_mode="r")
        # rows: a slice (a chunk) or ascending indices (the written sample: only their pages are read)
        out = np.array(mm[rows][:, self._cols] if isinstance(rows, np.ndarray) else mm[rows, self._cols])
        del mm  # the last reference: unmapped now
        return out


class ZarrColumns(_Columns):
    """Columns of a Zarr array (whole rows are read, then the columns kept)."""

    def __init__(self, path, n_rows, dtype, columns=None, column=None, component=None):
        self.component = component
        super().__init__(path, n_rows, dtype, columns, column)
        self._token += (component,)

    def __reduce__(self):
        return (type(self), (self.path, self.shape[0], self.dtype.str, self.columns, self.column, self.component))

    def _rows(self, rows):
        z = _open_zarr(self.path, self.component)
        if z.ndim == 1:
            return np.asarray(z.get_orthogonal_selection(rows) if isinstance(rows, np.ndarray) else z[rows])
        block = z.get_orthogonal_selection((rows, slice(None))) if isinstance(rows, np.ndarray) else z[rows]
        return np.ascontiguousarray(np.asarray(block)[:, self._cols])


def _open_zarr(path, component=None):
    import zarr

    return zarr.open_array(store=path, path=component, mode="r") if component else zarr.open_array(path, mode="r")


def _from_source(da, src, rows):
    chunks = (rows,) if src.ndim == 1 else (rows, -1)
    return da.from_array(src, chunks=chunks, asarray=False, lock=False, fancy=False,
                         meta=np.empty((0,) * src.ndim, dtype=src.dtype),
                         name=f"{type(src).__name__.lower()}-{dask_token(src)}")


def _sources_table(da, sources, rows, columns, target):
    X, y = (_from_source(da, src, rows) for src in sources)
    return ChunkedTable(X=X, y=y, columns=columns, target=target, sources=tuple(sources))


def _read_npy(path, target, rows_per_chunk):
    da = _import_dask()
    try:
        head = np.load(path, mmap_mode="r")
    except ValueError as e:
        _fail(f"{path}: cannot be memory-mapped ({e}); object arrays are not supported")
    shape, dtype = head.shape, head.dtype
    del head
    if len(shape) != 2:
        _fail(f"{path} must hold a 2-D array, got shape {shape}")
    _check_numeric_dtype(dtype, path)
    t = _column_number(target, shape[1], ".npy")
    keep = [j for j in range(shape[1]) if j != t]
    sources = (NpyColumns(path, shape[0], dtype, columns=keep), NpyColumns(path, shape[0], dtype, column=t))
    rows = rows_per_chunk or chunk_rows(shape[1], dtype.itemsize)
    return _sources_table(da, sources, rows, [f"c{j}" for j in range(shape[1])], t)


def dask_token(obj):
    from dask.base import tokenize

    return tokenize(obj)


def _zarr_meta(path, component=None):
    """(shape, dtype, native row chunk) of a Zarr array, with clear errors."""
    try:
        z = _open_zarr(path, component)
    except ImportError as e:
        _fail(f"reading Zarr needs zarr: pip install 'pointvalue[zarr]' ({e})")
    except Exception as e:  # zarr raises its own errors for a missing or malformed store
        where = f"{path}/{component}" if component else path
        _fail(f"{where}: cannot open as a Zarr array ({type(e).__name__}: {e})")
    return tuple(z.shape), np.dtype(z.dtype), int(z.chunks[0])


def _zarr_group_members(path):
    try:
        import zarr
    except ImportError as e:
        _fail(f"reading Zarr needs zarr: pip install 'pointvalue[zarr]' ({e})")
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
    shape, dtype, native = _zarr_meta(path)
    if len(shape) != 2:
        _fail(f"{path} must hold a 2-D array, got shape {shape}")
    _check_numeric_dtype(dtype, path)
    t = _column_number(target, shape[1], "Zarr")
    keep = [j for j in range(shape[1]) if j != t]
    sources = (ZarrColumns(path, shape[0], dtype, columns=keep), ZarrColumns(path, shape[0], dtype, column=t))
    # whole Zarr row chunks per task (a Zarr chunk is decoded whole, whatever rows are read)
    rows = rows_per_chunk or chunk_rows(shape[1], dtype.itemsize, multiple=native)
    return _sources_table(da, sources, rows, [f"c{j}" for j in range(shape[1])], t)


def _read_zarr_xy(da, path, rows_per_chunk):
    (n, *rest), dtype, native = _zarr_meta(path, "X")
    yshape, ydtype, _ = _zarr_meta(path, "y")
    if len(rest) != 1:
        _fail(f"{path}: array X must be 2-D, got shape {(n, *rest)}")
    if yshape != (n,):
        _fail(f"{path}: array y must be 1-D with one entry per row of X, got shape {yshape}")
    _check_numeric_dtype(dtype, f"{path}/X")
    _check_numeric_dtype(ydtype, f"{path}/y")
    d = rest[0]
    sources = (ZarrColumns(path, n, dtype, columns=list(range(d)), component="X"),
               ZarrColumns(path, n, ydtype, column=None, columns=None, component="y"))
    rows = rows_per_chunk or chunk_rows(d + 1, dtype.itemsize, multiple=native)
    return _sources_table(da, sources, rows, [f"x{j}" for j in range(d)] + ["y"], d)


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
    # One list of partitions for everything: dask may split or fuse a Parquet dataset's partitions
    # differently for different projections or calls, so X, y, the lengths and the written rows all
    # come from the same delayed partitions (and the lengths from one pass over them).
    import dask
    from dask import delayed

    parts = list(frame.to_delayed())
    lengths = [int(v) for v in dask.compute(*[delayed(len)(p) for p in parts])]
    parts, lengths = [p for p, n in zip(parts, lengths) if n], [n for n in lengths if n]  # no empty chunk
    if not parts:
        _fail(f"{path} has no rows")
    t = columns.index(target)
    feats = [c for c in frame.columns if str(c) != target]
    X = _partitions_array(parts, lengths, feats)
    y = _partitions_array(parts, lengths, frame.columns[t])
    return ChunkedTable(X=X, y=y, columns=columns, target=t, frame=parts, lengths=tuple(lengths))


def _float_values(part, columns):
    return part[columns].to_numpy(dtype=np.float64)


def _partitions_array(parts, lengths, columns):
    """One leaf chunk per partition (float64): `columns` a list (2-D) or one name (1-D)."""
    import dask.array as da
    from dask import delayed

    shape = (lambda n: (n, len(columns))) if isinstance(columns, list) else (lambda n: (n,))
    return da.concatenate([da.from_delayed(delayed(_float_values)(p, columns), shape=shape(n), dtype=np.float64)
                           for p, n in zip(parts, lengths)])


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
    """(tasks finished, tasks submitted) so far on the scheduler: its task prefixes count every
    transition into each state (cumulative), and every task passes through "waiting" once."""
    done = total = 0
    for prefix in dask_scheduler.task_prefixes.values():
        counts = prefix.state_counts
        done += counts.get("memory", 0) + counts.get("erred", 0)
        total += counts.get("waiting", 0)
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
        base = client.run_on_scheduler(_scheduler_counts)
    except Exception:  # a remote scheduler without pointvalue installed, or gone
        return
    with tqdm(desc="dask tasks", unit="task", total=0) as bar:
        while not stop.wait(0.5):
            try:
                done, total = client.run_on_scheduler(_scheduler_counts)
            except Exception:
                return
            bar.total = max(total - base[1], done - base[0], 0)
            bar.n = max(done - base[0], 0)
            bar.refresh()
