package dev.bastion.data;

import java.util.ArrayList;
import java.util.List;

/**
 * Checks a table against a schema and returns every problem found (up to a limit), each with its
 * file, row and column. The caller decides what fails.
 */
public final class Validator {
  /** Issues kept in one result; the count goes on. */
  public static final int MAX_ISSUES = 100;

  /**
   * One problem.
   *
   * @param file the file
   * @param line the 1-based line in the file (0 when about the whole file)
   * @param row the 1-based data row (0 for the header or the whole file)
   * @param column the column, or empty
   * @param message what is wrong
   */
  public record Issue(String file, long line, long row, String column, String message) {
    /** One line for people: {@code file: row R (line L), column 'c': message}. */
    public String describe() {
      StringBuilder sb = new StringBuilder(file).append(": ");
      if (row > 0) {
        sb.append("row ").append(row).append(" (line ").append(line).append("), ");
      } else if (line > 0) {
        sb.append("line ").append(line).append(", ");
      }
      if (!column.isEmpty()) {
        sb.append("column '").append(column).append("': ");
      }
      return sb.append(message).toString();
    }
  }

  /**
   * The outcome of a validation.
   *
   * @param rows data rows checked
   * @param invalidRows rows with at least one issue
   * @param issueCount all issues found
   * @param issues the first {@link #MAX_ISSUES} issues
   */
  public record Result(long rows, long invalidRows, long issueCount, List<Issue> issues) {
    public Result {
      issues = List.copyOf(issues);
    }

    public boolean ok() {
      return issueCount == 0;
    }
  }

  private Validator() {}

  /** Validates {@code table} against {@code schema}. */
  public static Result validate(Table table, Schema schema) {
    List<Issue> issues = new ArrayList<>();
    long[] count = {0};
    String file = table.source();
    int[] index = new int[schema.columns().size()];
    boolean headerOk = true;
    for (int i = 0; i < schema.columns().size(); i++) {
      Schema.Column c = schema.columns().get(i);
      index[i] = table.indexOf(c.name());
      if (index[i] < 0) {
        add(issues, count, new Issue(file, 1, 0, c.name(), "column is missing from the header"));
        headerOk = false;
      }
    }
    for (String col : table.columns()) {
      if (schema.column(col).isEmpty()) {
        add(issues, count, new Issue(file, 1, 0, col, "column is not in the schema"));
        headerOk = false;
      }
    }
    long invalid = 0;
    if (headerOk) {
      long rowNo = 0;
      for (Table.Row r : table.rows()) {
        rowNo++;
        boolean bad = false;
        for (int i = 0; i < index.length; i++) {
          Schema.Column c = schema.columns().get(i);
          String v = r.cells().get(index[i]);
          String problem = check(c, v);
          if (problem != null) {
            add(issues, count, new Issue(file, r.line(), rowNo, c.name(), problem));
            bad = true;
          }
        }
        if (bad) {
          invalid++;
        }
      }
    }
    long n = table.rows().size();
    if (n < schema.minRows() || n > schema.maxRows()) {
      add(
          issues,
          count,
          new Issue(
              file,
              0,
              0,
              "",
              n + " rows, outside the accepted range " + schema.minRows() + ".."
                  + schema.maxRows()));
    }
    return new Result(n, invalid, count[0], issues);
  }

  private static void add(List<Issue> issues, long[] count, Issue issue) {
    count[0]++;
    if (issues.size() < MAX_ISSUES) {
      issues.add(issue);
    }
  }

  private static String check(Schema.Column c, String v) {
    if (v.isEmpty()) {
      // An empty consent cell is a row whose subject agreed to nothing: valid, and never used.
      return c.type() == Schema.Type.PURPOSES ? null : "value is missing";
    }
    switch (c.type()) {
      case CATEGORICAL -> {
        return c.values().contains(v) ? null : "'" + clip(v) + "' is not an allowed category";
      }
      case PURPOSES -> {
        for (String p : v.split(Schema.PURPOSE_SEPARATOR, -1)) {
          if (!c.values().contains(p)) {
            return "'" + clip(p) + "' is not a declared purpose";
          }
        }
        return null;
      }
      case INTEGER, NUMBER -> {
        double d;
        if (c.type() == Schema.Type.INTEGER) {
          var i = Numbers.parseInteger(v);
          if (i.isEmpty()) {
            return "'" + clip(v) + "' is not an integer";
          }
          d = i.getAsLong();
        } else {
          var n = Numbers.parseDecimal(v);
          if (n.isEmpty()) {
            return "'" + clip(v) + "' is not " + (Numbers.isNonFinite(v) ? "a finite number"
                : "a number");
          }
          d = n.getAsDouble();
        }
        if (d < c.min() || d > c.max()) {
          return clip(v) + " is outside the range " + fmt(c.min()) + ".." + fmt(c.max());
        }
        return null;
      }
    }
    throw new IllegalStateException("unreachable");
  }

  private static String clip(String v) {
    return v.length() > 40 ? v.substring(0, 40) + "..." : v;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
