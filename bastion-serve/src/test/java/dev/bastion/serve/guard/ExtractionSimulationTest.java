package dev.bastion.serve.guard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.serve.guard.Attacks.Oracle;
import dev.bastion.serve.guard.SimulationTargets.Target;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The extraction simulation: on a model trained by the project's trainer on a real data set, 200
 * clients replay real rows (500 queries each) and three extraction attacks, each by its own
 * client and with three seeds, run alongside them through one detector with the default settings.
 * Every attack must be caught within 500 queries and at most 1% of the benign clients may be
 * flagged. Seeded throughout; the numbers printed are those in {@code docs/extraction.md}.
 */
class ExtractionSimulationTest {
  static final int BUDGET = 500;
  static final int BENIGN_CLIENTS = 200;
  static final int ATTACK_SEEDS = 3;

  /**
   * An attack.
   *
   * @param name as reported
   * @param run the client's loop
   * @param required whether the test fails if it is missed (the others are reported only: known
   *     limits, see docs/extraction.md)
   */
  record Attack(String name, BiConsumer<Oracle, Random> run, boolean required) {}

  static final List<Attack> ATTACKS =
      List.of(
          new Attack("uniform (Tramèr)", Attacks::uniform, true),
          new Attack("jacobian λ=0.1 τ=3 (Papernot/PRADA)",
              (o, r) -> Attacks.jacobian(o, r, 10, 0.1, 3), true),
          new Attack("jacobian λ=0.1, no reversal",
              (o, r) -> Attacks.jacobian(o, r, 10, 0.1, Integer.MAX_VALUE), true),
          new Attack("line search to 1e-3 (Tramèr)", (o, r) -> Attacks.lineSearch(o, r, 1e-3), true),
          new Attack("line search to 1e-2", (o, r) -> Attacks.lineSearch(o, r, 1e-2), true),
          new Attack("jacobian λ=0.5, no reversal",
              (o, r) -> Attacks.jacobian(o, r, 10, 0.5, Integer.MAX_VALUE), false));

  @ParameterizedTest
  @ValueSource(strings = {"breast-cancer", "credit-g"})
  void attacksAreCaughtWithin500QueriesAndBenignReplayIsNot(String dataset) throws Exception {
    Target t =
        dataset.equals("breast-cancer")
            ? SimulationTargets.breastCancer()
            : SimulationTargets.creditG();
    // One detector, as in one gateway; a fake clock of one query per second per client keeps
    // the volume signal quiet, so the statistical signals are what is measured.
    long[] clock = {0};
    ExtractionDetector detector =
        new ExtractionDetector(t.vectors().dimension(), t.vectors().numericDimension(),
            ExtractionDetector.Settings.DEFAULT, () -> clock[0]);

    List<String> problems = new ArrayList<>();
    StringBuilder report = new StringBuilder();
    int flagged = 0;
    double[] minW = new double[BENIGN_CLIENTS];
    double[] maxLogSd = new double[BENIGN_CLIENTS];
    double[] maxSpread = new double[BENIGN_CLIENTS];
    List<Oracle> benign = new ArrayList<>();
    for (int c = 0; c < BENIGN_CLIENTS; c++) {
      benign.add(new Oracle(t, detector, "benign-" + c, BUDGET));
    }
    // Interleave the benign clients, a query each in turn, as traffic would.
    List<Random> rnds = new ArrayList<>();
    for (int c = 0; c < BENIGN_CLIENTS; c++) {
      rnds.add(new Random(1000L * dataset.length() + c));
    }
    for (int q = 0; q < BUDGET; q++) {
      clock[0] += 1_000_000_000L;
      for (int c = 0; c < BENIGN_CLIENTS; c++) {
        Oracle o = benign.get(c);
        // a flagged benign client keeps querying: later alarms would not count twice anyway
        o.ask(t.rows().get(rnds.get(c).nextInt(t.rows().size())));
      }
    }
    for (int c = 0; c < BENIGN_CLIENTS; c++) {
      Oracle o = benign.get(c);
      flagged += o.detectedAt > 0 ? 1 : 0;
      minW[c] = o.minW;
      maxLogSd[c] = o.maxLogSd;
      maxSpread[c] = o.maxSpread;
    }
    Arrays.sort(minW);
    Arrays.sort(maxLogSd);
    Arrays.sort(maxSpread);
    report.append(String.format(
        "%s: benign %d/%d flagged; worst benign W %.3f, log-distance sd %.3f, spread %.2f%n",
        dataset, flagged, BENIGN_CLIENTS, minW[0], maxLogSd[BENIGN_CLIENTS - 1],
        maxSpread[BENIGN_CLIENTS - 1]));
    if (flagged > BENIGN_CLIENTS / 100) {
      problems.add(dataset + ": " + flagged + " benign clients flagged");
    }

    for (Attack a : ATTACKS) {
      List<String> at = new ArrayList<>();
      for (int seed = 0; seed < ATTACK_SEEDS; seed++) {
        Oracle o = new Oracle(t, detector, a.name() + "#" + seed, BUDGET);
        a.run().accept(o, new Random(77 + seed));
        if (o.detectedAt < 0) {
          if (a.required()) {
            problems.add(dataset + ": " + a.name() + " seed " + seed + " not detected");
          }
          ExtractionDetector.Verdict v = o.trace.get(o.trace.size() - 1);
          at.add(String.format("missed (min W %.3f, max log sd %.3f, spread %.2f)", o.minW,
              o.maxLogSd, v.spread()));
        } else {
          at.add(o.detectedAt + " " + o.alarmVerdict.reasons());
          assertThat(detector.suspected(o.client)).isTrue();
        }
      }
      report.append(String.format("%s: %s detected at query %s%n", dataset, a.name(), at));
    }
    System.out.print(report);
    assertThat(problems).as(report.toString()).isEmpty();
  }

  static Target target(String dataset) throws Exception {
    return dataset.equals("breast-cancer")
        ? SimulationTargets.breastCancer()
        : SimulationTargets.creditG();
  }

  /** How a uniform attacker pads its queries to look ordinary. */
  enum Padding {
    /** 1000 copies of one median applicant (in batches) first, then uniform queries only. */
    REPEATS_FIRST,
    /** Each uniform query followed by a copy of the median applicant. */
    REPEATS_ONE_TO_ONE,
    /** Each uniform query followed by three copies of the median applicant. */
    REPEATS_ONE_TO_THREE,
    /** 1000 real rows first (the data set's, shuffled, in turn), then uniform queries only. */
    REAL_ROWS_FIRST
  }

  /**
   * Padding does not hide a uniform attacker (QA: coverage was a mean over every query since the
   * client's first, so 1000 copies of one row, or 1000 real rows, first bought 600+ uniform
   * queries unseen). Caught within 500 uniform queries whatever the padding.
   */
  @ParameterizedTest(name = "{0}, {1}")
  @CsvSource({
    "breast-cancer, REPEATS_FIRST", "breast-cancer, REPEATS_ONE_TO_ONE",
    "breast-cancer, REPEATS_ONE_TO_THREE", "breast-cancer, REAL_ROWS_FIRST",
    "credit-g, REPEATS_FIRST", "credit-g, REPEATS_ONE_TO_ONE",
    "credit-g, REPEATS_ONE_TO_THREE", "credit-g, REAL_ROWS_FIRST"
  })
  void aUniformAttackerPaddingItsQueriesIsCaughtWithin500UniformQueries(
      String dataset, Padding padding) throws Exception {
    Target t = target(dataset);
    List<String> caught = new ArrayList<>();
    for (int seed = 0; seed < ATTACK_SEEDS; seed++) {
      long[] clock = {0};
      ExtractionDetector detector =
          new ExtractionDetector(t.vectors().dimension(), t.vectors().numericDimension(),
              ExtractionDetector.Settings.DEFAULT, () -> clock[0]);
      Oracle o = new Oracle(t, detector, "padder", Integer.MAX_VALUE);
      Random rnd = new Random(77 + seed);
      Map<String, String> median = median(t);
      List<Map<String, String>> rows = new ArrayList<>(t.rows());
      java.util.Collections.shuffle(rows, rnd);
      int real = 0;
      if (padding == Padding.REPEATS_FIRST || padding == Padding.REAL_ROWS_FIRST) {
        for (int i = 0; i < 1000 && o.detectedAt < 0; i++) {
          clock[0] += 1_000_000_000L;
          o.ask(padding == Padding.REPEATS_FIRST ? median : rows.get(real++ % rows.size()));
        }
        assertThat(o.detectedAt).as("padding alone raised the alarm").isNegative();
      }
      int uniform = 0;
      while (o.detectedAt < 0 && uniform < BUDGET) {
        clock[0] += 1_000_000_000L;
        o.ask(Attacks.uniformQuery(t, rnd));
        uniform++;
        int copies = switch (padding) {
          case REPEATS_ONE_TO_ONE -> 1;
          case REPEATS_ONE_TO_THREE -> 3;
          default -> 0;
        };
        for (int c = 0; c < copies && o.detectedAt < 0; c++) {
          clock[0] += 1_000_000_000L;
          o.ask(median);
        }
      }
      caught.add(o.detectedAt < 0 ? "missed"
          : uniform + " uniform " + o.alarmVerdict.reasons());
    }
    System.out.printf("%s: uniform padded %s caught after %s%n", dataset, padding, caught);
    assertThat(caught).noneMatch(c -> c.equals("missed"));
  }

  /** Each numeric column at its median, the categories of the first row. */
  static Map<String, String> median(Target t) {
    Map<String, String> out = new LinkedHashMap<>(t.rows().get(0));
    for (String c : t.numeric()) {
      double[] v = t.rows().stream().mapToDouble(r -> Double.parseDouble(r.get(c))).sorted()
          .toArray();
      out.put(c, java.math.BigDecimal.valueOf(v[v.length / 2]).toPlainString());
    }
    return out;
  }

  /**
   * One far value in the schema's range does not suspend a benign client (QA: 40 real rows, one
   * with credit_amount 100000, were suspended for coverage at the 29th query; 1000000 gave a
   * spread of 614).
   */
  @ParameterizedTest
  @ValueSource(strings = {"100000", "1000000"})
  void oneOutlierAmongRealRowsRaisesNoAlarm(String amount) throws Exception {
    Target t = SimulationTargets.creditG();
    long[] clock = {0};
    ExtractionDetector detector =
        new ExtractionDetector(t.vectors().dimension(), t.vectors().numericDimension(),
            ExtractionDetector.Settings.DEFAULT, () -> clock[0]);
    Oracle o = new Oracle(t, detector, "benign", Integer.MAX_VALUE);
    for (int i = 0; i < 40; i++) {
      clock[0] += 1_000_000_000L;
      Map<String, String> row = new LinkedHashMap<>(t.rows().get(i));
      if (i == 5) {
        row.put("credit_amount", amount);
      }
      o.ask(row);
    }
    assertThat(o.detectedAt).as("alarm at %s", o.alarmVerdict).isNegative();
    assertThat(o.maxSpread).isLessThan(ExtractionDetector.Settings.DEFAULT.maxSpread());
  }
}
