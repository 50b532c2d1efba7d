"""``pointvalue subsample`` by row chunks (pointvalue._cli_subsample_dask): Parquet directories,
memory-mapped .npy and Zarr give the in-memory run's sample for the same seed."""

import os
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pointvalue import _cli_subsample, _cli_subsample_dask
from pointvalue.cli import main

pd = pytest.importorskip("pandas")
da = pytest.importorskip("dask.array")
pytest.importorskip("distributed")

N = 3000
BASE = ["--size", "300", "--seed", "7", "--no-progress"]


@pytest.fixture
def frame(rng):
    X = rng.standard_normal((N, 3))
    # heteroscedastic, heavy-tailed noise: the quantile fits differ from the mean fit
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3 + (1 + np.abs(X[:, 0])) * rng.standard_t(3, N)
    return pd.DataFrame({"a": X[:, 0], "k": rng.integers(0, 5, N), "y": y, "b": X[:, 1], "c": X[:, 2]})


def _run(data, out, *extra):
    assert main(["subsample", str(data), "--out", str(out), *BASE, *extra]) == 0
    return out


def _same_file(p, q):
    """The same rows (every column bit for bit, in order); the weights 1/π to rounding (λ of the
    chunked solve matches the in-memory one to ~1e-15 relative, not bit for bit)."""
    a, b = pd.read_csv(p), pd.read_csv(q)
    assert list(a.columns) == list(b.columns) and a.columns[-1] == "weight"
    pd.testing.assert_frame_equal(a.iloc[:, :-1], b.iloc[:, :-1], check_exact=True)
    assert_allclose(a["weight"], b["weight"], rtol=1e-12)


@pytest.mark.parametrize("model", [["--model", "quantile", "--tau", "0.8", "--approx", "diag"], ["--model", "ols"]])
def test_npy_by_chunks_is_the_in_memory_sample(frame, tmp_path, model):
    A = frame.to_numpy(dtype=np.float64)
    np.save(tmp_path / "d.npy", A)
    ref = _run(tmp_path / "d.npy", tmp_path / "mem.csv", "--target", "2", *model)
    # uneven chunks (3000 = 4 × 700 + 200), dask's default scheduler
    got = _run(tmp_path / "d.npy", tmp_path / "chunk.csv", "--target", "2", "--chunked", "--chunk-rows", "700", *model)
    _same_file(ref, got)
    assert len(pd.read_csv(got)) > 200


def test_large_npy_is_read_by_chunks_without_a_flag(frame, tmp_path, monkeypatch, capsys):
    np.save(tmp_path / "d.npy", frame.to_numpy(dtype=np.float64))
    ref = _run(tmp_path / "d.npy", tmp_path / "mem.csv", "--target", "2")
    assert "read by chunks" not in capsys.readouterr().out
    monkeypatch.setattr(_cli_subsample, "_physical_memory", lambda: 4 * 1000)  # the file is > RAM / 4
    got = _run(tmp_path / "d.npy", tmp_path / "chunk.csv", "--target", "2")
    assert "read by chunks: 1 chunks" in capsys.readouterr().out
    _same_file(ref, got)


def test_npy_graph_holds_the_path_not_the_data(tmp_path):
    A = np.arange(40_000, dtype=np.float64).reshape(10_000, 4)
    np.save(tmp_path / "d.npy", A)
    table = _cli_subsample_dask.read_chunked(str(tmp_path / "d.npy"), "0", 1000)
    assert len(pickle.dumps(dict(table.X.dask))) < A.nbytes / 20
    assert table.n_chunks == 10
    assert_array_equal(table.X.compute(), A[:, 1:])
    assert_array_equal(table.y.compute(), A[:, 0])


def test_chunk_rows_target_64_to_128_mb():
    for d in (3, 111, 1000):
        rows = _cli_subsample_dask.chunk_rows(d + 1)
        assert 64 * 2**20 <= rows * (d + 1) * 8 <= 128 * 2**20
    assert _cli_subsample_dask.chunk_rows(112, multiple=5000) % 5000 == 0


def test_parquet_directory_is_the_in_memory_sample(frame, tmp_path):
    pytest.importorskip("pyarrow")
    frame.to_parquet(tmp_path / "whole.parquet", index=False)
    folder = tmp_path / "parts"
    folder.mkdir()
    for k, (a, b) in enumerate([(0, 1100), (1100, 1100), (1100, 2400), (2400, N)]):  # one part empty
        frame.iloc[a:b].to_parquet(folder / f"part{k}.parquet", index=False)
    args = ("--target", "y", "--model", "quantile", "--tau", "0.3", "--approx", "diag")
    ref = _run(tmp_path / "whole.parquet", tmp_path / "mem.csv", *args)
    got = _run(folder, tmp_path / "chunk.csv", *args)
    _same_file(ref, got)
    written = pd.read_csv(got)
    assert list(written.columns) == ["a", "k", "y", "b", "c", "weight"]
    assert written["k"].dtype == np.int64  # the file's own dtypes are written
    _run(folder, tmp_path / "chunk.parquet", *args)
    assert_array_equal(pd.read_parquet(tmp_path / "chunk.parquet").to_numpy(), written.to_numpy())


def test_zarr_array_and_group_are_the_in_memory_sample(frame, tmp_path):
    zarr = pytest.importorskip("zarr")
    A = frame.to_numpy(dtype=np.float64)
    np.save(tmp_path / "d.npy", A)
    # stored in column chunks too: the reader rechunks to whole rows
    za = zarr.open_array(str(tmp_path / "a.zarr"), mode="w", shape=A.shape, chunks=(256, 2), dtype="f8")
    za[:] = A
    ref = _run(tmp_path / "d.npy", tmp_path / "mem.csv", "--target", "2")
    got = _run(tmp_path / "a.zarr", tmp_path / "chunk.csv", "--target", "2", "--chunk-rows", "512")
    _same_file(ref, got)

    keep = [0, 1, 3, 4]
    np.savez(tmp_path / "d.npz", X=A[:, keep], y=A[:, 2])
    g = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    g.create_array("X", shape=(N, 4), chunks=(500, 4), dtype="f8")[:] = A[:, keep]
    g.create_array("y", shape=(N,), chunks=(700,), dtype="f8")[:] = A[:, 2]
    ref = np.load(_run(tmp_path / "d.npz", tmp_path / "mem.npz", "--model", "quantile", "--approx", "diag"))
    got = np.load(_run(tmp_path / "g.zarr", tmp_path / "chunk.npz", "--model", "quantile", "--approx", "diag"))
    for key in ("X", "y", "index"):
        assert_array_equal(got[key], ref[key])
    assert_allclose(got["weight"], ref["weight"], rtol=1e-12)


def test_local_cluster(frame, tmp_path, capsys):
    """Once: a LocalCluster of 2 worker processes on 127.0.0.1, with the progress bar."""
    pytest.importorskip("pyarrow")
    frame.to_parquet(tmp_path / "whole.parquet", index=False)
    folder = tmp_path / "parts"
    folder.mkdir()
    for k in range(3):
        frame.iloc[k * 1000:(k + 1) * 1000].to_parquet(folder / f"p{k}.parquet", index=False)
    ref = _run(tmp_path / "whole.parquet", tmp_path / "mem.csv", "--target", "y")
    out = tmp_path / "cluster.csv"
    assert main(["subsample", str(folder), "--out", str(out), "--target", "y", "--size", "300", "--seed", "7",
                 "--scheduler", "local", "--n-workers", "2", "--memory-limit", "1GB"]) == 0
    assert "on the dask scheduler tcp://127.0.0.1:" in capsys.readouterr().out
    _same_file(ref, out)


# -- errors -----------------------------------------------------------------------------------------


def test_non_numeric_parquet_column(frame, tmp_path):
    pytest.importorskip("pyarrow")
    folder = tmp_path / "parts"
    folder.mkdir()
    frame.assign(city="x").to_parquet(folder / "p0.parquet", index=False)
    with pytest.raises(SystemExit, match=r"non-numeric columns \['city'\]"):
        _run(folder, tmp_path / "o.csv", "--target", "y")


@pytest.mark.parametrize("column", [1, 2])  # a feature, the target
def test_nan_is_named_with_its_chunk(frame, tmp_path, column):
    A = frame.to_numpy(dtype=np.float64)
    A[2345, column] = np.nan
    np.save(tmp_path / "d.npy", A)
    with pytest.raises(SystemExit, match=r"NaN.*2100"):
        _run(tmp_path / "d.npy", tmp_path / "o.csv", "--target", "2", "--chunked", "--chunk-rows", "700")
    assert not (tmp_path / "o.csv").exists()


def test_non_numeric_and_bad_arrays(tmp_path):
    np.save(tmp_path / "s.npy", np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(SystemExit, match="non-numeric dtype"):
        _run(tmp_path / "s.npy", tmp_path / "o.csv", "--target", "0", "--chunked")
    np.save(tmp_path / "v.npy", np.zeros(10))
    with pytest.raises(SystemExit, match="2-D"):
        _run(tmp_path / "v.npy", tmp_path / "o.csv", "--target", "0", "--chunked")
    np.save(tmp_path / "m.npy", np.zeros((10, 3)))
    with pytest.raises(SystemExit, match="out of range"):
        _run(tmp_path / "m.npy", tmp_path / "o.csv", "--target", "3", "--chunked")


def test_zarr_group_without_y(tmp_path):
    zarr = pytest.importorskip("zarr")
    g = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    g.create_array("X", shape=(10, 2), dtype="f8")
    with pytest.raises(SystemExit, match="arrays X and y"):
        _run(tmp_path / "g.zarr", tmp_path / "o.csv")


def test_unknown_chunk_sizes():
    A = da.from_array(np.ones((10, 2)), chunks=(5, 2))
    unknown = A[A[:, 0] > 0]
    with pytest.raises(SystemExit, match="unknown chunk sizes"):
        _cli_subsample_dask.check_known_chunks(unknown)
    _cli_subsample_dask.check_known_chunks(A)


@pytest.mark.parametrize("extra, match", [
    (["--chunked"], r"\.csv input is read into memory"),
    (["--n-workers", "0"], "n-workers"),
    (["--chunk-rows", "0"], "chunk-rows"),
])
def test_flag_errors(frame, tmp_path, extra, match):
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(SystemExit, match=match):
        _run(tmp_path / "d.csv", tmp_path / "o.csv", "--target", "y", *extra)


def test_output_checked_before_the_run(frame, tmp_path):
    frame.to_csv(tmp_path / "d.csv", index=False)
    with pytest.raises(SystemExit, match="--out must end in"):
        _run(tmp_path / "d.csv", tmp_path / "o.xlsx", "--target", "y")
    with pytest.raises(SystemExit, match="folder of --out does not exist"):
        _run(tmp_path / "d.csv", tmp_path / "nope" / "o.csv", "--target", "y")


def test_write_is_atomic(frame, tmp_path, monkeypatch):
    frame.to_csv(tmp_path / "d.csv", index=False)
    out = tmp_path / "o.csv"
    out.write_text("old contents\n")

    def half_then_fail(path, sample):
        with open(path, "w") as f:
            f.write("a,b\n1,")
        raise OSError("disk full")

    monkeypatch.setattr(_cli_subsample, "_write", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        _run(tmp_path / "d.csv", out, "--target", "y")
    assert out.read_text() == "old contents\n"
    assert sorted(os.listdir(tmp_path)) == ["d.csv", "o.csv"]  # no temporary file left
    monkeypatch.undo()
    _run(tmp_path / "d.csv", out, "--target", "y")
    assert oct(os.stat(out).st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask():
    m = os.umask(0)
    os.umask(m)
    return m
