package dev.bastion.data;

import dev.bastion.core.Text;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

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
    return validate(table, schema, Set.of());
  }

  /**
   * Validates {@code table} against {@code schema}; the values of the columns in {@code
   * withheld}, as of every column the schema does not declare {@code keep}, never appear in an
   * issue (the issue names the row and the column and says what is wrong, without the value).
   */
  public static Result validate(Table table, Schema schema, Set<String> withheld) {
    Session s = start(schema, table.source(), table.columns(), withheld);
    long rowNo = 0;
    String[] cells = new String[table.columns().size()];
    for (Table.Row r : table.rows()) {
      s.row(++rowNo, r.line(), r.cells().toArray(cells));
    }
    return s.finish();
  }

  /**
   * Starts a row-at-a-time validation of a file with this header: for files read with {@link
   * CsvReader#stream}, in bounded memory.
   */
  public static Session start(Schema schema, String file, List<String> header) {
    return start(schema, file, header, Set.of());
  }

  /**
   * As {@link #start(Schema, String, List)}, withholding values as {@link #validate(Table, Schema,
   * Set)} does.
   */
  public static Session start(
      Schema schema, String file, List<String> header, Set<String> withheld) {
    return new Session(schema, file, header, withheld);
  }

  /** A validation in progress: header issues found at the start, row issues as rows arrive. */
  public static final class Session {
    private final Schema schema;
    private final String file;
    private final int[] index;
    private final Schema.Column[] columns;
    private final Categories[] categories;
    private final Schema.Type[] types;
    /** Per schema column: whether its values stay out of the issues. */
    private final boolean[] withheld;
    private final boolean headerOk;
    private final List<Issue> issues = new ArrayList<>();
    private final int[] kinds;
    private final double[] values;
    private long count;
    private final long headerIssues;
    private long rows;
    private long invalid;

    private Session(Schema schema, String file, List<String> header, Set<String> withheld) {
      this.schema = schema;
      this.file = file;
      this.index = new int[schema.columns().size()];
      this.columns = schema.columns().toArray(new Schema.Column[0]);
      this.categories = new Categories[columns.length];
      this.types = new Schema.Type[columns.length];
      this.withheld = new boolean[columns.length];
      for (int i = 0; i < columns.length; i++) {
        types[i] = columns[i].type();
        this.withheld[i] = columns[i].sensitivity() != Schema.Sensitivity.KEEP
            || withheld.contains(columns[i].name());
        if (columns[i].type() == Schema.Type.CATEGORICAL) {
          categories[i] = new Categories(columns[i].values());
        }
      }
      boolean ok = true;
      for (int i = 0; i < index.length; i++) {
        Schema.Column c = schema.columns().get(i);
        index[i] = header.indexOf(c.name());
        if (index[i] < 0) {
          add(new Issue(file, 1, 0, c.name(), "column is missing from the header"));
          ok = false;
        }
      }
      for (String col : header) {
        if (schema.column(col).isEmpty()) {
          add(new Issue(file, 1, 0, col, "column is not in the schema"));
          ok = false;
        }
      }
      this.headerOk = ok;
      this.headerIssues = count;
      this.kinds = new int[header.size()];
      this.values = new double[header.size()];
    }

    /** Checks one row; {@code cells} are in header order. */
    public void row(long row, long line, String[] cells) {
      for (int i = 0; i < cells.length; i++) {
        kinds[i] = Numbers.classify(cells[i], values, i);
      }
      row(row, line, cells, kinds, values);
    }

    /**
     * Checks one row whose cells were already classified by {@link Numbers#classify} into {@code
     * kinds} and {@code values} (both in header order), so that a caller that also profiles the
     * row parses each number once.
     */
    public void row(long row, long line, String[] cells, int[] kinds, double[] values) {
      row(row, line, cells, kinds, values, null);
    }

    /**
     * As {@link #row(long, long, String[], int[], double[])}; where {@code allowed} (if not null)
     * is true, the caller has already found that cell among its categorical column's values (the
     * schema's own instance of it), so it is not looked up again.
     */
    public void row(
        long row, long line, String[] cells, int[] kinds, double[] values, boolean[] allowed) {
      rows++;
      if (!headerOk) {
        return;
      }
      boolean bad = false;
      for (int i = 0; i < index.length; i++) {
        Schema.Column c = columns[i];
        int at = index[i];
        String v = cells[at];
        // The common cases first, without the general check: an allowed category, a number in
        // range.
        switch (types[i]) {
          case CATEGORICAL -> {
            if ((allowed != null && allowed[at]) || categories[i].contains(v)) {
              continue;
            }
          }
          case INTEGER -> {
            if (kinds[at] == Numbers.INTEGER_KIND && values[at] >= c.min()
                && values[at] <= c.max()) {
              continue;
            }
          }
          case NUMBER -> {
            if (kinds[at] != Numbers.NOT_A_NUMBER && values[at] >= c.min()
                && values[at] <= c.max()) {
              continue;
            }
          }
          case PURPOSES -> {
            // the general check
          }
        }
        String problem = check(c, v, kinds[at], values[at], withheld[i]);
        if (problem != null) {
          add(new Issue(file, line, row, c.name(), problem));
          bad = true;
        }
      }
      if (bad) {
        invalid++;
      }
    }

    /**
     * Adds what {@code other} found in other rows of the same file (started with the same schema
     * and header, so its header issues are already here): for rows checked in parallel. The issues
     * kept are still the first {@link #MAX_ISSUES} by row.
     */
    public void merge(Session other) {
      merge(other, 0, 0);
    }

    /**
     * As {@link #merge(Session)}, for a session that numbered its rows and lines from 1 within a
     * later part of the file: {@code rowOffset} rows and {@code lineOffset} line ends came before
     * that part.
     */
    public void merge(Session other, long rowOffset, long lineOffset) {
      List<Issue> all = new ArrayList<>(issues);
      other.issues.stream()
          .filter(i -> i.row() > 0)
          .map(i -> new Issue(
              i.file(), i.line() + lineOffset, i.row() + rowOffset, i.column(), i.message()))
          .forEach(all::add);
      all.sort(java.util.Comparator.comparingLong(Issue::row));
      issues.clear();
      issues.addAll(all.subList(0, Math.min(MAX_ISSUES, all.size())));
      count += other.count - other.headerIssues;
      rows += other.rows;
      invalid += other.invalid;
    }

    /** The result, with the row-count check. */
    public Result finish() {
      if (rows < schema.minRows() || rows > schema.maxRows()) {
        add(new Issue(file, 0, 0, "", rows + " rows, outside the accepted range "
            + schema.minRows() + ".." + schema.maxRows()));
      }
      return new Result(rows, invalid, count, issues);
    }

    private void add(Issue issue) {
      count++;
      if (issues.size() < MAX_ISSUES) {
        issues.add(issue);
      }
    }
  }

  /**
   * A categorical column's values, for the per-cell check: an open-addressing table that finds a
   * cell by identity first, so a caller that passes the schema's own instances (as {@link
   * dev.bastion.data.profile.Profiler} does) skips comparing characters.
   */
  private static final class Categories {
    private final String[] keys;
    private final int[] codes;

    Categories(java.util.Set<String> values) {
      int n = Integer.highestOneBit(Math.max(4, values.size() * 4) - 1) * 2;
      keys = new String[n];
      codes = new int[n];
      for (String v : values) {
        int i = v.hashCode() & (n - 1);
        while (keys[i] != null) {
          i = (i + 1) & (n - 1);
        }
        keys[i] = v;
        codes[i] = v.hashCode();
      }
    }

    boolean contains(String v) {
      int code = v.hashCode();
      int mask = keys.length - 1;
      for (int i = code & mask; keys[i] != null; i = (i + 1) & mask) {
        if (keys[i] == v || (codes[i] == code && keys[i].equals(v))) {
          return true;
        }
      }
      return false;
    }
  }

  /** What an issue shows of a withheld value. */
  static final String WITHHELD = "the value (withheld: a sensitive column)";

  private static String check(Schema.Column c, String v, int kind, double d, boolean withhold) {
    if (v.isEmpty()) {
      // An empty consent cell is a row whose subject agreed to nothing: valid, and never used.
      return c.type() == Schema.Type.PURPOSES ? null : "value is missing";
    }
    switch (c.type()) {
      case CATEGORICAL -> {
        return c.values().contains(v) ? null : shown(v, withhold) + " is not an allowed category";
      }
      case PURPOSES -> {
        for (String p : v.split(Schema.PURPOSE_SEPARATOR, -1)) {
          if (!c.values().contains(p)) {
            return "'" + Text.clip(p) + "' is not a declared purpose";
          }
        }
        return null;
      }
      case INTEGER, NUMBER -> {
        if (c.type() == Schema.Type.INTEGER) {
          if (kind != Numbers.INTEGER_KIND) {
            return shown(v, withhold) + " is not an integer";
          }
        } else if (kind == Numbers.NOT_A_NUMBER) {
          return shown(v, withhold) + " is not "
              + (Numbers.isNonFinite(v) ? "a finite number" : "a number");
        }
        if (d < c.min() || d > c.max()) {
          return (withhold ? WITHHELD : Text.clip(v)) + " is outside the range " + fmt(c.min())
              + ".." + fmt(c.max());
        }
        return null;
      }
    }
    throw new IllegalStateException("unreachable");
  }

  private static String shown(String v, boolean withhold) {
    return withhold ? WITHHELD : "'" + Text.clip(v) + "'";
  }

  private static String fmt(double d) {
    return d == Math.rint(d) && Math.abs(d) < 1e15 ? Long.toString((long) d) : Double.toString(d);
  }
}
