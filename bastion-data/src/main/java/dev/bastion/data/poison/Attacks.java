package dev.bastion.data.poison;

import dev.bastion.data.Numbers;
import dev.bastion.data.Table;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded poisoning attacks on a table, for the benchmark: each returns the attacked table and which
 * of its rows are poisoned. Cells are rewritten as text, so the attacked table goes through the
 * same reading and encoding as real data.
 */
public final class Attacks {
  private Attacks() {}

  /**
   * An attacked table.
   *
   * @param table the rows after the attack
   * @param poisoned which rows the attack wrote or changed
   */
  public record Poisoned(Table table, boolean[] poisoned) {
    public int count() {
      int c = 0;
      for (boolean p : poisoned) {
        c += p ? 1 : 0;
      }
      return c;
    }
  }

  /**
   * A backdoor trigger: these columns set to these values.
   *
   * @param columns the trigger's columns (table indexes)
   * @param values the values written
   * @param target the attacker's label
   */
  public record Trigger(int[] columns, String[] values, String target) {}

  static int count(double rate, int n) {
    return (int) Math.max(1, Math.round(rate * n));
  }

  private static int[] sample(int n, int m, SplittableRandom rnd) {
    int[] all = new int[n];
    Arrays.setAll(all, i -> i);
    Signals.shuffle(all, rnd);
    int[] out = Arrays.copyOf(all, Math.min(m, n));
    Arrays.sort(out);
    return out;
  }

  private static List<List<String>> cells(Table t) {
    List<List<String>> out = new ArrayList<>();
    t.rows().forEach(r -> out.add(new ArrayList<>(r.cells())));
    return out;
  }

  private static Table table(Table t, List<List<String>> cells) {
    List<Table.Row> rows = new ArrayList<>();
    for (int i = 0; i < cells.size(); i++) {
      rows.add(new Table.Row(i + 2, cells.get(i)));
    }
    return new Table(t.source(), t.columns(), rows);
  }

  private static String otherClass(String y, List<String> classes, SplittableRandom rnd) {
    List<String> others = new ArrayList<>(classes);
    others.remove(y);
    return others.get(rnd.nextInt(others.size()));
  }

  /** Flips the labels of a random {@code rate} of the rows to another class. */
  public static Poisoned randomFlips(Table t, String label, List<String> classes, double rate,
      long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int li = t.indexOf(label);
    List<List<String>> cells = cells(t);
    boolean[] p = new boolean[cells.size()];
    for (int i : sample(cells.size(), count(rate, cells.size()), rnd)) {
      cells.get(i).set(li, otherClass(cells.get(i).get(li), classes, rnd));
      p[i] = true;
    }
    return new Poisoned(table(t, cells), p);
  }

  /**
   * Flips the labels in one region of feature space: a random anchor row of the largest class,
   * and the {@code rate} of all rows nearest to it among that class (encoded distance) get another
   * class, so the flips are each other's neighbours.
   */
  public static Poisoned targetedFlips(Table t, Encoded clean, String label, double rate,
      long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int n = clean.rows();
    int[] size = new int[clean.classes().size()];
    for (int y : clean.y()) {
      size[y]++;
    }
    int big = 0;
    for (int c = 1; c < size.length; c++) {
      if (size[c] > size[big]) {
        big = c;
      }
    }
    List<Integer> members = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      if (clean.y()[i] == big) {
        members.add(i);
      }
    }
    int anchor = members.get(rnd.nextInt(members.size()));
    double[] a = clean.x()[anchor];
    members.sort(Comparator.comparingDouble((Integer i) -> Signals.distance(a, clean.x()[i]))
        .thenComparingInt(i -> i));
    int m = Math.min(count(rate, n), members.size());
    int li = t.indexOf(label);
    List<List<String>> cells = cells(t);
    boolean[] p = new boolean[n];
    for (int i : members.subList(0, m)) {
      cells.get(i).set(li, otherClass(cells.get(i).get(li), clean.classes(), rnd));
      p[i] = true;
    }
    return new Poisoned(table(t, cells), p);
  }

  /**
   * Appends copies of {@code rate} of the rows, chosen at random: half exact copies, half near
   * copies with one numeric cell moved by {@code 0.005} of its column's robust spread.
   */
  public static Poisoned duplicates(Table t, Encoder enc, double rate, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<List<String>> cells = cells(t);
    int n = cells.size();
    List<Integer> numeric = numericColumns(t, enc);
    int[] picked = sample(n, count(rate, n), rnd);
    for (int k = 0; k < picked.length; k++) {
      List<String> copy = new ArrayList<>(cells.get(picked[k]));
      if (k % 2 == 1 && !numeric.isEmpty()) {
        int fc = numeric.get(rnd.nextInt(numeric.size()));
        int ti = t.indexOf(enc.columns().get(fc));
        var v = Numbers.parseDecimal(copy.get(ti));
        if (v.isPresent()) {
          copy.set(ti, plain(v.getAsDouble() + 0.005 * enc.scale(fc)));
        }
      }
      cells.add(copy);
    }
    boolean[] p = new boolean[cells.size()];
    Arrays.fill(p, n, p.length, true);
    return new Poisoned(table(t, cells), p);
  }

  /**
   * Shifts {@code columns} numeric columns (chosen at random) by {@code sigmas} robust spreads on
   * a random {@code rate} of the rows.
   */
  public static Poisoned featureShift(Table t, Encoder enc, double rate, int columns,
      double sigmas, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<List<String>> cells = cells(t);
    List<Integer> numeric = numericColumns(t, enc);
    int[] cols = pick(numeric, columns, rnd);
    boolean[] p = new boolean[cells.size()];
    for (int i : sample(cells.size(), count(rate, cells.size()), rnd)) {
      for (int fc : cols) {
        int ti = t.indexOf(enc.columns().get(fc));
        var v = Numbers.parseDecimal(cells.get(i).get(ti));
        double base = v.isPresent() ? v.getAsDouble() : enc.center(fc);
        cells.get(i).set(ti, plain(base + sigmas * enc.scale(fc)));
      }
      p[i] = true;
    }
    return new Poisoned(table(t, cells), p);
  }

  /**
   * A trigger for {@link #backdoor}, as an attacker would pick it: the rarest class is the target,
   * and the trigger sets the {@code columns} numeric columns that a logistic regression trained on
   * the clean data weighs least (so the trigger does not already mean the target) to their largest
   * value plus two robust spreads (when the column holds integers, the next integer at least that
   * far above, and never a value the column already holds).
   */
  public static Trigger trigger(Table t, Encoder enc, Encoded clean, int columns) {
    int[] size = new int[clean.classes().size()];
    for (int y : clean.y()) {
      size[y]++;
    }
    int rare = 0;
    for (int c = 1; c < size.length; c++) {
      if (size[c] < size[rare]) {
        rare = c;
      }
    }
    LogisticRegression m = LogisticRegression.fit(clean.x(), clean.y(), clean.classes().size(),
        null, Signals.L2, Signals.STEPS);
    int target = rare;
    List<Integer> numeric = numericColumns(t, enc);
    double[] effect = new double[enc.columns().size()];
    for (int j = 0; j < clean.dims(); j++) {
      int fc = clean.dimColumn()[j];
      double others = 0;
      for (int c = 0; c < size.length; c++) {
        others += c == target ? 0 : m.weight(c, j) / (size.length - 1);
      }
      effect[fc] += Math.abs(m.weight(target, j) - others);
    }
    numeric.sort(Comparator.comparingDouble((Integer fc) -> effect[fc]).thenComparingInt(fc -> fc));
    List<Integer> fcs = numeric.subList(0, Math.min(columns, numeric.size()));
    int[] tcols = new int[fcs.size()];
    String[] values = new String[fcs.size()];
    for (int k = 0; k < fcs.size(); k++) {
      int fc = fcs.get(k);
      int ti = t.indexOf(enc.columns().get(fc));
      double max = Double.NEGATIVE_INFINITY;
      boolean integers = true;
      for (Table.Row r : t.rows()) {
        var v = Numbers.parseDecimal(r.cells().get(ti));
        if (v.isPresent()) {
          max = Math.max(max, v.getAsDouble());
          integers &= v.getAsDouble() == Math.rint(v.getAsDouble());
        }
      }
      double value = max + 2 * enc.scale(fc);
      tcols[k] = ti;
      values[k] =
          integers ? Long.toString(Math.max(Math.round(value), (long) max + 1)) : plain(value);
    }
    return new Trigger(tcols, values, clean.classes().get(target));
  }

  /** Writes {@code trigger} into row {@code cells}. */
  public static void apply(Trigger trigger, List<String> cells) {
    for (int k = 0; k < trigger.columns().length; k++) {
      cells.set(trigger.columns()[k], trigger.values()[k]);
    }
  }

  /**
   * A backdoor: {@code rate} of the rows, taken from classes other than the target, get the
   * trigger and the target label.
   */
  public static Poisoned backdoor(Table t, String label, Trigger trigger, double rate, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    int li = t.indexOf(label);
    List<List<String>> cells = cells(t);
    List<Integer> others = new ArrayList<>();
    for (int i = 0; i < cells.size(); i++) {
      if (!cells.get(i).get(li).equals(trigger.target())) {
        others.add(i);
      }
    }
    boolean[] p = new boolean[cells.size()];
    int[] picked = sample(others.size(), count(rate, cells.size()), rnd);
    for (int k : picked) {
      int i = others.get(k);
      apply(trigger, cells.get(i));
      cells.get(i).set(li, trigger.target());
      p[i] = true;
    }
    return new Poisoned(table(t, cells), p);
  }

  private static List<Integer> numericColumns(Table t, Encoder enc) {
    List<Integer> out = new ArrayList<>();
    for (int c = 0; c < enc.columns().size(); c++) {
      if (enc.numeric(c)) {
        out.add(c);
      }
    }
    return out;
  }

  private static int[] pick(List<Integer> from, int m, SplittableRandom rnd) {
    int[] idx = sample(from.size(), m, rnd);
    return Arrays.stream(idx).map(from::get).toArray();
  }

  /** A decimal without exponent, as data files write numbers. */
  static String plain(double v) {
    return new BigDecimal(v).round(new java.math.MathContext(10)).stripTrailingZeros()
        .toPlainString();
  }
}
