"""n_jobs everywhere, with scikit-learn's meaning; threads never change a result."""

import inspect

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal

import pointvalue as pv
from pointvalue import _core
from pointvalue._validation import check_n_jobs
from pointvalue.cli import build_parser, main

# every public function that computes something in parallel
COMPUTE = [pv.fwht, pv.fwht_inplace, pv.srht, pv.leverage_scores, pv.fit_glm, pv.influence_scores,
           pv.inclusion_probabilities, pv.poisson_sample, pv.sampling_uniforms, pv.subsampling_scores,
           pv.marginal_contributions, pv.evaluate_contributions, pv.Contributions.extend,
           pv.InfluenceSampler, pv.semivalues, pv.ModelUtility.evaluate, pv.fit_scaling_laws]


@pytest.mark.parametrize("func", COMPUTE, ids=lambda f: f.__qualname__)
def test_every_compute_entry_point_takes_n_jobs_defaulting_to_none(func):
    params = inspect.signature(func).parameters
    assert "n_jobs" in params and params["n_jobs"].default is None


def test_semantics():
    cores = int(_core.config.max_threads())
    assert check_n_jobs(None) == 1
    assert check_n_jobs(1) == 1 and check_n_jobs(5) == 5 and check_n_jobs(np.int64(2)) == 2
    assert check_n_jobs(-1) == cores
    assert check_n_jobs(-2) == max(1, cores - 1)
    assert check_n_jobs(-1000) == 1
    with pytest.raises(ValueError, match="n_jobs == 0"):
        check_n_jobs(0)
    for bad in (1.0, "2", True):
        with pytest.raises(TypeError, match="n_jobs"):
            check_n_jobs(bad)


def test_joblib_context_sets_the_default():
    with joblib.parallel_config(n_jobs=3):
        assert check_n_jobs(None) == 3
        assert check_n_jobs(2) == 2  # an explicit value wins
    with joblib.parallel_config(n_jobs=-1):
        assert check_n_jobs(None) == int(_core.config.max_threads())
    with joblib.parallel_backend("threading", n_jobs=2):
        assert check_n_jobs(None) == 2
    assert check_n_jobs(None) == 1


def test_the_openmp_thread_count_is_restored_after_a_call(rng):
    before = int(_core.config.max_threads())
    pv.fwht(rng.standard_normal(1 << 12), n_jobs=1)
    pv.fwht(rng.standard_normal(1 << 12), n_jobs=before + 1)
    with pytest.raises(ValueError):  # restored on error too
        pv.fwht(np.ones(3), n_jobs=1)
    assert int(_core.config.max_threads()) == before


def test_threads_never_change_results(rng):
    X = rng.standard_normal((20_000, 6))
    y = X @ np.arange(1.0, 7.0) + rng.standard_normal(20_000)
    yb = (y > np.median(y)).astype(float)

    def run(n_jobs):
        fit = pv.fit_glm(X, yb, model="logistic", l2=1.0, n_jobs=n_jobs)
        s = pv.influence_scores(X, yb, fit.coef, model="logistic", intercept=fit.intercept,
                                l2=1.0, approx="sketch", random_state=0, n_jobs=n_jobs)
        pi = pv.inclusion_probabilities(s, 1000, min_prob=0.01, n_jobs=n_jobs)
        sampler = pv.InfluenceSampler(size=1000, random_state=1, n_jobs=n_jobs).fit(X, y)
        return [fit.coef, s, pi, pv.poisson_sample(pi, random_state=2, n_jobs=n_jobs),
                pv.leverage_scores(X, n_jobs=n_jobs), pv.srht(X, 512, random_state=3, n_jobs=n_jobs),
                sampler.indices_, sampler.coef_]

    ref = run(1)
    for n_jobs in (2, -1, None):
        for a, b in zip(ref, run(n_jobs)):
            assert_array_equal(a, b)
    with joblib.parallel_config(n_jobs=2):
        for a, b in zip(ref, run(None)):
            assert_array_equal(a, b)


def _subcommands():
    action = next(a for a in build_parser()._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_subcommand_has_n_jobs_defaulting_to_all_cores(command):
    parser = _subcommands()[command]
    action = next(a for a in parser._actions if a.dest == "n_jobs")
    assert "--n-jobs" in action.option_strings and action.default == -1


def test_cli_refuses_n_jobs_zero():
    with pytest.raises(SystemExit, match="n-jobs"):
        main(["config", "--n-jobs", "0"])


def test_kernels_run_with_the_resolved_thread_count(monkeypatch):
    from pointvalue import _threads, transform

    seen = []
    real = transform._transform_contiguous

    def spy(*args):
        seen.append(int(_core.config.max_threads()))  # OpenMP's count for the kernel about to run
        return real(*args)

    monkeypatch.setattr(transform, "_transform_contiguous", spy)
    before = int(_core.config.max_threads())
    for n_jobs, want in ((1, 1), (3, 3), (-1, before), (None, 1)):
        pv.fwht(np.ones(8), n_jobs=n_jobs)
        assert seen[-1] == want
    with joblib.parallel_config(n_jobs=2):
        pv.fwht(np.ones(8))
    assert seen[-1] == 2
    with _threads.openmp_threads(2):
        assert int(_core.config.max_threads()) == 2
    assert int(_core.config.max_threads()) == before
