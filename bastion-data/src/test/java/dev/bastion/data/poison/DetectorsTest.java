package dev.bastion.data.poison;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.bastion.data.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each detector on small synthetic data where the poisoned rows are known. */
class DetectorsTest {
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void cleanDataGivesFewFlags(long seed) throws Exception {
    Scan.Result r = Synthetic.scan(Synthetic.clusters(100, 4, seed));
    assertThat(Synthetic.count(r.flagged("knn-label"))).isZero();
    assertThat(Synthetic.count(r.flagged("confident-learning"))).isZero();
    assertThat(Synthetic.count(r.flagged("region-holdout"))).isZero();
    assertThat(Synthetic.count(r.flagged("duplicate"))).isZero();
    assertThat(Synthetic.count(r.flagged("trigger"))).isZero();
    assertThat(Synthetic.count(r.flagged("outlier"))).isLessThanOrEqualTo(4);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void flippedLabelsInATightClusterAreFlagged(long seed) throws Exception {
    List<List<String>> rows = Synthetic.clusters(100, 4, seed);
    int[] flipped = {3, 50, 51, 120, 199};
    for (int i : flipped) {
      rows.get(i).set(rows.get(i).size() - 1, rows.get(i).getLast().equals("a") ? "b" : "a");
    }
    Scan.Result r = Synthetic.scan(rows);
    for (String d : List.of("knn-label", "confident-learning")) {
      boolean[] f = r.flagged(d);
      for (int i : flipped) {
        assertThat(f[i]).as(d + " row " + i).isTrue();
      }
      assertThat(Synthetic.count(f)).as(d).isEqualTo(flipped.length);
    }
    assertThat(r.suspects()).anySatisfy(s -> {
      assertThat(s.row()).isEqualTo(3);
      assertThat(s.detector()).isEqualTo("knn-label");
    });
  }

  /**
   * Labels by quadrant (the sign of x0 * x1), which no linear model represents: the baseline
   * cannot tell flips from clean rows, the forest half of confident-learning can.
   */
  @ParameterizedTest
  @ValueSource(longs = {4, 5})
  void flipsOnANonLinearBoundaryAreRankedAboveTheBaseline(long seed) throws Exception {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<List<String>> rows = new ArrayList<>();
    boolean[] flipped = new boolean[400];
    for (int i = 0; i < 400; i++) {
      double a = 2 * rnd.nextDouble() - 1;
      double b = 2 * rnd.nextDouble() - 1;
      boolean pos = a * b > 0;
      flipped[i] = i % 20 == 7;
      rows.add(new ArrayList<>(List.of(String.format(Locale.ROOT, "%.4f", a),
          String.format(Locale.ROOT, "%.4f", b), "red", pos != flipped[i] ? "b" : "a")));
    }
    Table t = Synthetic.table(rows);
    Encoded e = Encoder.fit(t, "label", Map.of(), Set.of()).encode(t);
    Scan.Result r = Scan.run(
        e, List.of(new Detectors.ConfidentLearning(), Detectors.baseline()), Scan.Options.DEFAULT);
    double cl = Metrics.auroc(r.scores().get("confident-learning"), flipped);
    double base = Metrics.auroc(r.scores().get("lr-baseline"), flipped);
    assertThat(cl).isGreaterThan(0.9);
    assertThat(base).isLessThan(0.7);
    assertThat(Synthetic.count(r.flagged("confident-learning"))).isLessThan(60);
  }

  /**
   * A targeted flip: ten separate blobs of 20 rows, labelled by the sign of x0; every row of one
   * blob gets the other label. The flipped rows are each other's neighbours, so the kNN vote
   * takes them for a consistent cluster; the region hold-out model never sees the blob while it
   * scores it, and the other regions say it belongs to class a.
   */
  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3})
  void aFlippedRegionIsFoundByTheRegionHoldout(long seed) throws Exception {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<List<String>> rows = new ArrayList<>();
    boolean[] flipped = new boolean[200];
    for (int i = 0; i < 200; i++) {
      int blob = i / 20;
      double x0 = (blob % 5) * 4 - 9 + 0.5 * Synthetic.gaussian(rnd);
      double x1 = (blob / 5) * 8 - 4 + 0.5 * Synthetic.gaussian(rnd);
      flipped[i] = blob == 0;
      rows.add(new ArrayList<>(List.of(String.format(Locale.ROOT, "%.4f", x0),
          String.format(Locale.ROOT, "%.4f", x1), "red", (x0 > 0) != flipped[i] ? "b" : "a")));
    }
    Scan.Result r = Synthetic.scan(rows);
    boolean[] f = r.flagged("region-holdout");
    int caught = 0;
    for (int i = 0; i < f.length; i++) {
      caught += f[i] && flipped[i] ? 1 : 0;
    }
    assertThat(caught).isGreaterThanOrEqualTo(18);
    double region = Metrics.auroc(r.scores().get("region-holdout"), flipped);
    assertThat(region).isGreaterThan(0.85);
    assertThat(region).isGreaterThan(Metrics.auroc(r.scores().get("knn-label"), flipped) + 0.2);
  }


  /**
   * The region score's smoothing: each row's score is averaged with its k nearest rows of the same
   * label only (a nearer row of the other label is not among them), itself counted once; a label
   * with fewer other rows than k averages what there is.
   */
  @Test
  void sameLabelMeanAveragesOverTheNearestRowsOfTheSameLabel() throws Exception {
    List<List<String>> rows = new ArrayList<>();
    double[] at = {0, 1, 2, 3, 0.4, 10, 11};
    String[] label = {"a", "a", "a", "a", "b", "b", "b"};
    for (int i = 0; i < at.length; i++) {
      rows.add(new ArrayList<>(List.of(Double.toString(at[i]), "0", "red", label[i])));
    }
    Table t = Synthetic.table(rows);
    Encoded e = Encoder.fit(t, "label", Map.of(), Set.of()).encode(t);
    Signals s = new Signals(e, new Scan.Options(5, 5, 1, 5000));
    double[] scores = {0.9, 0.1, 0.2, 0.6, 0.3, 0.5, 0.7};
    double[] m = s.sameLabelMean(scores, 2);
    assertThat(m[0]).isCloseTo((0.9 + 0.1 + 0.2) / 3, within(1e-12)); // not 0.3 (b) at 0.4
    assertThat(m[3]).isCloseTo((0.6 + 0.2 + 0.1) / 3, within(1e-12));
    assertThat(m[4]).isCloseTo((0.3 + 0.5 + 0.7) / 3, within(1e-12));
    assertThat(s.sameLabelMean(scores, 5)[5]).isCloseTo((0.5 + 0.3 + 0.7) / 3, within(1e-12));
  }

  /**
   * Every row gets a held-out model, even one far from every anchor (added as an anchor of its
   * own), the same for the same seed; with fewer reference rows than outside a ball, the models
   * train on a sample and still cover every row.
   */
  @ParameterizedTest
  @ValueSource(ints = {20_000, 50})
  void everyRowIsHeldOutInSomeBall(int maxReference) throws Exception {
    List<List<String>> rows = Synthetic.clusters(60, 3, 5);
    rows.add(new ArrayList<>(List.of("900", "900", "900", "red", "a")));
    Table t = Synthetic.table(rows);
    Encoded e = Encoder.fit(t, "label", Map.of(), Set.of()).encode(t);
    Scan.Options o = new Scan.Options(10, 5, 3, maxReference);
    double[][] p = new Signals(e, o).regionOutOfFold();
    assertThat(p).hasNumberOfRows(rows.size());
    assertThat(List.of(p)).doesNotContainNull();
    assertThat(new Signals(e, o).regionOutOfFold()).isEqualTo(p);
    assertThat(new Signals(e, new Scan.Options(10, 5, 4, maxReference)).regionOutOfFold())
        .isNotEqualTo(p);
  }

  /**
   * More identical rows than a ball holds: each anchor is still in its own ball, so every row is
   * held out somewhere (found in review: rows past the cut in every ball were left without
   * probabilities and the detector failed).
   */
  @ParameterizedTest
  @ValueSource(ints = {3, 20, 61})
  void identicalRowsAreEachHeldOut(int n) throws Exception {
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(new ArrayList<>(List.of(i == n - 1 ? "1" : Integer.toString(i % 2 * (n > 3 ? 1 : 0)),
          "0", "red", i % 3 == 0 ? "a" : "b")));
    }
    Table t = Synthetic.table(rows);
    Encoded e = Encoder.fit(t, "label", Map.of(), Set.of()).encode(t);
    Signals s = new Signals(e, new Scan.Options(5, 5, 7, 5000));
    assertThat(List.of(s.regionOutOfFold())).doesNotContainNull();
    for (double x : new Detectors.RegionHoldout().scores(s)) {
      assertThat(x).isBetween(0.0, 1.0);
    }
  }

  @Test
  void exactAndNearDuplicatesAreFlaggedButNotTheirOriginals() throws Exception {
    List<List<String>> rows = Synthetic.clusters(50, 3, 7);
    rows.add(new ArrayList<>(rows.get(10)));
    List<String> near = new ArrayList<>(rows.get(20));
    near.set(0, Double.toString(Double.parseDouble(near.get(0)) + 0.001));
    rows.add(near);
    List<String> relabelled = new ArrayList<>(rows.get(30));
    relabelled.set(relabelled.size() - 1, "b".equals(relabelled.getLast()) ? "a" : "b");
    rows.add(relabelled);
    Scan.Result r = Synthetic.scan(rows);
    boolean[] f = r.flagged("duplicate");
    assertThat(f[100]).isTrue();
    assertThat(f[101]).isTrue();
    assertThat(f[102]).isTrue();
    assertThat(r.scores().get("duplicate")[100]).isEqualTo(1.0);
    List<Integer> flagged = new ArrayList<>();
    for (int i = 0; i < f.length; i++) {
      if (f[i]) {
        flagged.add(i);
      }
    }
    assertThat(flagged).containsExactly(100, 101, 102);
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2})
  void aPlantedTriggerIsFlagged(long seed) throws Exception {
    List<List<String>> rows = Synthetic.clusters(100, 4, seed);
    List<Integer> planted = new ArrayList<>();
    // Six rows of class a get x3 = 9.5 (beyond every clean value) and the label b.
    for (int i = 0; planted.size() < 6; i += 2) {
      rows.get(i).set(3, "9.5");
      rows.get(i).set(rows.get(i).size() - 1, "b");
      planted.add(i);
    }
    Scan.Result r = Synthetic.scan(rows);
    boolean[] f = r.flagged("trigger");
    for (int i : planted) {
      assertThat(f[i]).as("row " + i).isTrue();
    }
    assertThat(Synthetic.count(f)).isEqualTo(planted.size());
  }

  @Test
  void anOutlierIsFlagged() throws Exception {
    List<List<String>> rows = Synthetic.clusters(100, 4, 5);
    rows.get(7).set(1, "40");
    rows.get(7).set(2, "-30");
    Scan.Result r = Synthetic.scan(rows);
    assertThat(r.flagged("outlier")[7]).isTrue();
    assertThat(r.scores().get("outlier")[7])
        .isEqualTo(java.util.Arrays.stream(r.scores().get("outlier")).max().orElseThrow());
  }

  @Test
  void aRowBreakingACorrelationIsAnOutlierThoughEachValueIsInRange() throws Exception {
    // x1 follows x0 closely; row 9 has both values inside their ranges but far off the line.
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(4);
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      double x0 = Synthetic.gaussian(rnd);
      double x1 = x0 + 0.1 * Synthetic.gaussian(rnd);
      rows.add(new ArrayList<>(List.of(Double.toString(x0), Double.toString(x1),
          Double.toString(Synthetic.gaussian(rnd)), "red", i % 2 == 0 ? "a" : "b")));
    }
    rows.get(9).set(0, "1.5");
    rows.get(9).set(1, "-1.5");
    Scan.Result r = Synthetic.scan(rows);
    boolean[] f = r.flagged("outlier");
    assertThat(f[9]).isTrue();
    assertThat(Synthetic.count(f)).isLessThanOrEqualTo(3);
  }

  @Test
  void sameInputSameScores() throws Exception {
    List<List<String>> rows = Synthetic.clusters(60, 3, 11);
    rows.get(5).set(rows.get(5).size() - 1, "b");
    Scan.Result a = Synthetic.scan(rows);
    Scan.Result b = Synthetic.scan(rows);
    assertThat(a.suspects()).isEqualTo(b.suspects());
    for (String d : a.scores().keySet()) {
      assertThat(a.scores().get(d)).containsExactly(b.scores().get(d));
    }
  }

  @Test
  void samplingKeepsTheFlipsFoundOnLargerData() throws Exception {
    List<List<String>> rows = Synthetic.clusters(300, 4, 3);
    int[] flipped = {1, 100, 301, 555};
    for (int i : flipped) {
      rows.get(i).set(rows.get(i).size() - 1, rows.get(i).getLast().equals("a") ? "b" : "a");
    }
    var t = Synthetic.table(rows);
    Encoded e = Encoder.fit(t, "label", java.util.Map.of(), java.util.Set.of()).encode(t);
    Scan.Result r = Scan.run(e, List.of(new Detectors.KnnLabel()), new Scan.Options(10, 5, 1, 100));
    boolean[] f = r.flagged("knn-label");
    for (int i : flipped) {
      assertThat(f[i]).as("row " + i).isTrue();
    }
  }
}
