#include <Eigen/LU>

#include "glm_detail.hpp"

namespace pointvalue::glm::detail {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// ---------------------------------------------------------------------------------------------
// Quantile regression: Frisch–Newton interior point (Portnoy & Koenker 1997, Koenker's lp_fnm) on
// the dual LP  max yᵀa  s.t. X̃ᵀa = (1−τ)X̃ᵀ1, 0 ≤ a ≤ 1, with row weights folded into the rows
// (w ρ_τ(r) = ρ_τ(w r)), then a crossover to the optimal vertex.

double step_bound(const VectorXd& x, const VectorXd& dx) {
  double b = kInf;
  for (idx i = 0; i < x.size(); ++i)
    if (dx[i] < 0) b = std::min(b, -x[i] / dx[i]);
  return b;
}

template <class Map>
bool quantile_vertex(const Map& X, const double* y, const double* w, const Options& opt,
                     const VectorXd& theta, double b, VectorXd& vtheta, double& vb, bool& optimal) {
  const idx n = X.rows(), d = X.cols();
  const bool icpt = opt.fit_intercept;
  const idx p = d + (icpt ? 1 : 0);
  optimal = false;
  if (n < p) return false;
  // Candidates: the rows with the smallest weighted |residual|.
  std::vector<double> ar(n);
  std::vector<idx> order;
  order.reserve(n);
  for (idx i = 0; i < n; ++i) {
    const double wi = w ? w[i] : 1.0;
    if (wi > 0) {
      ar[i] = std::abs(wi * (y[i] - X.row(i).template cast<double>().dot(theta) - b));
      order.push_back(i);
    }
  }
  if (idx(order.size()) < p) return false;
  const idx ncand = std::min<idx>(idx(order.size()), 4 * p + 8);
  std::nth_element(order.begin(), order.begin() + (ncand - 1), order.end(),
                   [&](idx a, idx c) { return ar[a] < ar[c]; });
  order.resize(ncand);
  std::sort(order.begin(), order.end(), [&](idx a, idx c) { return ar[a] < ar[c]; });
  auto xt = [&](idx i) {
    VectorXd v(p);
    v.head(d) = X.row(i).transpose().template cast<double>();
    if (icpt) v[d] = 1.0;
    return v;
  };
  // Column scales so the independence test is unit-free.
  VectorXd cs = VectorXd::Zero(p);
  for (idx i : order) cs = cs.cwiseMax(xt(i).cwiseAbs());
  for (idx j = 0; j < p; ++j) cs[j] = cs[j] > 0 ? 1.0 / cs[j] : 1.0;
  // Greedy selection by Gram–Schmidt.
  std::vector<idx> basis;
  MatrixXd Qb(p, p);
  for (idx i : order) {
    if (idx(basis.size()) == p) break;
    VectorXd v = cs.cwiseProduct(xt(i));
    const double nv = v.norm();
    for (int rep = 0; rep < 2; ++rep)
      for (idx k = 0; k < idx(basis.size()); ++k) v -= Qb.col(k).dot(v) * Qb.col(k);
    if (v.norm() > 1e-8 * nv) {
      Qb.col(idx(basis.size())) = v / v.norm();
      basis.push_back(i);
    }
  }
  if (idx(basis.size()) < p) return false;
  MatrixXd Xh(p, p);
  VectorXd yh(p);
  for (idx k = 0; k < p; ++k) {
    Xh.row(k) = xt(basis[k]).transpose();
    yh[k] = y[basis[k]];
  }
  Eigen::PartialPivLU<MatrixXd> lu(Xh);
  const VectorXd beta = lu.solve(yh);
  if (!beta.allFinite()) return false;
  vtheta = beta.head(d);
  vb = icpt ? beta[d] : 0.0;
  // Optimality (Koenker 2005, Thm 2.1): ξ solving Σ_h w_i ξ_i x̃_i = −Σ_{i∉h} w_i ψ_τ(r_i) x̃_i
  // must lie in [τ−1, τ].
  std::vector<char> inb(n, 0);
  for (idx i : basis) inb[i] = 1;
  const RowPartition part = super_blocks(n);
  std::vector<VectorXd> partial(part.parts, VectorXd::Zero(p));
  const double tau = opt.tau;
  ParallelErrors errors;
#if defined(PV_HAVE_OPENMP)
#pragma omp parallel for schedule(dynamic, 1) if (go_parallel(X.rows(), X.cols()))
#endif
  for (idx q = 0; q < part.parts; ++q) errors.run([&] {
    VectorXd acc = VectorXd::Zero(p);
    for (idx i = part.begin(q); i < part.end(q); ++i) {
      if (inb[i]) continue;
      const double wi = w ? w[i] : 1.0;
      if (wi == 0) continue;
      const double r = y[i] - X.row(i).template cast<double>().dot(vtheta) - vb;
      const double psi = r > 0 ? tau : (r < 0 ? tau - 1.0 : 0.0);
      acc.head(d) += (wi * psi) * X.row(i).transpose().template cast<double>();
      if (icpt) acc[d] += wi * psi;
    }
    partial[q] = acc;
  });
  errors.rethrow();
  VectorXd g = VectorXd::Zero(p);
  for (const auto& v : partial) g += v;
  VectorXd wh(p);
  for (idx k = 0; k < p; ++k) wh[k] = w ? w[basis[k]] : 1.0;
  const VectorXd xi = Xh.transpose().partialPivLu().solve(-g).cwiseQuotient(wh);
  const double slack = 1e-9;
  optimal = xi.allFinite() && (xi.array() >= tau - 1.0 - slack).all() &&
            (xi.array() <= tau + slack).all();
  return true;
}

template <class T>
Fit fit_quantile(const MatrixView<T>& X, const double* y, const double* w,
                       const Options& opt) {
  const idx n = X.rows, d = X.cols;
  const bool icpt = opt.fit_intercept;
  const double tau = opt.tau;
  Fit res;
  res.rank = d;
  // Row weights folded into the design: Ã column i = w_i x̃_i, c_i = −w_i y_i.
  VectorXd wv = w ? VectorXd(Eigen::Map<const VectorXd>(w, n)) : VectorXd::Ones(n);
  VectorXd c = -(wv.array() * Eigen::Map<const VectorXd>(y, n).array()).matrix();
  const VectorXd u = VectorXd::Ones(n);
  VectorXd x = VectorXd::Constant(n, 1.0 - tau);
  VectorXd s = u - x;
  VectorXd cvec;
  const VectorXd* shift = nullptr;
  if (icpt) {  // shifted coordinates, as in fit_irls
    cvec = moments(X, nullptr, nullptr, true, GramKind::None).mean;
    shift = &cvec;
  }
  // b = Ã x (constant): Σ w_i (1−τ) x̃_i.
  VectorXd tmp = wv * (1.0 - tau);
  Moments mb = moments(X, nullptr, tmp.data(), false, GramKind::None, shift);
  const VectorXd bvec_x = mb.gx;
  const double bvec_1 = mb.gsum;
  // Initial dual point: weighted least squares of c on Ã.
  VectorXd D = wv.cwiseAbs2();
  VectorXd v = wv.cwiseProduct(c);
  AugSystem sys;
  Moments m = moments(X, D.data(), v.data(), icpt, GramKind::Full, shift);
  if (!sys.factor(m, 0.0, icpt)) {
    res.status = Status::Singular;
    res.coef = VectorXd::Zero(d);
    return res;
  }
  VectorXd yd;  // dual variable (θ part), yd_b (intercept part)
  double yd_b;
  sys.solve(m.gx, m.gsum, yd, yd_b);
  std::vector<double> eta(n);
  auto At_y = [&](const VectorXd& yy, double yb, VectorXd& out) {  // out = Ãᵀ yy
    eta_pass(X, yy, icpt ? yb : 0.0, eta.data(), shift);
    out = wv.cwiseProduct(Eigen::Map<const VectorXd>(eta.data(), n));
  };
  VectorXd Aty(n);
  At_y(yd, yd_b, Aty);
  VectorXd r = c - Aty;
  for (idx i = 0; i < n; ++i)
    if (r[i] == 0) r[i] = 0.001;
  VectorXd z = r.cwiseMax(0.0);
  VectorXd wd = z - r;
  auto dual_obj = [&]() { return yd.dot(bvec_x) + (icpt ? yd_b * bvec_1 : 0.0); };
  double gap = c.dot(x) - dual_obj() + wd.dot(u);
  const double beta_step = 0.99995;
  int it = 0;
  VectorXd q(n), dx(n), ds(n), dz(n), dw(n), rhs_v(n), xi(n), dxdz(n), dsdw(n), xinv(n), sinv(n);
  for (; it < opt.max_iter; ++it) {
    const double scale = std::max(1.0, std::abs(c.dot(x)));
    if (gap <= opt.tol * scale) break;
    q = (z.cwiseQuotient(x) + wd.cwiseQuotient(s)).cwiseInverse();
    r = z - wd;
    // Normal equations (Ã Q Ãᵀ) dy = Ã Q r.
    D = q.cwiseProduct(wv.cwiseAbs2());
    rhs_v = wv.cwiseProduct(q.cwiseProduct(r));
    m = moments(X, D.data(), rhs_v.data(), icpt, GramKind::Full, shift);
    if (!sys.factor(m, 0.0, icpt)) break;  // numerically degenerate: stop with the last point
    VectorXd dy, dyb_v;
    double dyb;
    sys.solve(m.gx, m.gsum, dy, dyb);
    At_y(dy, dyb, Aty);
    dx = q.cwiseProduct(Aty - r);
    ds = -dx;
    dz = -z.cwiseProduct((VectorXd::Ones(n) + dx.cwiseQuotient(x)));
    dw = -wd.cwiseProduct((VectorXd::Ones(n) + ds.cwiseQuotient(s)));
    double fp = std::min(beta_step * std::min(step_bound(x, dx), step_bound(s, ds)), 1.0);
    double fd = std::min(beta_step * std::min(step_bound(wd, dw), step_bound(z, dz)), 1.0);
    if (std::min(fp, fd) < 1.0) {
      double mu = z.dot(x) + wd.dot(s);
      const double g = (z + fd * dz).dot(x + fp * dx) + (wd + fd * dw).dot(s + fp * ds);
      mu = mu * std::pow(g / mu, 3) / (2.0 * double(n));
      dxdz = dx.cwiseProduct(dz);
      dsdw = ds.cwiseProduct(dw);
      xinv = x.cwiseInverse();
      sinv = s.cwiseInverse();
      xi = mu * (xinv - sinv);
      VectorXd corr = wv.cwiseProduct(q.cwiseProduct(dxdz - dsdw - xi));
      Moments mc = moments(X, nullptr, corr.data(), false, GramKind::None, shift);
      sys.solve(m.gx + mc.gx, m.gsum + mc.gsum, dy, dyb);
      At_y(dy, dyb, Aty);
      dx = q.cwiseProduct(Aty + xi - r - dxdz + dsdw);
      ds = -dx;
      dz = mu * xinv - z - xinv.cwiseProduct(z).cwiseProduct(dx) - dxdz;
      dw = mu * sinv - wd - sinv.cwiseProduct(wd).cwiseProduct(ds) - dsdw;
      fp = std::min(beta_step * std::min(step_bound(x, dx), step_bound(s, ds)), 1.0);
      fd = std::min(beta_step * std::min(step_bound(wd, dw), step_bound(z, dz)), 1.0);
    }
    x += fp * dx;
    s += fp * ds;
    yd += fd * dy;
    yd_b += fd * dyb;
    wd += fd * dw;
    z += fd * dz;
    gap = c.dot(x) - dual_obj() + wd.dot(u);
  }
  VectorXd theta = -yd;
  double b = icpt ? -yd_b - cvec.dot(theta) : 0.0;
  res.n_iter = it;
  const double f_ip = loss_sum(X, y, w, theta, b, Model::Quantile, tau);
  const double scale = std::max(1.0, std::abs(f_ip));
  res.converged = gap <= std::max(opt.tol, 1e-8) * scale;
  // Crossover: the vertex through the rows with the smallest residuals.
  VectorXd vt;
  double vb = 0;
  bool optimal = false;
  const bool found = visit_matrix(X, [&](const auto& map) {
    return quantile_vertex(map, y, w, opt, theta, b, vt, vb, optimal);
  });
  if (found) {
    const double f_v = loss_sum(X, y, w, vt, vb, Model::Quantile, tau);
    if (optimal || f_v <= f_ip) {
      theta = vt;
      b = vb;
      if (optimal) res.converged = true;
    }
  }
  res.coef = theta;
  res.intercept = b;
  res.objective = loss_sum(X, y, w, theta, b, Model::Quantile, tau);
  res.status = res.converged ? Status::Ok : Status::MaxIter;
  return res;
}

template Fit fit_quantile(const MatrixView<double>&, const double*, const double*, const Options&);
template Fit fit_quantile(const MatrixView<float>&, const double*, const double*, const Options&);

}  // namespace pointvalue::glm::detail
