package dev.bastion.data.poison;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Text;
import dev.bastion.data.ArffReader;
import dev.bastion.data.Numbers;
import dev.bastion.data.Table;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Fitted on one table, encodes it (or another with the same columns): numeric columns are robustly
 * standardised, {@code (x - median) / (IQR / 1.349)} (about one standard deviation per unit on
 * normal data), clipped to ±{@value #CLIP} so one wild value does not dominate every distance, with
 * a missing value at the median; categorical columns are one-hot over their {@value
 * #MAX_CATEGORIES} most frequent values (the rest and missing values are all zeros). A column is
 * numeric when its declared ARFF kind says so or, without a declaration, when every non-empty cell
 * is a number.
 */
public final class Encoder {
  /** Bound on a standardised value. */
  public static final double CLIP = 10;

  /** One-hot dimensions per categorical column, at most. */
  public static final int MAX_CATEGORIES = 64;

  private final String label;
  private final List<String> columns;
  private final boolean[] numeric;
  private final double[] center;
  private final double[] scale;
  private final List<Map<String, Integer>> categories;
  private final int[] offset;
  private final int[] dimColumn;
  private final List<String> classes;

  private Encoder(
      String label, List<String> columns, boolean[] numeric, double[] center, double[] scale,
      List<Map<String, Integer>> categories, List<String> classes) {
    this.label = label;
    this.columns = List.copyOf(columns);
    this.numeric = numeric;
    this.center = center;
    this.scale = scale;
    this.categories = categories;
    this.classes = List.copyOf(classes);
    offset = new int[columns.size()];
    List<Integer> dims = new ArrayList<>();
    for (int c = 0; c < columns.size(); c++) {
      offset[c] = dims.size();
      int width = numeric[c] ? 1 : categories.get(c).size();
      for (int i = 0; i < width; i++) {
        dims.add(c);
      }
    }
    dimColumn = dims.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Fits the encoding on {@code table}.
   *
   * @param label the label column
   * @param kinds declared kinds by column (from an ARFF header), or empty to infer
   * @param ignore columns that are neither features nor the label (a source column, an id)
   * @throws BadInputException if the label column is missing or there is no feature column
   */
  public static Encoder fit(
      Table table, String label, Map<String, ArffReader.Kind> kinds, Set<String> ignore)
      throws BadInputException {
    int li = table.indexOf(label);
    if (li < 0) {
      throw new BadInputException(
          table.source() + ": no label column '" + label + "' (columns: "
              + String.join(", ", table.columns()) + ")");
    }
    for (String c : ignore) {
      if (table.indexOf(c) < 0) {
        throw new BadInputException(table.source() + ": no column '" + c + "'");
      }
    }
    List<String> columns = new ArrayList<>();
    for (String c : table.columns()) {
      if (!c.equals(label) && !ignore.contains(c)) {
        columns.add(c);
      }
    }
    if (columns.isEmpty()) {
      throw new BadInputException(table.source() + ": no feature column besides the label");
    }
    int n = table.rows().size();
    boolean[] numeric = new boolean[columns.size()];
    double[] center = new double[columns.size()];
    double[] scale = new double[columns.size()];
    List<Map<String, Integer>> categories = new ArrayList<>();
    for (int c = 0; c < columns.size(); c++) {
      int ti = table.indexOf(columns.get(c));
      ArffReader.Kind kind = kinds.get(columns.get(c));
      double[] v = new double[n];
      int m = 0;
      boolean allNumbers = true;
      for (Table.Row r : table.rows()) {
        String s = r.cells().get(ti);
        if (s.isEmpty()) {
          continue;
        }
        var d = Numbers.parseDecimal(s);
        if (d.isEmpty()) {
          allNumbers = false;
          break;
        }
        v[m++] = d.getAsDouble();
      }
      numeric[c] = kind == null ? allNumbers && m > 0 : kind == ArffReader.Kind.NUMERIC;
      Map<String, Integer> cats = new LinkedHashMap<>();
      if (numeric[c]) {
        double[] sorted = Arrays.copyOf(v, m);
        Arrays.sort(sorted);
        center[c] = m == 0 ? 0 : quantile(sorted, 0.5);
        double spread = m == 0 ? 0 : (quantile(sorted, 0.75) - quantile(sorted, 0.25)) / 1.349;
        if (!(spread > 0)) {
          spread = m == 0 ? 0 : meanAbsDeviation(sorted, center[c]) * 1.2533;
        }
        scale[c] = spread > 0 ? spread : 1;
      } else {
        Map<String, Integer> counts = new HashMap<>();
        for (Table.Row r : table.rows()) {
          String s = r.cells().get(ti);
          if (!s.isEmpty()) {
            counts.merge(s, 1, Integer::sum);
          }
        }
        counts.entrySet().stream()
            .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()
                .thenComparing(Map.Entry.comparingByKey()))
            .limit(MAX_CATEGORIES)
            .map(Map.Entry::getKey)
            .sorted()
            .forEach(k -> cats.put(k, cats.size()));
      }
      categories.add(cats);
    }
    TreeSet<String> classSet = new TreeSet<>();
    for (Table.Row r : table.rows()) {
      String y = r.cells().get(li);
      if (!y.isEmpty()) {
        classSet.add(y);
      }
    }
    if (table.rows().isEmpty()) {
      throw new BadInputException(table.source() + ": no data rows, only a header");
    }
    if (classSet.size() < 2) {
      throw new BadInputException(
          table.source() + ": label column '" + label + "' has " + classSet.size()
              + (classSet.size() == 1 ? " class" : " classes") + "; at least two are needed");
    }
    return new Encoder(
        label, columns, numeric, center, scale, categories, new ArrayList<>(classSet));
  }

  private static double quantile(double[] sorted, double q) {
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, sorted.length - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }

  private static double meanAbsDeviation(double[] v, double center) {
    double s = 0;
    for (double d : v) {
      s += Math.abs(d - center);
    }
    return s / v.length;
  }

  public List<String> classes() {
    return classes;
  }

  public List<String> columns() {
    return columns;
  }

  /** Whether feature column {@code c} is numeric. */
  public boolean numeric(int c) {
    return numeric[c];
  }

  /** The median and robust spread of numeric feature column {@code c}. */
  public double center(int c) {
    return center[c];
  }

  public double scale(int c) {
    return scale[c];
  }

  /**
   * Encodes {@code table}, which has the fitted columns.
   *
   * @throws BadInputException if a column is missing, a label is missing or unknown, or a numeric
   *     cell is not a number
   */
  public Encoded encode(Table table) throws BadInputException {
    int li = table.indexOf(label);
    int[] ti = new int[columns.size()];
    for (int c = 0; c < columns.size(); c++) {
      ti[c] = table.indexOf(columns.get(c));
      if (ti[c] < 0 || li < 0) {
        throw new BadInputException(
            table.source() + ": no column '" + (li < 0 ? label : columns.get(c)) + "'");
      }
    }
    int n = table.rows().size();
    double[][] x = new double[n][dimColumn.length];
    int[] y = new int[n];
    String[][] cells = new String[n][columns.size()];
    for (int i = 0; i < n; i++) {
      Table.Row r = table.rows().get(i);
      String yv = r.cells().get(li);
      y[i] = classes.indexOf(yv);
      if (y[i] < 0) {
        throw new BadInputException(
            table.source() + ": row " + (i + 1) + " (line " + r.line() + "): label "
                + (yv.isEmpty() ? "is missing" : "'" + Text.clip(yv) + "' is unknown"));
      }
      for (int c = 0; c < columns.size(); c++) {
        String s = r.cells().get(ti[c]);
        cells[i][c] = s;
        if (numeric[c]) {
          double v = 0;
          if (!s.isEmpty()) {
            var d = Numbers.parseDecimal(s);
            if (d.isEmpty()) {
              throw new BadInputException(
                  table.source() + ": row " + (i + 1) + " (line " + r.line() + "), column '"
                      + columns.get(c) + "': '" + Text.clip(s) + "' is not a number");
            }
            v = Math.max(-CLIP, Math.min(CLIP, (d.getAsDouble() - center[c]) / scale[c]));
          }
          x[i][offset[c]] = v;
        } else {
          Integer k = categories.get(c).get(s);
          if (k != null) {
            x[i][offset[c] + k] = 1;
          }
        }
      }
    }
    return new Encoded(x, y, classes, columns, dimColumn.clone(), cells);
  }
}
