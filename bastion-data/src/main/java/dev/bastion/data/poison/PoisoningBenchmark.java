package dev.bastion.data.poison;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.data.ArffReader;
import dev.bastion.data.Numbers;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import dev.bastion.data.Validator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * The poisoning evaluation behind {@code bastion bench poisoning}: seeded attacks on real data sets,
 * scanned with the default detectors and the baseline, scored against the known poisoned rows.
 * Thresholds are the detectors' defaults; nothing is tuned on the poisoned rows.
 */
public final class PoisoningBenchmark {
  private PoisoningBenchmark() {}

  /**
   * A data set to attack.
   *
   * @param name its short name
   * @param table its rows
   * @param kinds declared column kinds (ARFF), or empty
   * @param label its label column
   */
  public record DataSet(String name, Table table, Map<String, ArffReader.Kind> kinds,
      String label) {}

  /**
   * Detection of one attack: per detector, TPR and FPR at its default threshold, and AUROC.
   *
   * @param dataset the data set
   * @param attack the attack
   * @param rows rows after the attack
   * @param poisoned poisoned rows
   * @param rates per detector (and "any", and the baseline): {tpr, fpr, auroc}
   */
  public record Detection(String dataset, String attack, int rows, int poisoned,
      Map<String, double[]> rates) {}

  /**
   * A backdoor's success on held-out triggered inputs of other classes, for a logistic
   * regression trained on the poisoned training part with no filter, with the rows the scan flags
   * removed, and with exactly the poisoned rows removed. Each of {@code splits} draws has its own
   * 70/30 split and poisoned rows, and the rates are means over the draws: one draw's gap between
   * the data filter and the perfect one moves by 0.02-0.05 (a few held-out inputs change sides),
   * as much as the target allows, so it is given with a 95% confidence interval over the draws.
   * The columns that need every detector (the label ones train forests and regions) are averaged
   * over the first {@code fullSplits} draws only.
   *
   * @param dataset the data set
   * @param rate the share of training rows poisoned
   * @param splits draws averaged
   * @param fullSplits the first draws also scanned with every detector
   * @param noFilter attack success without filtering
   * @param scanFilter attack success after removing every row the scan flags (first {@code
   *     fullSplits} draws)
   * @param dataFilter attack success after removing the rows the data detectors flag (outlier,
   *     duplicate, trigger), keeping the label-noise flags for review
   * @param perfectFilter attack success after removing exactly the poisoned rows
   * @param scanGap {@code scanFilter - perfectFilter}, both on the first {@code fullSplits} draws
   * @param dataGapHalfWidth half-width of the 95% confidence interval (Student t over the draws)
   *     of the mean of {@code dataFilter - perfectFilter}, NaN for one draw
   * @param removed rows the scan removed, of {@code trainRows} (mean of the first {@code
   *     fullSplits} draws)
   * @param cleanDataRemoved clean rows the data detectors removed (mean over the draws)
   * @param trainRows rows of the training part
   * @param poisonedDataRemoved poisoned rows the data detectors removed, of {@code poisoned},
   *     over all draws
   * @param poisoned poisoned rows in the training parts, over all draws
   */
  public record Backdoor(String dataset, double rate, int splits, int fullSplits, double noFilter,
      double scanFilter, double dataFilter, double perfectFilter, double scanGap,
      double dataGapHalfWidth, double removed, double cleanDataRemoved, int trainRows,
      int poisonedDataRemoved, int poisoned) {}

  /**
   * Schema and volume faults on resampled batches, checked by {@link Validator} against a schema
   * inferred from the clean data set.
   *
   * @param dataset the data set
   * @param cleanBatches clean batches checked
   * @param falseAlarms clean batches refused
   * @param caught per fault: batches refused, of {@code cleanBatches}
   */
  public record Batches(String dataset, int cleanBatches, int falseAlarms,
      Map<String, Integer> caught) {}

  /**
   * Everything measured.
   *
   * @param detections one per data set and attack
   * @param backdoors one per data set and rate
   * @param batches one per data set
   */
  public record Report(List<Detection> detections, List<Backdoor> backdoors,
      List<Batches> batches) {}

  /** Detectors in the report, in column order; "any" is the scan's union. */
  public static final List<String> COLUMNS =
      List.of("knn-label", "confident-learning", "region-holdout", "outlier", "duplicate",
          "trigger", "any", "lr-baseline");

  /** The detectors that look at the data rather than at the labels. */
  public static final List<String> DATA_DETECTORS = List.of("outlier", "duplicate", "trigger");

  /**
   * Runs everything on {@code sets} with {@code seed}; label flips are drawn {@code repeats} times
   * (with derived seeds) and their rates averaged; each backdoor rate is measured on {@code
   * splits} seeded 70/30 splits, the first {@code repeats} of them also with every detector. The
   * draws run on {@code threads} threads; each has its own seed and the results are combined in
   * draw order, so the report is the same whatever the thread count.
   */
  public static Report run(List<DataSet> sets, long seed, int repeats, int splits, int threads,
      Scan.Options options) throws BadInputException {
    if (threads < 1) {
      throw new IllegalArgumentException("threads " + threads + ": expected at least 1");
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads,
        Thread.ofPlatform().daemon().name("bastion-poisoning-", 0).factory());
    try {
      return run(sets, seed, repeats, splits, pool, options);
    } finally {
      pool.shutdownNow();
    }
  }

  private static Report run(List<DataSet> sets, long seed, int repeats, int splits,
      ExecutorService pool, Scan.Options options) throws BadInputException {
    List<Detection> detections = new ArrayList<>();
    List<Backdoor> backdoors = new ArrayList<>();
    List<Batches> batches = new ArrayList<>();
    for (DataSet ds : sets) {
      Encoder enc = Encoder.fit(ds.table(), ds.label(), ds.kinds(), Set.of());
      Encoded clean = enc.encode(ds.table());
      long s = seed * 1_000_003L + ds.name().hashCode();
      detections.add(detect(ds, "none (clean)",
          new Attacks.Poisoned(ds.table(), new boolean[clean.rows()]), options));
      // Label flips are repeated over several seeds and averaged: one draw moves AUROC by about
      // 0.01-0.02, more than the differences between detectors.
      for (double rate : new double[] {0.05, 0.10}) {
        for (boolean targeted : new boolean[] {false, true}) {
          List<Detection> runs = draws(pool, repeats, rep -> {
            long rs = s + 100L * rep + (targeted ? 2 : 1);
            Attacks.Poisoned p = targeted
                ? Attacks.targetedFlips(ds.table(), clean, ds.label(), rate, rs)
                : Attacks.randomFlips(ds.table(), ds.label(), clean.classes(), rate, rs);
            return detect(ds, "", p, options);
          });
          detections.add(mean(ds.name(), String.format(Locale.ROOT, "%s flips %.0f%%%s",
              targeted ? "targeted" : "random", rate * 100,
              repeats > 1 ? " (mean of " + repeats + ")" : ""), runs));
        }
      }
      Map<String, Attacks.Poisoned> attacks = new LinkedHashMap<>();
      attacks.put("duplicates 5%", Attacks.duplicates(ds.table(), enc, 0.05, s + 3));
      attacks.put("feature shift 5%", Attacks.featureShift(ds.table(), enc, 0.05, 3, 4, s + 4));
      Attacks.Trigger trigger = Attacks.trigger(ds.table(), enc, clean, 2);
      for (double rate : new double[] {0.01, 0.03}) {
        attacks.put(String.format(Locale.ROOT, "backdoor %.0f%%", rate * 100),
            Attacks.backdoor(ds.table(), ds.label(), trigger, rate, s + 6));
      }
      List<String> names = List.copyOf(attacks.keySet());
      detections.addAll(draws(pool, names.size(),
          k -> detect(ds, names.get(k), attacks.get(names.get(k)), options)));
      for (double rate : new double[] {0.01, 0.03}) {
        backdoors.add(backdoor(ds, trigger, rate, s, splits, Math.min(repeats, splits), pool,
            options));
      }
      batches.add(batches(ds, s + 8));
    }
    return new Report(detections, backdoors, batches);
  }

  /** One seeded draw of an evaluation. */
  private interface Draw<T> {
    T run(int rep) throws BadInputException;
  }

  /**
   * Runs draws {@code 0} to {@code n - 1} on {@code pool} and returns their results in draw order.
   */
  private static <T> List<T> draws(ExecutorService pool, int n, Draw<T> draw)
      throws BadInputException {
    List<Future<T>> futures = new ArrayList<>(n);
    for (int rep = 0; rep < n; rep++) {
      int r = rep;
      futures.add(pool.submit(() -> draw.run(r)));
    }
    List<T> out = new ArrayList<>(n);
    try {
      for (Future<T> f : futures) {
        out.add(f.get());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the draws ran", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof BadInputException b) {
        throw b;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error r) {
        throw r;
      }
      throw new IllegalStateException(cause);
    } finally {
      for (Future<T> f : futures) {
        f.cancel(true);
      }
    }
    return out;
  }

  private static Detection detect(DataSet ds, String attack, Attacks.Poisoned p,
      Scan.Options options) throws BadInputException {
    Encoder enc = Encoder.fit(p.table(), ds.label(), ds.kinds(), Set.of());
    Encoded data = enc.encode(p.table());
    List<Detector> detectors = new ArrayList<>(Detectors.defaults());
    Scan.Result r = Scan.run(data, detectors, options);
    Scan.Result b = Scan.run(data, List.of(Detectors.baseline()), options);
    Map<String, double[]> rates = new LinkedHashMap<>();
    for (String d : r.scores().keySet()) {
      rates.put(d, rates(r.flagged(d), r.scores().get(d), p.poisoned()));
    }
    rates.put("any", rates(r.flaggedByAny(), r.combined(), p.poisoned()));
    String base = Detectors.baseline().name();
    rates.put(base, rates(b.flagged(base), b.scores().get(base), p.poisoned()));
    return new Detection(ds.name(), attack, data.rows(), p.count(), rates);
  }

  private static Detection mean(String dataset, String attack, List<Detection> runs) {
    Map<String, double[]> rates = new LinkedHashMap<>();
    for (String d : runs.get(0).rates().keySet()) {
      double[] m = new double[3];
      for (Detection r : runs) {
        for (int k = 0; k < 3; k++) {
          m[k] += r.rates().get(d)[k] / runs.size();
        }
      }
      rates.put(d, m);
    }
    return new Detection(dataset, attack, runs.get(0).rows(), runs.get(0).poisoned(), rates);
  }

  private static double[] rates(boolean[] flagged, double[] scores, boolean[] poisoned) {
    return new double[] {
      Metrics.tpr(flagged, poisoned), Metrics.fpr(flagged, poisoned),
      Metrics.auroc(scores, poisoned)
    };
  }

  private static Backdoor backdoor(DataSet ds, Attacks.Trigger trigger, double rate, long s,
      int splits, int fullSplits, ExecutorService pool, Scan.Options options)
      throws BadInputException {
    double[] sum = new double[6];
    double[] gaps = new double[splits];
    double scanGap = 0;
    int trainRows = 0;
    int poisonedRemoved = 0;
    int poisoned = 0;
    // The first draw is the single split measured before the draws were repeated.
    List<Split> all = draws(pool, splits,
        rep -> backdoorSplit(ds, trigger, rate, s + 100L * rep + 7, rep < fullSplits, options));
    for (int rep = 0; rep < splits; rep++) {
      Split one = all.get(rep);
      for (int k = 0; k < sum.length; k++) {
        sum[k] += rep < fullSplits || !FULL_ONLY[k] ? one.rates()[k] : 0;
      }
      gaps[rep] = one.rates()[2] - one.rates()[3];
      scanGap += rep < fullSplits ? (one.rates()[1] - one.rates()[3]) / fullSplits : 0;
      trainRows = one.trainRows();
      poisonedRemoved += one.poisonedDataRemoved();
      poisoned += one.poisoned();
    }
    double[] mean = new double[sum.length];
    for (int k = 0; k < sum.length; k++) {
      mean[k] = sum[k] / (FULL_ONLY[k] ? fullSplits : splits);
    }
    return new Backdoor(ds.name(), rate, splits, fullSplits, mean[0], mean[1], mean[2], mean[3],
        scanGap, Metrics.meanHalfWidth95(gaps), mean[4], mean[5], trainRows, poisonedRemoved,
        poisoned);
  }

  /** Which of a {@link Split}'s rates need every detector. */
  private static final boolean[] FULL_ONLY = {false, true, false, false, true, false};

  /**
   * One backdoor draw: rates {no filter, scan filter, data filter, perfect filter, rows the scan
   * removed, clean rows the data detectors removed}; the second and fifth are NaN unless every
   * detector ran.
   */
  private record Split(double[] rates, int trainRows, int poisonedDataRemoved, int poisoned) {}

  private static Split backdoorSplit(DataSet ds, Attacks.Trigger trigger, double rate, long seed,
      boolean everyDetector, Scan.Options options) throws BadInputException {
    SplittableRandom rnd = new SplittableRandom(seed);
    int n = ds.table().rows().size();
    int[] order = new int[n];
    Arrays.setAll(order, i -> i);
    Signals.shuffle(order, rnd);
    int trainSize = (int) Math.round(0.7 * n);
    List<Table.Row> train = new ArrayList<>();
    List<Table.Row> test = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      (k < trainSize ? train : test).add(ds.table().rows().get(order[k]));
    }
    Table trainTable = new Table(ds.table().source(), ds.table().columns(), train);
    Attacks.Poisoned p = Attacks.backdoor(trainTable, ds.label(), trigger, rate, seed + 1);
    Encoder enc = Encoder.fit(p.table(), ds.label(), ds.kinds(), Set.of());
    Encoded data = enc.encode(p.table());
    List<Detector> detectors = Detectors.defaults();
    if (!everyDetector) {
      detectors = detectors.stream().filter(d -> DATA_DETECTORS.contains(d.name())).toList();
    }
    Scan.Result scan = Scan.run(data, detectors, options);
    boolean[] flagged = scan.flaggedByAny();
    boolean[] keepData = new boolean[data.rows()];
    Arrays.fill(keepData, true);
    for (String d : DATA_DETECTORS) {
      boolean[] f = scan.flagged(d);
      for (int i = 0; i < f.length; i++) {
        keepData[i] &= !f[i];
      }
    }
    int li = ds.table().indexOf(ds.label());
    List<Table.Row> triggered = new ArrayList<>();
    for (Table.Row r : test) {
      if (!r.cells().get(li).equals(trigger.target())) {
        List<String> cells = new ArrayList<>(r.cells());
        Attacks.apply(trigger, cells);
        triggered.add(new Table.Row(r.line(), cells));
      }
    }
    Encoded probe =
        enc.encode(new Table(ds.table().source(), ds.table().columns(), triggered));
    int target = data.classes().indexOf(trigger.target());
    boolean[] keepScan = new boolean[data.rows()];
    boolean[] keepPerfect = new boolean[data.rows()];
    int removed = 0;
    int cleanDataRemoved = 0;
    int poisonedRemoved = 0;
    for (int i = 0; i < data.rows(); i++) {
      keepScan[i] = !flagged[i];
      keepPerfect[i] = !p.poisoned()[i];
      removed += flagged[i] ? 1 : 0;
      cleanDataRemoved += !keepData[i] && !p.poisoned()[i] ? 1 : 0;
      poisonedRemoved += !keepData[i] && p.poisoned()[i] ? 1 : 0;
    }
    double[] rates = {
      success(data, null, probe, target),
      everyDetector ? success(data, keepScan, probe, target) : Double.NaN,
      success(data, keepData, probe, target), success(data, keepPerfect, probe, target),
      everyDetector ? removed : Double.NaN, cleanDataRemoved
    };
    return new Split(rates, data.rows(), poisonedRemoved, p.count());
  }

  private static double success(Encoded data, boolean[] keep, Encoded probe, int target) {
    LogisticRegression m = LogisticRegression.fit(data.x(), data.y(), data.classes().size(), keep,
        Signals.L2, Signals.STEPS);
    int hit = 0;
    for (double[] x : probe.x()) {
      hit += m.classify(x) == target ? 1 : 0;
    }
    return probe.rows() == 0 ? Double.NaN : (double) hit / probe.rows();
  }

  /**
   * A schema for {@code ds} as an operator would write it from the clean data: each column's type,
   * its categories, its observed range widened by a tenth on each side; and a batch of the data
   * set's size accepted from half to twice that many rows.
   */
  public static Schema inferSchema(DataSet ds) {
    Table t = ds.table();
    List<Schema.Column> cols = new ArrayList<>();
    for (int c = 0; c < t.columns().size(); c++) {
      String name = t.columns().get(c);
      boolean numeric = !name.equals(ds.label());
      boolean integer = true;
      double min = Double.POSITIVE_INFINITY;
      double max = Double.NEGATIVE_INFINITY;
      Set<String> values = new LinkedHashSet<>();
      for (Table.Row r : t.rows()) {
        String v = r.cells().get(c);
        values.add(v);
        var d = Numbers.parseDecimal(v);
        if (d.isEmpty()) {
          numeric = false;
        } else {
          min = Math.min(min, d.getAsDouble());
          max = Math.max(max, d.getAsDouble());
          integer &= Numbers.parseInteger(v).isPresent();
        }
      }
      if (numeric) {
        double margin = (max - min) / 10;
        cols.add(new Schema.Column(name, integer ? Schema.Type.INTEGER : Schema.Type.NUMBER,
            Set.of(), min - margin, max + margin));
      } else {
        cols.add(new Schema.Column(name, Schema.Type.CATEGORICAL, values,
            Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY));
      }
    }
    long n = t.rows().size();
    return new Schema(ds.name(), ds.label(), n / 2, 2 * n, cols,
        Digest.of(("inferred:" + ds.name()).getBytes(StandardCharsets.UTF_8)));
  }

  /** The faults injected into clean batches, by name. */
  static Map<String, Function<Table, Table>> faults(DataSet ds, Schema schema,
      SplittableRandom rnd) {
    Map<String, Function<Table, Table>> f = new LinkedHashMap<>();
    int numeric = -1;
    int categorical = -1;
    for (int c = 0; c < schema.columns().size(); c++) {
      if (schema.columns().get(c).numeric() && numeric < 0) {
        numeric = c;
      }
      if (!schema.columns().get(c).numeric() && categorical < 0) {
        categorical = c;
      }
    }
    int num = numeric;
    int cat = categorical;
    Schema.Column nc = schema.columns().get(num);
    f.put("column dropped", t -> dropColumn(t, t.columns().size() - 2));
    f.put("column added", t -> addColumn(t));
    f.put("unknown category", t -> setCell(t, rnd.nextInt(t.rows().size()), cat, "UNSEEN"));
    f.put("text in a number", t -> setCell(t, rnd.nextInt(t.rows().size()), num, "n/a"));
    f.put("out of range", t -> setCell(t, rnd.nextInt(t.rows().size()), num,
        Attacks.plain(nc.max() + 10 * (nc.max() - nc.min() + 1))));
    f.put("missing value", t -> setCell(t, rnd.nextInt(t.rows().size()), num, ""));
    f.put("truncated batch (10%)", t -> resample(t, t.rows().size() / 10, rnd));
    f.put("inflated batch (3x)", t -> resample(t, t.rows().size() * 3, rnd));
    return f;
  }

  private static Batches batches(DataSet ds, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Schema schema = inferSchema(ds);
    Map<String, Function<Table, Table>> faults = faults(ds, schema, rnd);
    Map<String, Integer> caught = new LinkedHashMap<>();
    faults.keySet().forEach(k -> caught.put(k, 0));
    int alarms = 0;
    int batches = 30;
    for (int b = 0; b < batches; b++) {
      Table clean = resample(ds.table(), ds.table().rows().size(), rnd);
      if (!Validator.validate(clean, schema).ok()) {
        alarms++;
      }
      for (var e : faults.entrySet()) {
        if (!Validator.validate(e.getValue().apply(clean), schema).ok()) {
          caught.merge(e.getKey(), 1, Integer::sum);
        }
      }
    }
    return new Batches(ds.name(), batches, alarms, caught);
  }

  static Table resample(Table t, int size, SplittableRandom rnd) {
    List<Table.Row> rows = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      Table.Row r = t.rows().get(rnd.nextInt(t.rows().size()));
      rows.add(new Table.Row(i + 2, r.cells()));
    }
    return new Table(t.source(), t.columns(), rows);
  }

  private static Table setCell(Table t, int row, int col, String value) {
    List<Table.Row> rows = new ArrayList<>(t.rows());
    List<String> cells = new ArrayList<>(rows.get(row).cells());
    cells.set(col, value);
    rows.set(row, new Table.Row(rows.get(row).line(), cells));
    return new Table(t.source(), t.columns(), rows);
  }

  private static Table dropColumn(Table t, int col) {
    List<String> columns = new ArrayList<>(t.columns());
    columns.remove(col);
    List<Table.Row> rows = new ArrayList<>();
    for (Table.Row r : t.rows()) {
      List<String> cells = new ArrayList<>(r.cells());
      cells.remove(col);
      rows.add(new Table.Row(r.line(), cells));
    }
    return new Table(t.source(), columns, rows);
  }

  private static Table addColumn(Table t) {
    List<String> columns = new ArrayList<>(t.columns());
    columns.add("extra");
    List<Table.Row> rows = new ArrayList<>();
    for (Table.Row r : t.rows()) {
      List<String> cells = new ArrayList<>(r.cells());
      cells.add("0");
      rows.add(new Table.Row(r.line(), cells));
    }
    return new Table(t.source(), columns, rows);
  }

  /** The report as Markdown tables. */
  public static String markdown(Report r) {
    StringBuilder sb = new StringBuilder();
    sb.append("Detection: TPR / FPR at each detector's default threshold / AUROC"
        + " (\"any\": flagged by any default detector; lr-baseline: out-of-fold logistic"
        + " regression disagreement).\n\n");
    sb.append("| data set | attack | rows | poisoned |");
    COLUMNS.forEach(c -> sb.append(' ').append(c).append(" |"));
    sb.append("\n|---|---|---|---|");
    COLUMNS.forEach(c -> sb.append("---|"));
    sb.append('\n');
    for (Detection d : r.detections()) {
      sb.append("| ").append(d.dataset()).append(" | ").append(d.attack()).append(" | ")
          .append(d.rows()).append(" | ").append(d.poisoned()).append(" |");
      for (String c : COLUMNS) {
        double[] v = d.rates().get(c);
        sb.append(' ').append(d.poisoned() == 0
            ? f(v[1]) + " FPR"
            : f(v[0]) + " / " + f(v[1]) + " / " + String.format(Locale.ROOT, "%.3f", v[2]))
            .append(" |");
      }
      sb.append('\n');
    }
    sb.append("\nBackdoor: attack success (held-out inputs of other classes with the trigger,"
        + " classified as the attacker's label by a logistic regression trained on the"
        + " training part), mean over seeded 70/30 splits; the data gap with its 95% confidence"
        + " interval over the splits. \"All flags\" needs every detector and is measured on the"
        + " first splits only (in brackets); its gap is against the perfect filter on"
        + " those.\n\n");
    sb.append("| data set | poisoned | splits (all flags) | no filter | all flags removed |"
        + " data flags removed | perfect filter | gap (all) | gap (data), 95% CI |"
        + " rows removed (all flags) | clean rows removed (data flags) |"
        + " poisoned rows removed (data flags, all splits) |"
        + "\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Backdoor b : r.backdoors()) {
      double gap = b.dataFilter() - b.perfectFilter();
      sb.append(String.format(Locale.ROOT,
          "| %s | %.0f%% | %d (%d) | %s | %s | %s | %s | %s | %s | %.1f of %d | %.1f"
              + " | %d of %d |%n",
          b.dataset(), b.rate() * 100, b.splits(), b.fullSplits(), f3(b.noFilter()),
          f3(b.scanFilter()), f3(b.dataFilter()), f3(b.perfectFilter()),
          f3(b.scanGap()),
          Double.isNaN(b.dataGapHalfWidth()) ? f3(gap)
              : f3(gap) + " [" + f3(gap - b.dataGapHalfWidth()) + ", "
                  + f3(gap + b.dataGapHalfWidth()) + "]",
          b.removed(), b.trainRows(), b.cleanDataRemoved(), b.poisonedDataRemoved(),
          b.poisoned()));
    }
    sb.append("\nSchema and volume faults (Validator, schema inferred from the clean data):"
        + " batches refused.\n\n| data set | clean batches refused |");
    List<String> faults = r.batches().isEmpty() ? List.of()
        : new ArrayList<>(r.batches().get(0).caught().keySet());
    faults.forEach(k -> sb.append(' ').append(k).append(" |"));
    sb.append("\n|---|---|");
    faults.forEach(k -> sb.append("---|"));
    sb.append('\n');
    for (Batches b : r.batches()) {
      sb.append("| ").append(b.dataset()).append(" | ").append(b.falseAlarms()).append(" of ")
          .append(b.cleanBatches()).append(" |");
      faults.forEach(k -> sb.append(' ').append(b.caught().get(k)).append(" of ")
          .append(b.cleanBatches()).append(" |"));
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String f3(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String f(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }
}
