"""ModelUtility: the engine's scores against scikit-learn refits, conventions, bad input."""

import numpy as np
import pytest

import pointvalue as pv

sklearn = pytest.importorskip("sklearn")
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge  # noqa: E402
from sklearn.metrics import log_loss, mean_squared_error, r2_score  # noqa: E402


def _classification(rng, n=60, m=40, d=4):
    w = rng.normal(size=d)
    X = rng.normal(size=(n + m, d))
    y = (X @ w + 0.8 * rng.normal(size=n + m) > 0).astype(int)
    y[:2] = [0, 1]
    y[n:n + 2] = [0, 1]
    return X[:n], y[:n], X[n:], y[n:]


def _regression(rng, n=50, m=30, d=3):
    X = rng.normal(size=(n + m, d))
    y = X @ rng.normal(size=d) + 0.5 * rng.normal(size=n + m) + 2.0
    return X[:n], y[:n], X[n:], y[n:]


def _subsets(rng, n, sizes):
    return [np.sort(rng.choice(n, size=k, replace=False)) for k in sizes]


@pytest.mark.parametrize("l2", [1.0, 0.1])
def test_logistic_loss_and_accuracy_match_sklearn(rng, l2):
    X, y, Xv, yv = _classification(rng)
    u = pv.ModelUtility(X, y, Xv, yv, model="logistic", l2=l2)
    ua = pv.ModelUtility(X, y, Xv, yv, model="logistic", l2=l2, metric="accuracy")
    for S in _subsets(rng, len(X), [6, 15, 30, 60]):
        if len(np.unique(y[S])) < 2:
            continue
        est = LogisticRegression(C=1 / l2, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X[S], y[S])
        ref = -log_loss(yv, est.predict_proba(Xv))
        assert u(S) == pytest.approx(ref, rel=1e-8, abs=1e-10)
        assert ua(S) == est.score(Xv, yv)


@pytest.mark.parametrize("model,metric", [("ols", "loss"), ("ols", "r2"), ("ridge", "mse"), ("ridge", "r2")])
def test_least_squares_scores_match_sklearn(rng, model, metric):
    X, y, Xv, yv = _regression(rng)
    l2 = 2.5 if model == "ridge" else None
    u = pv.ModelUtility(X, y, Xv, yv, model=model, metric=metric, l2=l2)
    for S in _subsets(rng, len(X), [5, 12, 50]):
        est = (Ridge(alpha=l2) if model == "ridge" else LinearRegression()).fit(X[S], y[S])
        pred = est.predict(Xv)
        ref = r2_score(yv, pred) if metric == "r2" else -mean_squared_error(yv, pred)
        assert u(S) == pytest.approx(ref, rel=1e-8, abs=1e-10)


def test_sklearn_estimator_utility_matches_the_engine(rng):
    X, y, Xv, yv = _classification(rng)
    u = pv.ModelUtility(X, y, Xv, yv, model="logistic", l2=1.0)
    ue = pv.ModelUtility(X, y, Xv, yv, model=LogisticRegression(C=1.0, solver="newton-cholesky", tol=1e-12))
    subs = _subsets(rng, len(X), [10, 40])
    np.testing.assert_allclose(ue.evaluate(subs), u.evaluate(subs), rtol=1e-8)
    assert ue(np.array([0])) == ue.empty_score == pytest.approx(-np.log(2))


def test_evaluate_with_targets_is_the_score_with_the_target(rng):
    X, y, Xv, yv = _classification(rng)
    u = pv.ModelUtility(X, y, Xv, yv)
    subs = _subsets(rng, len(X), [8, 20])
    t = np.array([int(np.setdiff1d(np.arange(len(X)), s)[0]) for s in subs])
    base, plus = u.evaluate(subs, t)
    np.testing.assert_allclose(plus, [u(np.append(s, ti)) for s, ti in zip(subs, t)], rtol=1e-9)
    np.testing.assert_allclose(base, [u(s) for s in subs], rtol=1e-12)


def test_conventions_for_subsets_too_small(rng):
    X, y, Xv, yv = _classification(rng)
    u = pv.ModelUtility(X, y, Xv, yv)
    assert u(np.array([], dtype=int)) == pytest.approx(-np.log(2))
    one_class = np.flatnonzero(y == 1)[:5]
    assert u(one_class) == u.empty_score
    ua = pv.ModelUtility(X, y, Xv, yv, metric="accuracy")
    assert ua(np.array([], dtype=int)) == pytest.approx(np.mean(yv == 0))
    Xr, yr, Xrv, yrv = _regression(rng)
    uo = pv.ModelUtility(Xr, yr, Xrv, yrv, model="ols")
    assert uo(np.array([0, 1, 2])) == uo.empty_score == pytest.approx(-np.mean(yrv ** 2))
    assert uo(np.array([0, 1, 2, 3])) != uo.empty_score  # 4 rows fit 3 weights + intercept
    uc = pv.ModelUtility(Xr, yr, Xrv, yrv, model="ols", empty_score=0.0)  # pyDVL's default score
    assert uc(np.array([0])) == 0.0


def test_multiclass_logistic_runs_through_sklearn(rng):
    X = rng.normal(size=(90, 3))
    y = np.argmax(X @ rng.normal(size=(3, 3)), axis=1)
    u = pv.ModelUtility(X[:60], y[:60], X[60:], y[60:], model="logistic")
    assert not u.engine
    assert u(np.arange(60)) > u.empty_score == pytest.approx(-np.log(3))


def test_bad_input_names_the_argument(rng):
    X, y, Xv, yv = _classification(rng)
    with pytest.raises(ValueError, match="X_val"):
        pv.ModelUtility(X, y, Xv[:, :2], yv)
    with pytest.raises(ValueError, match="y must"):
        pv.ModelUtility(X, y[:-1], Xv, yv)
    with pytest.raises(ValueError, match="model"):
        pv.ModelUtility(X, y, Xv, yv, model="svm")
    with pytest.raises(TypeError, match="model"):
        pv.ModelUtility(X, y, Xv, yv, model=3)
    with pytest.raises(ValueError, match="metric"):
        pv.ModelUtility(X, y, Xv, yv, metric="r2")
    with pytest.raises(ValueError, match="l2"):
        pv.ModelUtility(X, y, Xv, yv, l2=-1.0)
    with pytest.raises(ValueError, match="y_val lacks"):
        pv.ModelUtility(X, y, Xv, np.zeros_like(yv))
    with pytest.raises(ValueError, match="NaN"):
        pv.ModelUtility(np.where(X > 2, np.nan, X), y, Xv, yv)
    u = pv.ModelUtility(X, y, Xv, yv)
    with pytest.raises(ValueError, match="indices"):
        u(np.array([0, len(X)]))
    with pytest.raises(TypeError, match="indices"):
        u(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match="targets"):
        u.evaluate([np.arange(3)], np.array([4, 5]))
