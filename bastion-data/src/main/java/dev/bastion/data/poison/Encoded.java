package dev.bastion.data.poison;

import java.util.List;
import java.util.Objects;

/**
 * A table as numbers: one feature vector and one class index per row, with the raw feature cells
 * kept for the detectors that look at exact values (duplicates, triggers).
 *
 * @param x the encoded features, one row per data row
 * @param y the class index of each row
 * @param classes the class names, by index
 * @param columns the feature columns, in order
 * @param dimColumn for each encoded dimension, the index of its feature column
 * @param cells the raw feature cells of each row, one per feature column
 */
public record Encoded(
    double[][] x, int[] y, List<String> classes, List<String> columns, int[] dimColumn,
    String[][] cells) {
  public Encoded {
    Objects.requireNonNull(x);
    classes = List.copyOf(classes);
    columns = List.copyOf(columns);
    if (y.length != x.length || cells.length != x.length) {
      throw new IllegalArgumentException("x, y and cells must have one entry per row");
    }
  }

  public int rows() {
    return x.length;
  }

  public int dims() {
    return dimColumn.length;
  }
}
