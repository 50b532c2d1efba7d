"""``pointvalue subsample`` (pointvalue._cli_subsample)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from pointvalue.cli import main

pd = pytest.importorskip("pandas")


@pytest.fixture
def table(rng, tmp_path):
    n = 3000
    X = rng.standard_normal((n, 3))
    y = X @ np.array([1.0, -2.0, 3.0]) + 0.5 + rng.standard_normal(n)
    df = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "target": y, "c": X[:, 2]})
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return df, path


def test_csv_roundtrip_and_determinism(table, tmp_path, capsys):
    df, path = table
    out1, out2 = tmp_path / "s1.csv", tmp_path / "s2.csv"
    args = ["subsample", str(path), "--target", "target", "--size", "400", "--seed", "3", "--no-progress"]
    assert main(args + ["--out", str(out1)]) == 0
    text = capsys.readouterr().out
    assert "pilot fit" in text and "weighted fit" in text and "intercept" in text
    main(args + ["--out", str(out2)])
    s1, s2 = pd.read_csv(out1), pd.read_csv(out2)
    pd.testing.assert_frame_equal(s1, s2)
    assert list(s1.columns) == ["a", "b", "target", "c", "weight"]
    assert abs(len(s1) - 400) < 5 * 20
    # every written row is an original row, weights ≥ 1
    merged = s1.merge(df, on=["a", "b", "target", "c"], how="left", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (s1["weight"] >= 1).all()
    # the printed weighted fit is the weighted least squares on the written sample
    import pointvalue as pv

    ref = pv.InfluenceSampler(size=400, random_state=3).fit(df[["a", "b", "c"]], df["target"])
    assert_allclose(np.sort(1 / ref.weights_), np.sort(1 / s1["weight"].to_numpy()), rtol=1e-12)
    D = np.column_stack([s1[["a", "b", "c"]].to_numpy(), np.ones(len(s1))])
    w = np.sqrt(s1["weight"].to_numpy())
    b = np.linalg.lstsq(D * w[:, None], s1["target"].to_numpy() * w, rcond=None)[0]
    assert_allclose(b[:3], ref.coef_, rtol=1e-8)


def test_npy_npz_and_quantile(table, tmp_path):
    df, _ = table
    A = df.to_numpy()
    np.save(tmp_path / "d.npy", A)
    out = tmp_path / "o.csv"
    main(["subsample", str(tmp_path / "d.npy"), "--target", "2", "--size", "300", "--model", "quantile",
          "--tau", "0.9", "--approx", "diag", "--seed", "1", "--out", str(out), "--no-progress"])
    s = pd.read_csv(out)
    assert list(s.columns) == ["c0", "c1", "c3", "c2", "weight"]
    np.savez(tmp_path / "d.npz", X=A[:, [0, 1, 3]], y=A[:, 2])
    out2 = tmp_path / "o.npz"
    main(["subsample", str(tmp_path / "d.npz"), "--size", "300", "--seed", "1", "--out", str(out2),
          "--no-progress"])
    z = np.load(out2)
    assert_array_equal(z["X"], A[z["index"]][:, [0, 1, 3]])
    assert_allclose(z["weight"], 1 / (1 / z["weight"]))


def test_parquet_when_pyarrow_available(table, tmp_path):
    pytest.importorskip("pyarrow")
    df, _ = table
    df.to_parquet(tmp_path / "d.parquet")
    main(["subsample", str(tmp_path / "d.parquet"), "--target", "target", "--size", "200", "--seed", "0",
          "--out", str(tmp_path / "o.csv"), "--no-progress"])
    assert "weight" in pd.read_csv(tmp_path / "o.csv").columns


@pytest.mark.parametrize("extra, match", [
    (["--target", "nope"], "target"),
    (["--target", "target", "--size", "0"], "size"),
    (["--target", "target", "--model", "quantile", "--tau", "2"], "tau"),
])
def test_cli_errors(table, tmp_path, extra, match):
    _, path = table
    args = ["subsample", str(path), "--out", str(tmp_path / "o.csv"), "--no-progress"]
    if "--size" not in extra:
        args += ["--size", "100"]
    with pytest.raises(SystemExit, match=match):
        main(args + extra)


def test_unknown_format(tmp_path):
    p = tmp_path / "x.xlsx"
    p.write_text("")
    with pytest.raises(SystemExit, match="format"):
        main(["subsample", str(p), "--target", "y", "--size", "10", "--out", str(tmp_path / "o.csv")])
