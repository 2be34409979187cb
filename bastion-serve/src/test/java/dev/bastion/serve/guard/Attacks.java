package dev.bastion.serve.guard;

import dev.bastion.core.BadInputException;
import dev.bastion.serve.guard.SimulationTargets.Target;
import dev.bastion.train.Classifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Simulated extraction attacks on a served model, and the gateway side they query. */
final class Attacks {
  private Attacks() {}

  /** The gateway's side: answers a client's queries and shows each to the detector. */
  static final class Oracle {
    final Target target;
    final ExtractionDetector detector;
    final String client;
    final int budget;
    int asked;
    int detectedAt = -1;
    ExtractionDetector.Verdict alarmVerdict;
    double minW = Double.NaN;
    double maxLogSd = Double.NaN;
    double maxSpread = Double.NaN;
    final List<ExtractionDetector.Verdict> trace = new ArrayList<>();

    Oracle(Target target, ExtractionDetector detector, String client, int budget) {
      this.target = target;
      this.detector = detector;
      this.client = client;
      this.budget = budget;
    }

    /** Out of budget, or caught: the gateway suspends a client once it is suspected. */
    boolean exhausted() {
      return asked >= budget || detectedAt > 0;
    }

    Classifier.Result ask(Map<String, String> instance) {
      Classifier.Result r = target.predict(instance);
      double[] x;
      try {
        x = target.vectors().encode(instance);
      } catch (BadInputException e) {
        throw new IllegalStateException(e);
      }
      ExtractionDetector.Verdict v = detector.observe(client, x, r.label());
      asked++;
      trace.add(v);
      if (!Double.isNaN(v.w()) && !(v.w() >= minW)) {
        minW = v.w();
      }
      if (!Double.isNaN(v.logDistanceSd()) && !(v.logDistanceSd() <= maxLogSd)) {
        maxLogSd = v.logDistanceSd();
      }
      if (v.queries() >= detector.settings().minDistances() && !(v.spread() <= maxSpread)) {
        maxSpread = v.spread();
      }
      if (v.alarm()) {
        detectedAt = asked;
        alarmVerdict = v;
      }
      return r;
    }
  }

  /**
   * Tramèr et al.: inputs drawn uniformly over each numeric column's observed range, with random
   * categories.
   */
  static void uniform(Oracle o, Random rnd) {
    while (!o.exhausted()) {
      o.ask(uniformQuery(o.target, rnd));
    }
  }

  /** One query of {@link #uniform}. */
  static Map<String, String> uniformQuery(Target t, Random rnd) {
    Map<String, String> q = new LinkedHashMap<>();
    for (int j = 0; j < t.numeric().size(); j++) {
      double v = t.min()[j] + rnd.nextDouble() * (t.max()[j] - t.min()[j]);
      q.put(t.numeric().get(j), java.math.BigDecimal.valueOf(v).toPlainString());
    }
    t.categorical().forEach((c, values) -> q.put(c, values.get(rnd.nextInt(values.size()))));
    return q;
  }

  /**
   * Papernot et al.'s Jacobian-based augmentation, as PRADA's attacks use it: from {@code seeds}
   * real rows, each round adds {@code x + λ·sign(∂score/∂x)} for every point {@code x} so far,
   * with the step's sign reversed every {@code tau} rounds. The gradient is taken by finite
   * differences on a local copy of the model (the attacker's substitute at its best), so only
   * the synthetic points themselves are queried.
   */
  static void jacobian(Oracle o, Random rnd, int seeds, double lambda, int tau) {
    Target t = o.target;
    List<double[]> zs = new ArrayList<>();
    List<Map<String, String>> cats = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < seeds && !o.exhausted(); i++) {
      Map<String, String> row = t.rows().get(rnd.nextInt(t.rows().size()));
      zs.add(t.z(row));
      cats.add(t.categories(row));
      labels.add(o.ask(row).label());
    }
    // The attacker does not pay twice for one point: with a fixed model the gradient at a point
    // never changes, so a round regenerates every earlier child, and those are skipped.
    java.util.Set<String> known = new java.util.HashSet<>();
    List<double[]> signs = new ArrayList<>(); // the gradient at each point, taken once
    for (int i = 0; i < zs.size(); i++) {
      known.add(Arrays.toString(zs.get(i)) + cats.get(i));
    }
    for (int round = 0; !o.exhausted(); round++) {
      double step = (round / tau) % 2 == 0 ? lambda : -lambda;
      int n = zs.size();
      int added = 0;
      for (int i = 0; i < n && !o.exhausted(); i++) {
        double[] z = zs.get(i);
        while (signs.size() <= i) {
          int k = signs.size();
          signs.add(gradient(t, zs.get(k), cats.get(k), labels.get(k)));
        }
        double[] g = signs.get(i);
        double[] next = z.clone();
        for (int j = 0; j < z.length; j++) {
          next[j] += step * Math.signum(g[j]);
        }
        if (!known.add(Arrays.toString(next) + cats.get(i))) {
          continue;
        }
        Map<String, String> q = t.instance(next, cats.get(i));
        zs.add(next);
        cats.add(cats.get(i));
        labels.add(o.ask(q).label());
        added++;
      }
      if (added == 0 && !o.exhausted()) {
        // Run dry (points pinned at the boundary step back and forth): take a fresh seed.
        Map<String, String> row = t.rows().get(rnd.nextInt(t.rows().size()));
        zs.add(t.z(row));
        cats.add(t.categories(row));
        known.add(Arrays.toString(zs.get(zs.size() - 1)) + cats.get(cats.size() - 1));
        labels.add(o.ask(row).label());
      }
    }
  }

  /** Central differences of the predicted class's score in standardised units (not queried). */
  private static double[] gradient(
      Target t, double[] z, Map<String, String> categories, String label) {
    double h = 1e-3;
    double[] g = new double[z.length];
    for (int j = 0; j < z.length; j++) {
      double[] up = z.clone();
      double[] down = z.clone();
      up[j] += h;
      down[j] -= h;
      double su = t.predict(t.instance(up, categories)).scores().get(label);
      double sd = t.predict(t.instance(down, categories)).scores().get(label);
      g[j] = (su - sd) / (2 * h);
    }
    return g;
  }

  /**
   * Tramèr et al.'s line search: take two real rows the model classes differently (the second
   * with the first's categories), then bisect the segment between them until the boundary is
   * pinned to {@code precision} of its length; repeat with new pairs.
   */
  static void lineSearch(Oracle o, Random rnd, double precision) {
    Target t = o.target;
    List<Map<String, String>> rows = t.rows();
    while (!o.exhausted()) {
      Map<String, String> a = rows.get(rnd.nextInt(rows.size()));
      Map<String, String> b = rows.get(rnd.nextInt(rows.size()));
      double[] za = t.z(a);
      double[] zb = t.z(b);
      Map<String, String> cats = t.categories(a);
      String la = o.ask(t.instance(za, cats)).label();
      if (o.exhausted()) {
        return;
      }
      String lb = o.ask(t.instance(zb, cats)).label();
      if (la.equals(lb)) {
        continue;
      }
      double lo = 0;
      double hi = 1;
      while (hi - lo > precision && !o.exhausted()) {
        double mid = (lo + hi) / 2;
        double[] z = new double[za.length];
        for (int j = 0; j < z.length; j++) {
          z[j] = za[j] + mid * (zb[j] - za[j]);
        }
        if (o.ask(t.instance(z, cats)).label().equals(la)) {
          lo = mid;
        } else {
          hi = mid;
        }
      }
    }
  }
}
