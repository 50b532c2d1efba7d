"""Reading the reference pipeline's sample files and `pointvalue scaling --reference-samples`."""

from __future__ import annotations

import csv

import numpy as np
import pytest

import pointvalue as pv
from pointvalue.cli import main
from pointvalue.reference_io import write_reference_samples


def simulated_file(path, rows=30, draws=40, seed=0, inds=None):
    rng = np.random.default_rng(seed)
    c = rng.lognormal(-2, 0.5, rows)
    alpha = rng.uniform(0.8, 1.5, rows)
    cards = rng.integers(100, 1000, (rows, draws)).astype(float)  # floats, as the reference stores them
    samples = c[:, None] * cards ** -alpha[:, None] * (1 + 0.5 * rng.standard_normal((rows, draws)))
    write_reference_samples(path, samples, cards, relevant_inds=inds)
    return samples, cards


def test_a_pickled_file_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "mc.npy"
    simulated_file(path)
    with pytest.raises(ValueError, match="pickled.*runs whatever code.*allow_pickle=True"):
        pv.Contributions.from_reference(path)


def test_rows_draws_and_relevant_inds_map_to_samples(tmp_path):
    path = tmp_path / "mc.npy"
    inds = np.arange(30) * 3 + 7
    samples, cards = simulated_file(path, inds=inds)
    c = pv.Contributions.from_reference(path, allow_pickle=True)
    assert len(c) == samples.size
    np.testing.assert_array_equal(c.point, np.repeat(inds, 40))
    np.testing.assert_array_equal(c.k, cards.ravel().astype(np.int64))
    np.testing.assert_array_equal(c.delta, samples.ravel())
    assert c.meta["source"]["shape"] == [30, 40]
    # what the reference's scaling_likelihood.py reads for row i: deltas[i], cardinalities[i]
    raw = np.load(path, allow_pickle=True).item()
    row = 5
    sel = c.point == inds[row]
    np.testing.assert_array_equal(c.delta[sel], raw["samples"][row])
    np.testing.assert_array_equal(c.k[sel], raw["cards"][row])


def test_an_npz_archive_loads_without_pickle(tmp_path):
    samples, cards = simulated_file(tmp_path / "mc.npy")
    np.savez(tmp_path / "mc.npz", samples=samples, cards=cards, relevant_inds=np.arange(30))
    a = pv.Contributions.from_reference(tmp_path / "mc.npz")
    b = pv.Contributions.from_reference(tmp_path / "mc.npy", allow_pickle=True)
    np.testing.assert_array_equal(a.delta, b.delta)
    np.testing.assert_array_equal(a.k, b.k)


def test_undrawn_slots_raise_unless_dropped(tmp_path):
    samples, cards = simulated_file(tmp_path / "full.npy")
    samples[3, 30:] = 0.0
    cards[3, 30:] = 0.0  # the sampler's zero-initialized storage, never filled
    write_reference_samples(tmp_path / "mc.npy", samples, cards)
    with pytest.raises(ValueError, match="10 of 1200 draws have size 0"):
        pv.Contributions.from_reference(tmp_path / "mc.npy", allow_pickle=True)
    c = pv.Contributions.from_reference(tmp_path / "mc.npy", allow_pickle=True, drop_missing=True)
    assert len(c) == 1190 and np.bincount(c.point)[3] == 30 and c.k.min() >= 100


@pytest.mark.parametrize("bad, match", [
    ({"cards": np.ones((3, 4))}, "missing key"),
    ({"samples": np.ones((3, 4)), "cards": np.ones((3, 5)) * 100}, "same shape"),
    ({"samples": np.ones((3, 4)), "cards": np.full((3, 4), 100.5)}, "whole numbers"),
    ({"samples": np.ones((3, 4)), "cards": np.full((3, 4), 100.0), "relevant_inds": np.arange(2)}, "one index per row"),
    ({"samples": np.ones((3, 4)), "cards": np.full((3, 4), 100.0), "relevant_inds": np.array([0, 1, 1])}, "repeats"),
    ({"samples": np.full((3, 4), np.nan), "cards": np.full((3, 4), 100.0)}, "NaN"),
])
def test_malformed_files_raise_naming_the_key(tmp_path, bad, match):
    path = tmp_path / "bad.npy"
    np.save(path, bad, allow_pickle=True)
    with pytest.raises(ValueError, match=match):
        pv.Contributions.from_reference(path, allow_pickle=True)


def test_not_a_dict_or_not_numpy(tmp_path):
    np.save(tmp_path / "a.npy", np.arange(5))
    with pytest.raises(ValueError, match="does not hold the reference pipeline's dict"):
        pv.Contributions.from_reference(tmp_path / "a.npy")
    (tmp_path / "b.npy").write_text("hello")
    with pytest.raises(ValueError, match="neither an .npy file"):
        pv.Contributions.from_reference(tmp_path / "b.npy")


def test_cli_writes_the_reference_columns_and_our_laws(tmp_path, capsys):
    path = tmp_path / "mc.npy"
    inds = np.arange(30) + 100
    simulated_file(path, inds=inds)
    with pytest.raises(SystemExit, match="pickled"):
        main(["scaling", "--reference-samples", str(path), "--out", str(tmp_path / "out")])
    assert main(["scaling", "--reference-samples", str(path), "--allow-pickle", "--method", "mle",
                 "--out", str(tmp_path / "out")]) == 0
    with open(tmp_path / "out" / "laws.csv", newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    assert header[:5] == ["", "alpha", "c", "sigma", "beta"]  # scaling_likelihood.py's to_csv layout
    assert {"point", "mean_nll", "nll", "status"} <= set(header)
    laws = pv.fit_scaling_laws(pv.Contributions.from_reference(path, allow_pickle=True), method="mle")
    body = np.array([[float(r[header.index(h)]) for h in ("alpha", "c", "sigma", "beta", "point", "mean_nll")]
                     for r in rows[1:]])
    np.testing.assert_array_equal([int(r[0]) for r in rows[1:]], np.arange(30))
    np.testing.assert_allclose(body[:, 0], laws.alpha, rtol=1e-15)
    np.testing.assert_allclose(body[:, 1], laws.c, rtol=1e-15)
    np.testing.assert_allclose(body[:, 2], laws.sigma, rtol=1e-15)
    np.testing.assert_allclose(body[:, 3], laws.beta, rtol=1e-15)
    np.testing.assert_array_equal(body[:, 4], inds)
    np.testing.assert_allclose(body[:, 5], laws.nll / 40, rtol=1e-12)
    assert (tmp_path / "out" / "summary.md").read_text().startswith("# scaling laws of")


def test_cli_refuses_mixed_inputs(tmp_path):
    path = tmp_path / "mc.npy"
    simulated_file(path)
    with pytest.raises(SystemExit, match="not both"):
        main(["scaling", "data.csv", "--reference-samples", str(path), "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="required"):
        main(["scaling", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="go with --reference-samples"):
        main(["scaling", "data.csv", "--target", "y", "--allow-pickle", "--out", str(tmp_path)])
