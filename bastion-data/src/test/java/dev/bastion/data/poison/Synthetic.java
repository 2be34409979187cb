package dev.bastion.data.poison;

import dev.bastion.data.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Small seeded data sets where the answer is known. */
final class Synthetic {
  private Synthetic() {}

  /**
   * Two tight Gaussian clusters in {@code dims} dimensions, one per class ("a" around -3, "b"
   * around +3), {@code perClass} rows each, plus a categorical column "colour" with three values
   * unrelated to the class.
   */
  static List<List<String>> clusters(int perClass, int dims, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<List<String>> rows = new ArrayList<>();
    for (int i = 0; i < 2 * perClass; i++) {
      boolean b = i % 2 == 1;
      List<String> cells = new ArrayList<>();
      for (int d = 0; d < dims; d++) {
        double v = (b ? 3 : -3) + gaussian(rnd);
        cells.add(String.format(Locale.ROOT, "%.4f", v));
      }
      cells.add(List.of("red", "green", "blue").get(rnd.nextInt(3)));
      cells.add(b ? "b" : "a");
      rows.add(cells);
    }
    return rows;
  }

  static double gaussian(SplittableRandom rnd) {
    double u = rnd.nextDouble();
    double v = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }

  static Table table(List<List<String>> rows) {
    int dims = rows.get(0).size() - 2;
    List<String> columns = new ArrayList<>();
    for (int d = 0; d < dims; d++) {
      columns.add("x" + d);
    }
    columns.add("colour");
    columns.add("label");
    List<Table.Row> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      out.add(new Table.Row(i + 2, rows.get(i)));
    }
    return new Table("synthetic.csv", columns, out);
  }

  static Scan.Result scan(List<List<String>> rows) throws Exception {
    Table t = table(rows);
    Encoded e = Encoder.fit(t, "label", Map.of(), Set.of()).encode(t);
    return Scan.run(e, Detectors.defaults(), Scan.Options.DEFAULT);
  }

  static int count(boolean[] b) {
    int c = 0;
    for (boolean x : b) {
      c += x ? 1 : 0;
    }
    return c;
  }
}
