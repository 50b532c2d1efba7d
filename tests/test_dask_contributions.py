"""Marginal contributions and semivalues on a dask.distributed LocalCluster: the local run's
results bit for bit, whatever the cluster does (a worker lost mid-run), the same exceptions."""

import os
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import pointvalue as pv

distributed = pytest.importorskip("distributed")
# the plugin and the callable utilities below travel by value: the workers need not import this file
pytest.importorskip("cloudpickle").register_pickle_by_value(sys.modules[__name__])


# the `client` fixture (a 2-worker LocalCluster per module) is in conftest.py


def classification(seed=0, n=400, n_val=200, d=5, n_classes=2):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((d, n_classes))
    X = rng.standard_normal((n + n_val, d))
    y = (X @ W + rng.gumbel(size=(n + n_val, n_classes))).argmax(1)
    return X[:n], y[:n], X[n:], y[n:]


def regression(seed=0, n=400, n_val=200, d=5):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n + n_val, d))
    y = X @ rng.standard_normal(d) + rng.standard_normal(n + n_val)
    return X[:n], y[:n], X[n:], y[n:]


@pytest.fixture
def submitted(monkeypatch):
    """The keys of the tasks this test submits, in order: a spy on Client.submit, the one call
    through which pointvalue sends work (the scheduler's task stream also holds the stragglers of
    earlier tests, which made counts from it flaky)."""
    keys = []
    submit = distributed.Client.submit

    def spy(self, *args, key=None, **kwargs):
        keys.append(str(key))
        return submit(self, *args, key=key, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", spy)
    return keys


def tasks_of(keys, prefix):
    """The keys of pointvalue-<prefix> tasks, grouped by call (the uuid in the key): their counts."""
    calls = {}
    for key in keys:
        if key.startswith(f"pointvalue-{prefix}"):
            calls.setdefault(key.rsplit("-", 1)[0], set()).add(key)
    return sorted(len(v) for v in calls.values())


def assert_same(a, b):
    assert_array_equal(a.point, b.point)
    assert_array_equal(a.k, b.k)
    assert_array_equal(a.delta, b.delta)  # bitwise: assert_array_equal has no tolerance


KW = dict(points=np.arange(40), n_samples=30, sizes=(20, 80), random_state=3, progress=False,
          points_per_subset=8)


# ------------------------------------------------------------------------------------------------
# marginal contributions


def test_import_does_not_import_dask():
    code = ("import sys, numpy as np, pointvalue as pv\n"
            "X = np.random.default_rng(0).standard_normal((80, 2)); y = X[:, 0] + 1.0\n"
            "pv.marginal_contributions(X[:60], y[:60], X[60:], y[60:], model='ols', points=[0], n_samples=2,"
            " sizes=(10, 20), progress=False)\n"
            "assert not {'dask', 'distributed'} & set(sys.modules), 'dask imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("model, make, n_classes", [
    ("logistic", classification, 2), ("logistic", classification, 3), ("ols", regression, 0)])
def test_contributions_identical_to_local(client, submitted, model, make, n_classes):
    data = make(n_classes=n_classes) if n_classes else make()
    local = pv.marginal_contributions(*data, model=model, **KW, client=False)
    farmed = pv.marginal_contributions(*data, model=model, client=client, **KW)
    assert tasks_of(submitted, "contributions") == [3]  # 30 rounds in ranges of 13 rounds (512 Δ)
    assert_same(local, farmed)
    assert farmed.meta == local.meta
    assert_same(local, pv.marginal_contributions(*data, model=model, n_jobs=2, **KW, client=False))


def test_contributions_progress_bar(client, capsys):
    data = regression()
    farmed = pv.marginal_contributions(*data, model="ols", client=client, **{**KW, "progress": True})
    assert_same(pv.marginal_contributions(*data, model="ols", **KW, client=False), farmed)
    assert "1200/1200" in capsys.readouterr().err


def test_sklearn_estimator_identical_to_local(client, submitted):
    from sklearn.linear_model import LogisticRegression

    data = classification(n=120)
    kw = dict(points=[0, 5, 7], n_samples=2, sizes=(20, 40), random_state=1, progress=False, points_per_subset=2)
    est = LogisticRegression(C=1.0, tol=1e-10, max_iter=1000)
    local = pv.marginal_contributions(*data, model=est, **kw, client=False)
    farmed = pv.marginal_contributions(*data, model=est, client=client, **kw)
    assert tasks_of(submitted, "refits") == [4]  # 2 rounds × 2 base sets
    assert_same(local, farmed)


def test_evaluate_contributions_identical_to_local(client, submitted):
    from sklearn.linear_model import Ridge

    X, y, Xv, yv = classification(n_classes=3)
    rng = np.random.default_rng(5)
    subsets = [rng.choice(np.arange(10, 400), size=int(k), replace=False) for k in rng.integers(20, 80, 50)]
    targets = np.tile(np.arange(10)[:, None], 5).T.reshape(50, -1)[:, :2]
    local = pv.evaluate_contributions(X, y, Xv, yv, subsets, targets, client=False)
    farmed = pv.evaluate_contributions(X, y, Xv, yv, subsets, targets, client=client)
    assert tasks_of(submitted, "evaluate") == [7]  # 50 subsets: ceil(50 / 8) parts of ≥ 8
    assert_array_equal(local, farmed)
    Xr, yr, Xvr, yvr = regression()
    est = Ridge(alpha=1.0)
    assert_array_equal(pv.evaluate_contributions(Xr, yr, Xvr, yvr, subsets[:3], targets[:3], model=est, client=False),
                       pv.evaluate_contributions(Xr, yr, Xvr, yvr, subsets[:3], targets[:3], model=est,
                                                 client=client))
    inside = [*subsets[:-1], np.r_[subsets[-1], targets[-1, 0]]]  # a target in its own subset
    errors = [_raised(pv.evaluate_contributions, X, y, Xv, yv, inside, targets, client=c) for c in (False, client)]
    assert type(errors[0]) is type(errors[1]) is ValueError and str(errors[0]) == str(errors[1])
    assert "lies in subsets[49]" in str(errors[1])


def test_resume_and_extend_with_a_client(client):
    data = classification(n_classes=3)
    full = pv.marginal_contributions(*data, **KW, client=False)
    part = pv.marginal_contributions(*data, **{**KW, "n_samples": 12}, client=client)
    assert_same(part, pv.marginal_contributions(*data, **{**KW, "n_samples": 12}, client=False))
    more = part.extend(*data, n_samples=18, progress=False, client=client)
    assert_same(full, more)
    assert more.meta["engine"]["rounds"] == 30
    again = pv.marginal_contributions(*data, n_samples=18, resume=part, progress=False, client=client)
    assert_same(full, again)


def test_exception_inside_a_task_is_the_local_one(client):
    from sklearn.linear_model import LogisticRegression

    X, y, Xv, yv = classification(n=120)
    y = np.where(np.arange(120) < 6, 1 - y[:1], y[:1])  # 6 points of one class: subsets lack it
    kw = dict(model=LogisticRegression(), points=[0, 50], n_samples=2, sizes=(3, 5), stratify=False,
              random_state=0, progress=False)
    local, farmed = (_raised(pv.marginal_contributions, X, y, Xv, np.r_[0, 1, yv[2:]], client=c, **kw)
                     for c in (False, client))
    assert type(local) is type(farmed) and isinstance(farmed, ValueError)
    assert str(local) == str(farmed)


def _raised(func, *args, **kwargs):
    with pytest.raises(Exception) as info:
        func(*args, **kwargs)
    return info.value


def test_errors_are_the_local_exceptions(client):
    X, y, Xv, yv = regression()
    mc = pv.marginal_contributions
    bad = X.copy()
    bad[3, 1] = np.nan
    kw = dict(model="ols", points=np.arange(40), n_samples=30, random_state=0, progress=False)
    local, farmed = (_raised(mc, bad, y, Xv, yv, sizes=(20, 40), client=c, **kw) for c in (False, client))
    assert type(local) is type(farmed) is ValueError and str(local) == str(farmed)
    # k ≤ d + 1 rows: singular least-squares subsets, found by the kernel inside the tasks
    local, farmed = (_raised(mc, X, y, Xv, yv, sizes=(3, 9), client=c, **kw) for c in (False, client))
    assert type(local) is type(farmed) is ValueError
    assert "singular" in str(farmed)
    assert str(local).split("(first:")[1] == str(farmed).split("(first:")[1]  # the same point and k
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"):
        mc(X, y, Xv, yv, model="ols", n_samples=1, sizes=(20, 40), client=client.scheduler.address)


def test_client_none_uses_the_active_client_and_false_runs_locally(client, submitted):
    import joblib

    data = regression()
    assert distributed.default_client() is client  # an active default client ...
    local = pv.marginal_contributions(*data, model="ols", **KW, client=False)
    assert not submitted  # ... is not used with client=False
    farmed = pv.marginal_contributions(*data, model="ols", **KW)  # ... but by client=None
    assert tasks_of(submitted, "contributions") == [3]
    u = pv.ModelUtility(*data, model="ols")
    values = pv.semivalues(u, sampler="msr", n_samples=64, random_state=0, progress=False)
    assert tasks_of(submitted, "semivalue")
    assert_same(local, farmed)
    submitted.clear()
    assert_array_equal(values.values, pv.semivalues(u, sampler="msr", n_samples=64, random_state=0,
                                                    progress=False, client=False).values)
    assert not submitted
    with joblib.parallel_config(backend="dask"):
        assert_same(local, pv.marginal_contributions(*data, model="ols", **KW))  # the joblib context's
    assert tasks_of(submitted, "contributions") == [3]  # (the list was cleared above)


# ------------------------------------------------------------------------------------------------
# semivalues


def _majority(S):
    return float(len(S) >= 6) + 0.01 * float(np.sum(S))


@pytest.mark.parametrize("utility, sampler, n_samples, truncation", [
    ("logistic", "permutation", 12, None),
    ("logistic", "permutation", 12, 0.05),
    ("ridge", "antithetic", 12, None),
    ("logistic", "msr", 300, None),
    ("ridge-sklearn", "msr", 64, None),
    ("ols", "stratified", 20, None),
    ("logistic-small", "exact", None, None),
    ("logistic", "loo", None, None),
    ("callable", "permutation", 10, None),
    ("callable", "stratified", 10, None),
])
def test_semivalues_identical_to_local(client, submitted, utility, sampler, n_samples, truncation):
    if utility == "callable":
        u, n_players = _majority, 12
    else:
        from sklearn.linear_model import Ridge

        model = utility.split("-")[0]
        data = classification(n=60) if model == "logistic" else regression(n=60)
        n = 9 if utility.endswith("small") else 60
        if utility.endswith("sklearn"):
            model = Ridge(alpha=1.0)  # refitted by scikit-learn for every coalition
        u, n_players = pv.ModelUtility(data[0][:n], data[1][:n], data[2], data[3], model=model), None
    method = "loo" if sampler == "loo" else "shapley"
    sampler = "exact" if sampler == "loo" else sampler
    kw = dict(n_players=n_players, method=method, sampler=sampler, n_samples=n_samples, truncation=truncation,
              random_state=4, progress=False)
    local = pv.semivalues(u, **kw, client=False)
    assert not submitted
    farmed = pv.semivalues(u, client=client, **kw)
    assert tasks_of(submitted, "semivalue")
    assert_array_equal(local.values, farmed.values)
    assert_array_equal(local.stderr, farmed.stderr)
    assert_array_equal(local.counts, farmed.counts)
    assert {k: v for k, v in local.meta.items() if k != "seconds"} == \
        {k: v for k, v in farmed.meta.items() if k != "seconds"}


def test_semivalue_errors_are_the_local_exceptions(client):
    def nan_for_big(S):
        return float("nan") if len(S) > 7 else float(len(S))

    kw = dict(n_players=10, sampler="msr", n_samples=64, random_state=0, progress=False)
    local, farmed = (_raised(pv.semivalues, nan_for_big, client=c, **kw) for c in (False, client))
    assert type(local) is type(farmed) is ValueError and str(local) == str(farmed)
    X, y, Xv, yv = classification(n=10)
    u = pv.ModelUtility(X, y, Xv, yv, l2=0.0)  # separable subsets: Newton cannot converge
    kw = dict(n_samples=2, sampler="permutation", random_state=0, progress=False)
    local, farmed = (_raised(pv.semivalues, u, client=c, **kw) for c in (False, client))
    assert type(local) is type(farmed) is ValueError and str(local) == str(farmed)


# ------------------------------------------------------------------------------------------------
# a lost worker


def test_worker_lost_mid_run_changes_nothing(client, tmp_path):
    """The first task to start kills its worker process; the scheduler reruns it elsewhere."""
    data = classification()
    local = pv.marginal_contributions(*data, **KW, client=False)
    plugin = _KillFirstTask(str(tmp_path / "killed"), "pointvalue-contributions")
    client.register_plugin(plugin, name="kill-first-task")
    try:
        farmed = pv.marginal_contributions(*data, client=client, **KW)
    finally:
        client.unregister_worker_plugin("kill-first-task")
        client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker
    assert (tmp_path / "killed").exists()  # a worker did die
    assert_same(local, farmed)


class _KillFirstTask(distributed.WorkerPlugin):
    """Exits the worker process when the first task whose key starts with `prefix` starts
    (once per cluster: the marker file)."""

    def __init__(self, marker, prefix):
        self.marker, self.prefix = marker, prefix

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or not str(key).startswith(self.prefix):
            return
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
        except FileExistsError:
            return
        os._exit(1)


# ------------------------------------------------------------------------------------------------
# command line


def test_cli_scheduler_gives_the_local_output(client, tmp_path):
    from pointvalue.cli import main

    X, y, _, _ = regression(n=100, n_val=0)
    path = tmp_path / "d.csv"
    np.savetxt(path, np.column_stack([X, y]), delimiter=",", header="a,b,c,d,e,t", comments="")
    common = ["values", str(path), "--target", "t", "--model", "ridge", "--sampler", "msr", "--samples", "300",
              "--no-progress"]
    assert main([*common, "--out", str(tmp_path / "local.csv")]) == 0
    assert main([*common, "--out", str(tmp_path / "farmed.csv"), "--scheduler", client.scheduler.address]) == 0
    assert (tmp_path / "local.csv").read_text() == (tmp_path / "farmed.csv").read_text()
    common = ["scaling", str(path), "--target", "t", "--model", "ols", "--points", "10", "--samples", "6",
              "--sizes", "10", "40", "--heldout-samples", "0", "--no-progress"]
    assert main([*common, "--out", str(tmp_path / "rep-local")]) == 0
    assert main([*common, "--out", str(tmp_path / "rep-farmed"), "--scheduler", client.scheduler.address]) == 0
    assert_same(pv.Contributions.load(tmp_path / "rep-local" / "contributions.npz"),
                pv.Contributions.load(tmp_path / "rep-farmed" / "contributions.npz"))
    with pytest.raises(SystemExit, match="--scheduler"):
        main([*common, "--out", str(tmp_path / "x"), "--scheduler", "nonsense://nowhere"])
