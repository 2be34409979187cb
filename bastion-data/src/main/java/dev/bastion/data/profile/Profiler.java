package dev.bastion.data.profile;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Numbers;
import dev.bastion.data.Schema;
import dev.bastion.data.Validator;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a CSV file once, row by row, and builds its {@link Profile}; given a schema it validates
 * the rows in the same pass, classifying each cell once for both. Memory is bounded by the sketch
 * sizes and the reader's limits, whatever the row count.
 */
public final class Profiler {
  /**
   * What one pass produced.
   *
   * @param profile the file's profile (one source: the file, its SHA-256, its rows)
   * @param validation the schema check, if a schema was given
   */
  public record Outcome(Profile profile, Optional<Validator.Result> validation) {}

  private Profiler() {}

  /** Profiles {@code file}. */
  public static Profile profile(Path file, CsvReader.Options options)
      throws BadInputException, IOException {
    return run(file, options, null).profile();
  }

  /**
   * Profiles {@code file} and, if {@code schema} is not null, validates it against the schema.
   *
   * @throws BadInputException if the file is missing, too large or not CSV
   */
  public static Outcome run(Path file, CsvReader.Options options, Schema schema)
      throws BadInputException, IOException {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    Visitor v = new Visitor(file.toString(), schema);
    long rows = new CsvReader(options).stream(file, v, sha);
    Profile p = new Profile(rows,
        List.of(new Profile.Source(file.getFileName().toString(), Digest.ofRaw(sha.digest()),
            rows)),
        v.columns);
    return new Outcome(p, Optional.ofNullable(v.session).map(Validator.Session::finish));
  }

  private static final class Visitor implements CsvReader.RowVisitor {
    private final String name;
    private final Schema schema;
    private final List<ColumnProfile> columns = new ArrayList<>();
    private ColumnProfile[] byIndex = new ColumnProfile[0];
    private Validator.Session session;
    private int[] kinds = new int[0];
    private double[] values = new double[0];

    Visitor(String name, Schema schema) {
      this.name = name;
      this.schema = schema;
    }

    @Override
    public void header(List<String> header) {
      header.forEach(h -> columns.add(new ColumnProfile(h)));
      byIndex = columns.toArray(new ColumnProfile[0]);
      kinds = new int[header.size()];
      values = new double[header.size()];
      if (schema != null) {
        session = Validator.start(schema, name, header);
      }
    }

    @Override
    public void row(long row, long line, String[] cells) {
      for (int i = 0; i < cells.length; i++) {
        int kind = Numbers.classify(cells[i], values, i);
        kinds[i] = kind;
        byIndex[i].add(cells[i], kind, values[i]);
      }
      if (session != null) {
        session.row(row, line, cells, kinds, values);
      }
    }
  }
}
