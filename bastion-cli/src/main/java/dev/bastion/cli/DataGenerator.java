package dev.bastion.cli;

import dev.bastion.core.BadInputException;
import dev.bastion.data.Numbers;
import dev.bastion.data.Table;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Makes large CSV inputs from a small table by resampling its rows with noise, deterministically
 * (the same table, seed and count give the same bytes). A numeric (all-integer) column gets
 * Gaussian noise of a tenth of its standard deviation, rounded and clamped to the column's
 * observed range; a text cell is replaced, with probability 2%, by the same column's value from
 * another random row. So the output keeps the source's shape and passes a schema fitted to it.
 */
final class DataGenerator {
  private final Table source;
  private final boolean[] numeric;
  private final double[] min;
  private final double[] max;
  private final double[] noise;

  DataGenerator(Table source) throws BadInputException {
    if (source.rows().isEmpty()) {
      throw new BadInputException(source.source() + ": no rows to resample");
    }
    this.source = source;
    int w = source.columns().size();
    numeric = new boolean[w];
    min = new double[w];
    max = new double[w];
    noise = new double[w];
    double[] v = new double[1];
    for (int c = 0; c < w; c++) {
      boolean all = true;
      double lo = Double.POSITIVE_INFINITY;
      double hi = Double.NEGATIVE_INFINITY;
      double sum = 0;
      double sq = 0;
      for (Table.Row r : source.rows()) {
        if (Numbers.classify(r.cells().get(c), v, 0) != Numbers.INTEGER_KIND) {
          all = false;
          break;
        }
        lo = Math.min(lo, v[0]);
        hi = Math.max(hi, v[0]);
        sum += v[0];
        sq += v[0] * v[0];
      }
      numeric[c] = all;
      if (all) {
        int n = source.rows().size();
        double mean = sum / n;
        min[c] = lo;
        max[c] = hi;
        noise[c] = 0.1 * Math.sqrt(Math.max(0, sq / n - mean * mean));
      }
    }
  }

  /** Writes the header and {@code rows} resampled rows to {@code file}; returns its size. */
  long write(Path file, long rows, long seed) throws IOException {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Table.Row> src = source.rows();
    int n = src.size();
    int w = source.columns().size();
    try (BufferedWriter out = new BufferedWriter(
        new OutputStreamWriter(Files.newOutputStream(file), StandardCharsets.UTF_8), 1 << 16)) {
      StringBuilder line = new StringBuilder(256);
      appendRow(line, source.columns());
      out.append(line);
      for (long i = 0; i < rows; i++) {
        line.setLength(0);
        List<String> row = src.get(rnd.nextInt(n)).cells();
        for (int c = 0; c < w; c++) {
          if (c > 0) {
            line.append(',');
          }
          String cell = row.get(c);
          if (numeric[c]) {
            double g = Math.sqrt(-2 * Math.log(1 - rnd.nextDouble()))
                * Math.cos(2 * Math.PI * rnd.nextDouble());
            double x = Math.rint(Double.parseDouble(cell) + g * noise[c]);
            line.append((long) Math.max(min[c], Math.min(max[c], x)));
          } else {
            if (rnd.nextInt(50) == 0) {
              cell = src.get(rnd.nextInt(n)).cells().get(c);
            }
            appendCell(line, cell);
          }
        }
        line.append("\r\n");
        out.append(line);
      }
    }
    return Files.size(file);
  }

  private static void appendRow(StringBuilder sb, List<String> cells) {
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      appendCell(sb, cells.get(i));
    }
    sb.append("\r\n");
  }

  private static void appendCell(StringBuilder sb, String c) {
    if (c.indexOf(',') >= 0 || c.indexOf('"') >= 0 || c.indexOf('\n') >= 0
        || c.indexOf('\r') >= 0) {
      sb.append('"').append(c.replace("\"", "\"\"")).append('"');
    } else {
      sb.append(c);
    }
  }
}
