package dev.bastion.data;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Rows of string cells under named columns, as read from a file. Each row remembers the line it
 * started on, so errors point at the file.
 *
 * @param source the file or name it came from
 * @param columns the header
 * @param rows the data rows
 */
public record Table(String source, List<String> columns, List<Row> rows) {
  /**
   * One data row.
   *
   * @param line the 1-based line of the file where the row starts
   * @param cells one cell per column
   */
  public record Row(long line, List<String> cells) {
    public Row {
      cells = List.copyOf(cells);
    }
  }

  public Table {
    Objects.requireNonNull(source);
    columns = List.copyOf(columns);
    rows = Collections.unmodifiableList(new ArrayList<>(rows));
  }

  /** The index of a column, or -1. */
  public int indexOf(String column) {
    return columns.indexOf(column);
  }

  /** A table with one column's values replaced by {@code f}. */
  public Table mapColumn(String column, UnaryOperator<String> f) {
    int i = indexOf(column);
    if (i < 0) {
      throw new IllegalArgumentException("no column " + column);
    }
    List<Row> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      List<String> cells = new ArrayList<>(r.cells());
      cells.set(i, f.apply(cells.get(i)));
      out.add(new Row(r.line(), cells));
    }
    return new Table(source, columns, out);
  }

  /** A table without the column {@code column}. */
  public Table withoutColumn(String column) {
    int i = indexOf(column);
    if (i < 0) {
      throw new IllegalArgumentException("no column " + column);
    }
    List<String> cols = new ArrayList<>(columns);
    cols.remove(i);
    List<Row> out = new ArrayList<>(rows.size());
    for (Row r : rows) {
      List<String> cells = new ArrayList<>(r.cells());
      cells.remove(i);
      out.add(new Row(r.line(), cells));
    }
    return new Table(source, cols, out);
  }

  /** A table with only the rows {@code keep} accepts, in order. */
  public Table filterRows(java.util.function.Predicate<Row> keep) {
    return new Table(source, columns, rows.stream().filter(keep).toList());
  }

  /** RFC 4180 CSV with CRLF line ends: the canonical bytes of a snapshot. */
  public byte[] toCsv() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeRow(out, columns);
    for (Row r : rows) {
      writeRow(out, r.cells());
    }
    return out.toByteArray();
  }

  private static void writeRow(ByteArrayOutputStream out, List<String> cells) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      String c = cells.get(i);
      // A leading U+FEFF is quoted too: unquoted at the start of a file it reads as a byte order
      // mark and would be dropped.
      if (c.indexOf(',') >= 0 || c.indexOf('"') >= 0 || c.indexOf('\n') >= 0
          || c.indexOf('\r') >= 0 || c.startsWith("\uFEFF")) {
        sb.append('"').append(c.replace("\"", "\"\"")).append('"');
      } else {
        sb.append(c);
      }
    }
    sb.append("\r\n");
    out.writeBytes(sb.toString().getBytes(StandardCharsets.UTF_8));
  }
}
