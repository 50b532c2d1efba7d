"""Marginal contributions: incremental refits against brute-force scikit-learn refits."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import pointvalue as pv
from pointvalue import _core

sklearn = pytest.importorskip("sklearn")
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402


# ------------------------------------------------------------------------------------------------
# data and brute-force references


def regression(rng, n=6000, d=10, m=400, noise=1.0):
    beta = rng.standard_normal(d)
    X = rng.standard_normal((n, d)) * rng.uniform(0.5, 3.0, d) + rng.standard_normal(d)
    Xv = rng.standard_normal((m, d)) * rng.uniform(0.5, 3.0, d) + rng.standard_normal(d)
    y = X @ beta + 2.0 + noise * rng.standard_normal(n)
    yv = Xv @ beta + 2.0 + noise * rng.standard_normal(m)
    return X, y, Xv, yv


def classification(rng, n=6000, d=10, m=400, n_classes=2):
    W = rng.standard_normal((d, n_classes))
    X = rng.standard_normal((n, d))
    Xv = rng.standard_normal((m, d))

    def draw(A):
        logits = A @ W + rng.gumbel(size=(len(A), n_classes))
        return logits.argmax(1)

    return X, draw(X), Xv, draw(Xv)


def val_loss(est, X, y, Xv, yv, D, metric="loss"):
    est.fit(X[D], y[D])
    if metric == "accuracy":
        return np.mean(est.predict(Xv) != yv)
    if hasattr(est, "predict_proba"):
        p = est.predict_proba(Xv)
        return -np.mean(np.log(p[np.arange(len(yv)), np.searchsorted(est.classes_, yv)]))
    return np.mean((est.predict(Xv) - yv) ** 2)


def brute_force(est, X, y, Xv, yv, subsets, points, metric="loss"):
    out = []
    for D, zs in zip(subsets, points):
        L0 = val_loss(est, X, y, Xv, yv, D, metric)
        out.append([L0 - val_loss(est, X, y, Xv, yv, np.append(D, z), metric) for z in zs])
    return np.array(out)


def pairs(rng, n, sizes, per_subset=2):
    """Subsets of the given sizes from the first n − 50 rows; targets from the last 50."""
    subsets = [np.sort(rng.choice(n - 50, k, replace=False)) for k in sizes]
    points = np.array([rng.choice(np.arange(n - 50, n), per_subset, replace=False) for _ in sizes])
    return subsets, points


# ------------------------------------------------------------------------------------------------
# Δ equals brute-force refits


@pytest.mark.parametrize("model, est, l2", [
    ("ols", LinearRegression(), None),
    ("ridge", Ridge(alpha=3.0), 3.0),
])
def test_least_squares_matches_sklearn(rng, model, est, l2):
    X, y, Xv, yv = regression(rng)
    subsets, points = pairs(rng, len(X), [30, 1000, 5000])
    ours = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, model=model, l2=l2)
    ref = brute_force(est, X, y, Xv, yv, subsets, points)
    assert_allclose(ours, ref, rtol=0, atol=1e-8)
    assert np.abs(ref).max() > 1e-4  # the comparison is not trivially small


@pytest.mark.parametrize("d", [1, 5, 6, 7, 8, 14, 15, 16, 23])
def test_least_squares_any_width(rng, d):
    # the base Gram matrix has p = d + 2 columns (features, intercept, response): these widths
    # cover every tail of its 8-wide kernel
    X, y, Xv, yv = regression(rng, n=800, d=d, m=200)
    subsets, points = pairs(rng, len(X), [d + 6, 400], per_subset=5)
    ours = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, model="ols")
    ref = brute_force(LinearRegression(), X, y, Xv, yv, subsets, points)
    assert_allclose(ours, ref, rtol=0, atol=1e-8)


@pytest.mark.parametrize("d", [1, 7, 8, 9, 16])
def test_logistic_any_width(rng, d):
    X, y, Xv, yv = classification(rng, n=1500, d=d)
    subsets, points = pairs(rng, len(X), [200, 900], per_subset=5)
    ours = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, l2=1.0)
    est = LogisticRegression(C=1.0, tol=1e-10, solver="newton-cholesky")
    assert_allclose(ours, brute_force(est, X, y, Xv, yv, subsets, points), rtol=0, atol=1e-8)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_logistic_wide_matches_sklearn(rng, n_classes):
    # ≥ 128 parameters: the base fits keep their Hessian once the Newton steps are small
    X, y, Xv, yv = classification(rng, n=2500, d=140, m=300, n_classes=n_classes)
    subsets, points = pairs(rng, len(X), [400, 1500], per_subset=3)
    ours = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, l2=1.0)
    est = LogisticRegression(C=1.0, tol=1e-10, solver="newton-cholesky")
    assert_allclose(ours, brute_force(est, X, y, Xv, yv, subsets, points), rtol=0, atol=1e-8)


@pytest.mark.parametrize("model, n_classes", [("ols", 0), ("logistic", 2), ("logistic", 3)])
def test_batched_targets_equal_targets_alone(rng, model, n_classes):
    # the targets of a base set are solved together (one matrix product per pass over D);
    # solved one by one they give the same Δ
    if model == "ols":
        X, y, Xv, yv = regression(rng, n=3000, d=12)
    else:
        X, y, Xv, yv = classification(rng, n=3000, d=12, n_classes=n_classes)
    subsets, points = pairs(rng, len(X), [500, 1200], per_subset=40)
    together = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, model=model)
    alone = np.column_stack([pv.evaluate_contributions(X, y, Xv, yv, subsets, points[:, [j]], model=model)
                             for j in range(points.shape[1])])
    assert_allclose(together, alone, rtol=0, atol=1e-11)
    assert np.abs(together).max() > 1e-5


def test_logistic_binary_matches_sklearn(rng):
    # sklearn's Newton solver: its lbfgs stops on a relative objective change of 64·eps
    # (scipy's ftol) before reaching tol=1e-10, leaving ~1e-8 errors in Δ even at small k
    X, y, Xv, yv = classification(rng)
    subsets, points = pairs(rng, len(X), [60, 400, 5000])
    ours = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, l2=2.0)
    est = LogisticRegression(C=0.5, tol=1e-10, solver="newton-cholesky")
    ref = brute_force(est, X, y, Xv, yv, subsets, points)
    assert_allclose(ours, ref, rtol=0, atol=1e-8)
    lbfgs = brute_force(LogisticRegression(C=0.5, tol=1e-10, max_iter=10_000), X, y, Xv, yv,
                        subsets[:2], points[:2])
    assert_allclose(ours[:2], lbfgs, rtol=0, atol=1e-7)


def test_logistic_multinomial_matches_sklearn(rng):
    X, y, Xv, yv = classification(rng, n_classes=4)
    subsets, points = pairs(rng, len(X), [80, 5000])
    ours = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, l2=0.5)
    est = LogisticRegression(C=2.0, tol=1e-10, solver="newton-cholesky")
    ref = brute_force(est, X, y, Xv, yv, subsets, points)
    assert_allclose(ours, ref, rtol=0, atol=1e-8)
    assert np.abs(ref).max() > 1e-4


def test_logistic_unpenalized_and_accuracy_metric(rng):
    X, y, Xv, yv = classification(rng, n=2000, n_classes=3)
    subsets, points = pairs(rng, len(X), [300, 1500], per_subset=3)
    ours = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, l2=0.0)
    est = LogisticRegression(C=np.inf, tol=1e-10, solver="newton-cholesky")
    assert_allclose(ours, brute_force(est, X, y, Xv, yv, subsets, points), rtol=0, atol=1e-8)
    acc = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, l2=1.0, metric="accuracy")
    est = LogisticRegression(C=1.0, tol=1e-10, solver="newton-cholesky")
    assert_allclose(acc, brute_force(est, X, y, Xv, yv, subsets, points, "accuracy"), atol=1e-12)
    assert np.all(np.abs(acc * len(yv) - np.round(acc * len(yv))) < 1e-9)  # multiples of 1/m


def test_sklearn_default_tolerance_is_noisy_ours_converged(rng):
    X, y, Xv, yv = classification(rng, n=6000, d=10)
    subsets, points = pairs(rng, len(X), [5000, 5000])
    ours = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, l2=1.0)
    exact = brute_force(LogisticRegression(tol=1e-12, solver="newton-cholesky"), X, y, Xv, yv, subsets, points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        default = brute_force(LogisticRegression(), X, y, Xv, yv, subsets, points)
    err_ours = np.abs(ours - exact).max()
    err_default = np.abs(default - exact).max()
    assert err_ours < 1e-9
    # at k = 5000 Δ is ~1e-5 and lbfgs' default stopping rule leaves errors of that order
    assert err_default > 100 * err_ours
    assert err_default > 1e-3 * np.abs(exact).min()


def test_one_step_approximation_error(rng):
    X, y, Xv, yv = classification(rng, n=3000, d=8)
    subsets, points = pairs(rng, len(X), [200, 1000], per_subset=10)
    exact = pv.evaluate_contributions(X, y, Xv, yv, subsets, points)
    approx = pv.evaluate_contributions(X, y, Xv, yv, subsets, points, approx="one_step")
    rel = np.abs(approx - exact) / np.abs(exact).max(axis=1, keepdims=True)
    assert rel.max() < 0.1          # a good estimate ...
    assert np.abs(approx - exact).max() > 1e-12  # ... but not the exact value
    assert rel[1].max() < rel[0].max()  # error shrinks as k grows


# ------------------------------------------------------------------------------------------------
# sampling


def small_pool(rng, n=300, n_classes=2):
    X, y, Xv, yv = classification(rng, n=n, d=4, m=200, n_classes=n_classes)
    return X, y, Xv, yv


@pytest.mark.parametrize("model, est, n_classes", [
    ("ols", LinearRegression(), 0),
    ("ridge", Ridge(alpha=1.0), 0),
    ("logistic", LogisticRegression(tol=1e-10, solver="newton-cholesky"), 2),
    ("logistic", LogisticRegression(tol=1e-10, solver="newton-cholesky"), 3),
])
def test_sampled_contributions_match_generic_path(rng, model, est, n_classes):
    # a small pool, so that many targets fall inside their base draw (the downdate branch)
    if n_classes == 0:
        X, y, Xv, yv = regression(rng, n=300, d=4, m=200)
    else:
        X, y, Xv, yv = small_pool(rng, n_classes=n_classes)
    kw = dict(points=np.arange(0, 300, 15), n_samples=3, sizes=(100, 250), random_state=7,
              progress=False, points_per_subset=8)
    fast = pv.marginal_contributions(X, y, Xv, yv, model=model, **kw)
    slow = pv.marginal_contributions(X, y, Xv, yv, model=est, n_jobs=1, **kw)
    assert_array_equal(fast.point, slow.point)
    assert_array_equal(fast.k, slow.k)
    assert_allclose(fast.delta, slow.delta, rtol=0, atol=1e-8)
    assert len(fast) == 20 * 3


def _plan(y, points, k_values, seed, group, rounds, stratified=True):
    classes = np.unique(y)
    label = np.searchsorted(classes, y).astype(np.int64)
    if stratified:
        order = np.argsort(label, kind="stable").astype(np.int64)
        ptr = np.concatenate([[0], np.cumsum(np.bincount(label))]).astype(np.int64)
        stratum = label
    else:
        order = np.arange(len(y), dtype=np.int64)
        ptr = np.array([0, len(y)], dtype=np.int64)
        stratum = np.zeros(len(y), dtype=np.int64)
    cdf = np.arange(1, len(k_values) + 1) / len(k_values)
    design = _core.refit.Design(stratum, ptr, order, np.asarray(k_values, dtype=np.int64), cdf,
                                balanced=False, key=seed, points_per_subset=group)
    plan = _core.refit.draw_plan(design, np.asarray(points, dtype=np.int64), (0, rounds))
    return plan, label, ptr


def _subsets_of(plan, points, n_strata, label):
    """D_z of every output row, rebuilt from the plan."""
    m = len(points)
    out = []
    for row, t in enumerate(plan.row_task):
        z = points[row % m]
        D = plan.base_idx[plan.base_ptr[t]:plan.base_ptr[t + 1]]
        if plan.row_in_base[row]:
            e = plan.extra[t * n_strata + label[z]]
            D = np.append(D[D != z], e)
        out.append((z, plan.task_k[t], D))
    return out


def test_draws_are_uniform_stratified_subsets_without_z(rng):
    n = 24
    y = np.array([0] * 16 + [1] * 8)
    points = np.array([0, 5, 17, 20])
    plan, label, ptr = _plan(y, points, [6], seed=3, group=4, rounds=3000)
    counts = _core.refit.stratum_counts(ptr, False, 6)
    assert_array_equal(counts, [4, 2])  # one per class, then 4 split 16:8 → 4 + 2 (largest remainder)
    incl = np.zeros((len(points), n))
    for j, (z, k, D) in enumerate(_subsets_of(plan, points, 2, label)):
        assert len(D) == k == 6 and len(np.unique(D)) == 6 and z not in D
        assert_array_equal(np.bincount(label[D], minlength=2), counts)
        incl[j % len(points), D] += 1
    rounds = 3000
    for j, z in enumerate(points):
        c = label[z]
        for i in range(n):
            if i == z:
                assert incl[j, i] == 0
                continue
            pool_c = np.count_nonzero(label == label[i]) - (label[i] == c)
            p = counts[label[i]] / pool_c  # uniform within the class, z excluded
            sd = np.sqrt(rounds * p * (1 - p))
            assert abs(incl[j, i] - rounds * p) < 5 * sd


def test_group_members_share_draws_but_rounds_are_independent(rng):
    y = np.zeros(500, dtype=int)
    points = np.arange(40)
    plan, label, _ = _plan(y, points, list(range(50, 60)), seed=11, group=10, rounds=5, stratified=False)
    assert len(plan.task_k) == 5 * 4
    # every task serves exactly `group` targets
    assert_array_equal(np.bincount(plan.row_task), np.full(20, 10))
    independent, _, _ = _plan(y, points, list(range(50, 60)), seed=11, group=1, rounds=5, stratified=False)
    assert len(independent.task_k) == 5 * 40


def test_deterministic_whatever_threads(rng):
    from threadpoolctl import threadpool_limits

    X, y, Xv, yv = classification(rng, n=1500, d=6, m=300, n_classes=3)
    kw = dict(points=np.arange(0, 1500, 25), n_samples=4, sizes=(100, 400), random_state=2024,
              progress=False, points_per_subset=16)
    a = pv.marginal_contributions(X, y, Xv, yv, n_jobs=1, **kw)
    b = pv.marginal_contributions(X, y, Xv, yv, n_jobs=2, **kw)
    with threadpool_limits(1, "openmp"):
        c = pv.marginal_contributions(X, y, Xv, yv, n_jobs=-1, **kw)
    d = pv.marginal_contributions(np.asfortranarray(X), y, Xv, yv, n_jobs=2, **kw)
    for other in (b, c, d):
        assert_array_equal(a.k, other.k)
        assert_array_equal(a.delta, other.delta)
    e = pv.marginal_contributions(X, y, Xv, yv, **{**kw, "random_state": 2025})
    assert not np.array_equal(a.delta, e.delta)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_deterministic_whatever_the_rounds_per_call(rng, n_classes):
    # a round's Δ must not depend on the other rounds of its kernel call (the progress chunks,
    # resume and the dask ranges split the rounds differently): one call of 20 rounds × 4 groups
    # against calls of 1 round (4 tasks each) and a split 3 + 17
    X, y, Xv, yv = classification(rng, n=600, d=5, m=200, n_classes=n_classes)
    kw = dict(points=np.arange(0, 600, 15), sizes=(30, 120), random_state=7, progress=False,
              points_per_subset=10)
    whole = pv.marginal_contributions(X, y, Xv, yv, n_samples=20, **kw)
    rounds = pv.marginal_contributions(X, y, Xv, yv, n_samples=1, **kw)
    for _ in range(19):
        rounds = rounds.extend(X, y, Xv, yv, n_samples=1, progress=False)
    split = pv.marginal_contributions(X, y, Xv, yv, n_samples=3, **kw).extend(X, y, Xv, yv, n_samples=17,
                                                                            progress=False)
    for other in (rounds, split):
        assert_array_equal(whole.k, other.k)
        assert_array_equal(whole.delta, other.delta)


def test_size_distributions(rng):
    X, y, Xv, yv = regression(rng, n=2000, d=3, m=100)
    kw = dict(model="ols", points=np.arange(50), n_samples=40, random_state=0, progress=False)
    u = pv.marginal_contributions(X, y, Xv, yv, sizes=(100, 1000), **kw)
    assert u.k.min() >= 100 and u.k.max() < 1000
    lg = pv.marginal_contributions(X, y, Xv, yv, sizes=(100, 1000), size_dist="loguniform", **kw)
    assert lg.k.min() >= 100 and lg.k.max() < 1000
    assert np.median(lg.k) < np.median(u.k)  # log-uniform puts more mass on small k
    arr = pv.marginal_contributions(X, y, Xv, yv, size_dist=np.array([64, 128, 256]), **kw)
    assert set(np.unique(arr.k)) <= {64, 128, 256}
    # Δ shrinks with k (α ≈ 2 for least squares): mean |Δ| at k=64 well above that at k=256
    assert np.abs(arr.delta[arr.k == 64]).mean() > 4 * np.abs(arr.delta[arr.k == 256]).mean()


# ------------------------------------------------------------------------------------------------
# the result class: save / load / resume


def test_contributions_from_arrays_and_frame():
    c = pv.Contributions(point=[3, 3, 1], k=[10, 20, 10], delta=[0.1, 0.05, -0.01])
    assert len(c) == 3 and c.n_points == 2
    assert_array_equal(c.points, [1, 3])
    pd = pytest.importorskip("pandas")
    f = c.to_frame()
    assert isinstance(f, pd.DataFrame) and list(f.columns) == ["point", "k", "delta"]
    with pytest.raises(ValueError, match="equal lengths"):
        pv.Contributions(point=[1], k=[1, 2], delta=[0.0])
    with pytest.raises(TypeError, match="k must hold integers"):
        pv.Contributions(point=[1], k=[1.5], delta=[0.0])


def test_save_load_resume_round_trip(rng, tmp_path):
    X, y, Xv, yv = small_pool(rng, n=400, n_classes=3)
    kw = dict(points=[1, 5, 9, 200], sizes=(50, 150), random_state=5, progress=False, points_per_subset=2)
    full = pv.marginal_contributions(X, y, Xv, yv, n_samples=5, **kw)
    part = pv.marginal_contributions(X, y, Xv, yv, n_samples=2, **kw)
    path = tmp_path / "contrib.npz"
    part.save(path)
    loaded = pv.Contributions.load(path)
    assert_array_equal(loaded.delta, part.delta)
    assert loaded.meta == part.meta
    more = loaded.extend(X, y, Xv, yv, n_samples=3, progress=False)
    assert_array_equal(more.point, full.point)
    assert_array_equal(more.k, full.k)
    assert_array_equal(more.delta, full.delta)
    assert more.meta["engine"]["rounds"] == 5
    again = pv.marginal_contributions(X, y, Xv, yv, n_samples=1, resume=more, progress=False)
    assert len(again) == 6 * 4
    with pytest.raises(ValueError, match="differ from the data"):
        loaded.extend(X + 1.0, y, Xv, yv, n_samples=1, progress=False)
    with pytest.raises(ValueError, match="random_state differs"):
        pv.marginal_contributions(X, y, Xv, yv, n_samples=1, resume=loaded, random_state=6, progress=False)
    with pytest.raises(ValueError, match="nothing to resume"):
        pv.Contributions([0], [1], [0.0]).extend(X, y, Xv, yv, n_samples=1)


# ------------------------------------------------------------------------------------------------
# bad input


def test_bad_input(rng):
    X, y, Xv, yv = small_pool(rng, n=300, n_classes=3)
    mc = pv.marginal_contributions
    kw = dict(n_samples=1, sizes=(10, 20), progress=False, random_state=0)
    with pytest.raises(ValueError, match="y_val lacks the classes"):
        mc(X, y, Xv[yv != 2], yv[yv != 2], **kw)
    with pytest.raises(ValueError, match="larger than the pool"):
        mc(X, y, Xv, yv, sizes=(100, 400), stratify=False, n_samples=1, progress=False)
    counts = np.bincount(y)
    with pytest.raises(ValueError, match="larger than class .* allows when stratified"):
        mc(X, y, Xv, yv, sizes=(100, 299), n_samples=1, progress=False)
    assert counts.min() < 299
    with pytest.raises(ValueError, match="points must be pool indices"):
        mc(X, y, Xv, yv, points=[0, 300], **kw)
    with pytest.raises(ValueError, match="distinct"):
        mc(X, y, Xv, yv, points=[1, 1], **kw)
    Xn = X.copy()
    Xn[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        mc(Xn, y, Xv, yv, **kw)
    with pytest.raises(ValueError, match="X_val contains NaN"):
        mc(X, y, np.where(Xv > 2, np.inf, Xv), yv, **kw)
    Xc = X.copy()
    Xc[:, 2] = 1.5
    with pytest.raises(ValueError, match="constant columns \\[2\\]"):
        mc(Xc, y, Xv, yv, l2=0.0, **kw)
    mc(Xc, y, Xv, yv, l2=1.0, **kw)  # penalized: well defined
    yr = X @ np.ones(4)
    with pytest.raises(ValueError, match="constant columns"):
        mc(Xc, yr, Xv, Xv @ np.ones(4), model="ols", **kw)
    with pytest.raises(ValueError, match="model='ols' is unpenalized"):
        mc(X, yr, Xv, Xv @ np.ones(4), model="ols", l2=1.0, **kw)
    with pytest.raises(ValueError, match="metric='accuracy' needs"):
        mc(X, yr, Xv, Xv @ np.ones(4), model="ols", metric="accuracy", **kw)
    with pytest.raises(ValueError, match="model must be one of"):
        mc(X, y, Xv, yv, model="svm", **kw)
    with pytest.raises(ValueError, match="sizes must satisfy"):
        mc(X, y, Xv, yv, sizes=(20, 20), n_samples=1, progress=False)
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        mc(X, y, Xv, yv, n_samples=2.0, sizes=(10, 20), progress=False)
    with pytest.raises(ValueError, match="X_val must have 4 columns"):
        mc(X, y, Xv[:, :3], yv, **kw)
    with pytest.raises(ValueError, match="y_val holds classes absent"):
        mc(X[y != 2], y[y != 2], Xv, yv, **kw)
    # evaluate_contributions
    ev = pv.evaluate_contributions
    with pytest.raises(ValueError, match="lies in subsets\\[0\\]"):
        ev(X, y, Xv, yv, [np.arange(50)], [3])
    with pytest.raises(ValueError, match="outside the pool"):
        ev(X, y, Xv, yv, [np.arange(50) + 260], [3])
    with pytest.raises(ValueError, match="repeats an index"):
        ev(X, y, Xv, yv, [np.r_[np.arange(50), 7]], [60])
    with pytest.raises(ValueError, match="one row per subset"):
        ev(X, y, Xv, yv, [np.arange(50)], [60, 61])


def test_singular_and_separable_subsets_raise(rng):
    # least squares with fewer points than parameters: singular Gram matrix of D
    X, y, Xv, yv = regression(rng, n=200, d=12, m=50)
    with pytest.raises(ValueError, match="singular"):
        pv.evaluate_contributions(X, y, Xv, yv, [np.arange(8)], [100], model="ols")
    assert np.isfinite(pv.evaluate_contributions(X, y, Xv, yv, [np.arange(8)], [100], model="ridge"))
    # separable classes without a penalty
    Xs = rng.standard_normal((200, 2))
    ys = (Xs[:, 0] > 0).astype(int)
    with pytest.raises(ValueError, match="separable"):
        pv.evaluate_contributions(Xs, ys, Xs, ys, [np.arange(100)], [150], l2=0.0)
    assert np.isfinite(pv.evaluate_contributions(Xs, ys, Xs, ys, [np.arange(100)], [150], l2=1.0))
    # a subset missing a class
    ys2 = np.r_[np.zeros(100, int), np.ones(100, int)]
    with pytest.raises(ValueError, match="lacks one of the classes"):
        pv.evaluate_contributions(Xs, ys2, Xs, ys2, [np.arange(50)], [150], l2=1.0)


def test_independent_draws_mode(rng):
    # points_per_subset=1: every (point, sample) has its own draw; same values as the generic path
    X, y, Xv, yv = regression(rng, n=200, d=3, m=100)
    kw = dict(model="ridge", points=np.arange(0, 200, 20), n_samples=2, sizes=(60, 150), random_state=3,
              progress=False, points_per_subset=1)
    fast = pv.marginal_contributions(X, y, Xv, yv, **kw)
    slow = pv.marginal_contributions(X, y, Xv, yv, **{**kw, "model": Ridge(alpha=1.0)}, n_jobs=1)
    assert_array_equal(fast.k, slow.k)
    assert_allclose(fast.delta, slow.delta, rtol=0, atol=1e-10)
    assert len(np.unique(fast.k)) > 2  # k drawn per (point, sample), not per round
